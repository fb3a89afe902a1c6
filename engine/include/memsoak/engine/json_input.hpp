#pragma once
// Checked reading of memsoak's JSON inputs (scenario, suite, ledger, calibration, engine settings, reports): one
// toolkit, one wording. It lives in the engine because the engine reads its own settings and owns bounded input
// reading (input_file.hpp); the harness, reports and tools use it from here.
//
// Every error is an engine::Error with a JsonPlace, reading "<file>[:<line>:<column>]: <JSON path>: <what>":
//   "<path>: expected <what>, got <value excerpt>"   a value of the wrong type, range or unit
//   "<path>.<field>: missing; expected <what>"       a required field absent (placed at its object)
//   "<path>.<field>: unknown field; expected one of a, b, c"
//   "<path>: a field given twice; expected each field once"
// Line and column are added by read_with_positions, which keeps the document's text for that.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/input_file.hpp"
#include "memsoak/engine/time.hpp"

namespace memsoak::engine::json_input {

using Json = nlohmann::json;

// Deeper nesting is refused before anything recursive (copying, printing, comparing a value) meets it.
inline constexpr std::size_t kMaxJsonDepth = 64;

// A parsed document and the text it was parsed from, kept so that an error can name its line and column.
struct Document {
    std::string source;
    std::string text;
    Json root;
};

// Parses a whole document read from `source`. Any syntax error, a number beyond a double's range included, gives
// "<source>:<line>:<column>: invalid JSON: <reason>" (1-based; the column counts bytes); nesting deeper than
// kMaxJsonDepth and a field given twice are refused with their JSON path.
Json parse_text(const std::string& text, const std::string& source);
Document parse_document(std::string text, std::string source);
// A whole file of at most `max_bytes` (input_file.hpp), parsed.
Document read_document(const std::filesystem::path& file, std::uint64_t max_bytes = kMaxConfigFileBytes);
Json read_file(const std::filesystem::path& file, std::uint64_t max_bytes = kMaxConfigFileBytes);

// The byte offset of the value at `path` ("$.a[2].b") in `text`, a document that parses; nullopt when no such
// value. A key may hold dots ("os.rss_bytes"): the first member whose name the path continues with is taken.
std::optional<std::size_t> locate(std::string_view text, std::string_view path);

// `error` with the line and column of its JSON path in `document`, when it names a place in that document.
Error with_position(const Document& document, const Error& error);

// Runs `read(document.root)`; an error it throws at a place of this document gains that place's line and column.
template <typename Read>
auto read_with_positions(const Document& document, Read&& read) -> decltype(read(document.root)) {
    try {
        return read(document.root);
    } catch (const Error& e) {
        throw with_position(document, e);
    }
}

// ---- paths ----

std::string field_path(std::string_view parent, std::string_view field);  // "$.a" + "b" -> "$.a.b"
std::string index_path(std::string_view parent, std::size_t index);       // "$.a" + 2 -> "$.a[2]"

// ---- errors ----

// "<file>: <path>: <detail>", the one shape of every message here.
[[noreturn]] void reject(const std::string& file, std::string_view path, std::string detail);
// "<file>: <path>: expected <expected>, got <value as compact JSON, excerpted>".
[[noreturn]] void fail(const std::string& file, std::string_view path, std::string_view expected, const Json& got);

// ---- objects ----

// Requires an object (`expected` describes it, e.g. "a scenario object") whose fields are all in `known`, so that
// a misspelt field is reported, not ignored.
void check_object(const Json& value, std::initializer_list<std::string_view> known, std::string_view expected,
                  const std::string& file, std::string_view path);
// The field's value; when absent, "<path>.<field>: missing; expected <expected>".
const Json& require(const Json& object, std::string_view field, std::string_view expected, const std::string& file,
                    std::string_view path);
// The field's value, or nullptr when absent.
const Json* find(const Json& object, std::string_view field);
// Requires $.schema_version to be `supported`, the only version this build reads.
void check_schema_version(const Json& document, int supported, const std::string& file);

// ---- values ----

std::string string(const Json& value, const std::string& file, std::string_view path,
                   std::string_view expected = "a string");
std::string non_empty_string(const Json& value, const std::string& file, std::string_view path,
                             std::string_view expected = "a non-empty string");
bool boolean(const Json& value, const std::string& file, std::string_view path);
// An integer JSON number (no fraction) from `least` to `most`.
std::uint64_t whole_number(const Json& value, const std::string& file, std::string_view path, std::uint64_t least,
                           std::uint64_t most, std::string_view expected);
std::int64_t integer(const Json& value, const std::string& file, std::string_view path, std::int64_t least,
                     std::int64_t most, std::string_view expected);
// Any JSON number; `expected` says which.
double number(const Json& value, const std::string& file, std::string_view path, std::string_view expected);
// A duration string such as "15m" (time.hpp); `example` is shown in the message.
VirtualDuration duration(const Json& value, const std::string& file, std::string_view path, std::string_view example);
VirtualDuration positive_duration(const Json& value, const std::string& file, std::string_view path,
                                  std::string_view example);
// Whether `name` is non-empty and only lowercase letters, digits, '-' and '_', so that it can name a file.
bool is_plain_name(std::string_view name);

}  // namespace memsoak::engine::json_input
