#pragma once
#include <stdexcept>
#include <string>

namespace memsoak::reports {

// The one exception type of the reports library. Messages name the file, the place (a JSON path or line:column)
// and what was expected: "out/day.json: $.run.wall_seconds: expected a number or null, got \"fast\"".
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace memsoak::reports
