#pragma once
#include <stdexcept>
#include <string>

namespace memsoak::engine {

// The one exception type of the engine library. Messages name the file, the place and what was expected,
// e.g. "data/BTC.csv:17: column 'close': expected a number, got 'abc'".
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace memsoak::engine
