#pragma once
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

namespace memsoak::engine {

// What went wrong, for the one place that maps errors to exit codes (tools/cli_common.cpp, exit_code_for):
// usage and bad input exit 2, I/O and internal errors 3 (README, "Exit codes").
enum class ErrorKind {
    usage,      // the command line itself: printed with a pointer to the command's --help
    bad_input,  // a file or value the user gave: the message names the file, the place and what was expected
    io,         // the system refused what memsoak asked (writing an output)
    internal,   // memsoak's own fault, or a child memsoak that did not do its part
};

// Where in a JSON document an error is: the JSON path always, line and column when the text was at hand.
struct JsonPlace {
    std::string source;    // the file, as given
    std::string path;      // "$.workload[2].every"
    std::string detail;    // "expected a duration such as \"15m\", got \"fast\""
    std::size_t line = 0;  // 0: not known (a document built in memory)
    std::size_t column = 0;
};

// The one exception type of memsoak's libraries (the harness, reports and history name it as their Error).
// Messages name the file, the place and what was expected, e.g. "data/BTC.csv:17: column 'close': expected a
// number, got 'abc'" or "day.json:12:18: $.workload[2].every: expected a duration such as \"15m\", got \"fast\"".
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, ErrorKind kind = ErrorKind::bad_input)
        : std::runtime_error(message), kind_(kind) {}
    // An error at a place in a JSON document (engine/json_input.hpp builds these).
    explicit Error(JsonPlace place)
        : std::runtime_error(format(place)), place_(std::make_shared<const JsonPlace>(std::move(place))) {}

    ErrorKind kind() const noexcept { return kind_; }
    // The place in a JSON document; nullptr for other errors.
    const JsonPlace* json_place() const noexcept { return place_.get(); }
    // The same error as another kind, e.g. a report a child memsoak wrote that cannot be read is internal.
    Error as(ErrorKind kind) const {
        Error copy = *this;
        copy.kind_ = kind;
        return copy;
    }

private:
    static std::string format(const JsonPlace& place) {
        std::string where = place.source;
        if (place.line > 0) where += ":" + std::to_string(place.line) + ":" + std::to_string(place.column);
        return where + ": " + place.path + ": " + place.detail;
    }

    ErrorKind kind_ = ErrorKind::bad_input;
    std::shared_ptr<const JsonPlace> place_;  // shared: exceptions are copied when thrown
};

}  // namespace memsoak::engine
