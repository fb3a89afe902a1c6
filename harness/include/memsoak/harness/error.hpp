#pragma once
#include <stdexcept>
#include <string>

namespace memsoak::harness {

// The one exception type of the harness. Input errors name the file, the JSON path or line, and what was
// expected: "scenarios/day.json: $.workload[2].every: expected a duration such as \"15m\", got \"fast\"".
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace memsoak::harness
