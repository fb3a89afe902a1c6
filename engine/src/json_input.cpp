#include "memsoak/engine/json_input.hpp"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace memsoak::engine::json_input {
namespace {

struct TextPosition {
    std::size_t line = 1;
    std::size_t column = 1;
};

// The line and column an editor shows for the byte at 0-based `offset` (the column counts bytes).
TextPosition position_of_offset(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    const auto before = text.substr(0, offset);
    const std::size_t line_start = before.rfind('\n');
    TextPosition position;
    position.line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
    position.column = line_start == std::string_view::npos ? offset + 1 : offset - line_start;
    return position;
}

// nlohmann's messages read "[json.exception.parse_error.101] parse error at line 1, column 2: <reason>" or
// "[json.exception.out_of_range.406] number overflow parsing '1e400'"; the file position is given separately, so
// only the reason is kept.
std::string error_reason(std::string_view message) {
    if (message.starts_with("[json.exception.")) {
        const std::size_t end = message.find("] ");
        if (end != std::string_view::npos) message.remove_prefix(end + 2);
    }
    if (message.starts_with("parse error")) {
        const std::size_t colon = message.find(": ");
        if (colon != std::string_view::npos) message.remove_prefix(colon + 2);
    }
    // The token quoted at the end may be megabytes long (a string that never closes).
    constexpr std::string_view kLastRead = "; last read: '";
    if (const std::size_t at = message.find(kLastRead); at != std::string_view::npos) {
        const std::string_view rest = message.substr(at + kLastRead.size());
        // The token ends at its closing quote, before what nlohmann expected ("'; expected '[', '{', ...").
        std::size_t end = rest.find("'; expected");
        if (end == std::string_view::npos) end = rest.rfind('\'');
        if (end == std::string_view::npos) end = rest.size();
        return fmt::format("{}{}{}{}", message.substr(0, at), kLastRead, excerpt(rest.substr(0, end)),
                           rest.substr(end));
    }
    return std::string(message);
}

// One pass over the text that builds nothing and finds what nlohmann's DOM parser does not say: where a syntax
// error is (a number beyond a double's range, "1e400", is thrown as out_of_range.406 with no position), and the
// first field given twice in one object (the parser keeps the last in silence, so a scenario with two "every"
// would run with the second). It stops at whichever comes first.
class JsonChecker final : public nlohmann::json_sax<Json> {
public:
    bool null() override { return value(); }
    bool boolean(bool) override { return value(); }
    bool number_integer(number_integer_t) override { return value(); }
    bool number_unsigned(number_unsigned_t) override { return value(); }
    bool number_float(number_float_t, const string_t&) override { return value(); }
    bool string(string_t&) override { return value(); }
    bool binary(binary_t&) override { return value(); }
    bool start_object(std::size_t) override { return open(true); }
    bool key(string_t& name) override {
        Frame& frame = frames_.back();
        frame.key = name;
        if (frame.keys.insert(name).second) return true;
        duplicate = path();
        return false;
    }
    bool end_object() override { return end(); }
    bool start_array(std::size_t) override { return open(false); }
    bool end_array() override { return end(); }
    bool parse_error(std::size_t position, const std::string& last_token, const Json::exception& error) override {
        // A syntax error is placed where reading stopped, as nlohmann places it; a number out of range at its
        // first digit (the position is then one past its last).
        error_byte = error.id == kNumberOutOfRange ? position - std::min(position, last_token.size()) + 1 : position;
        error_message = error.what();
        return false;
    }

    std::string duplicate;       // the JSON path of the repeated field; empty when there is none
    std::string too_deep;        // the JSON path where nesting passed kMaxJsonDepth; empty when it did not
    std::size_t error_byte = 0;  // 1-based, as nlohmann counts
    std::string error_message;   // empty when the text parsed

private:
    static constexpr int kNumberOutOfRange = 406;
    struct Frame {
        bool object;
        std::set<std::string> keys;
        std::string key;    // object: the field being read
        std::size_t index;  // array: the element being read
    };
    bool value() {
        if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
        return true;
    }
    bool open(bool object) {
        if (frames_.size() == kMaxJsonDepth) {
            too_deep = path();
            return false;
        }
        frames_.push_back(Frame{object, {}, {}, 0});
        return true;
    }
    bool end() {
        frames_.pop_back();
        return value();
    }
    std::string path() const {
        std::string out = "$";
        for (const Frame& frame : frames_)
            out += frame.object ? "." + frame.key : "[" + std::to_string(frame.index) + "]";
        return out;
    }
    std::vector<Frame> frames_;
};

// ---- locating a path in a document's text, only when an error is reported ----

class Scanner {
public:
    explicit Scanner(std::string_view text) : text_(text) {}

    std::size_t at() const { return at_; }
    void skip_space() {
        while (at_ < text_.size() &&
               (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
            ++at_;
        }
    }
    bool next_is(char c) {
        skip_space();
        return at_ < text_.size() && text_[at_] == c;
    }
    bool take(char c) {
        skip_space();
        if (at_ >= text_.size() || text_[at_] != c) return false;
        ++at_;
        return true;
    }
    // A string at the cursor, its simple escapes decoded (\uXXXX kept as written: paths never need them).
    std::string string() {
        std::string out;
        ++at_;  // the opening quote
        while (at_ < text_.size() && text_[at_] != '"') {
            if (text_[at_] == '\\' && at_ + 1 < text_.size()) ++at_;
            out += text_[at_++];
        }
        ++at_;
        return out;
    }
    // Skips one value without recursion (the depth is bounded already, but a counter needs no stack at all).
    void skip_value() {
        skip_space();
        int depth = 0;
        while (at_ < text_.size()) {
            const char c = text_[at_];
            if (c == '"') {
                string();
            } else if (c == '{' || c == '[') {
                ++depth;
                ++at_;
            } else if (c == '}' || c == ']') {
                if (depth == 0) return;
                --depth;
                ++at_;
            } else if (c == ',' && depth == 0) {
                return;
            } else {
                ++at_;
            }
            if (depth == 0 && (c == '"' || c == '}' || c == ']')) return;
        }
    }

private:
    std::string_view text_;
    std::size_t at_ = 0;
};

// The index in "[12]..." at the start of `rest`, and what follows it.
std::optional<std::pair<std::size_t, std::string_view>> leading_index(std::string_view rest) {
    const std::size_t close = rest.find(']');
    if (rest.empty() || rest[0] != '[' || close == std::string_view::npos || close == 1) return std::nullopt;
    std::size_t index = 0;
    for (char c : rest.substr(1, close - 1)) {
        if (c < '0' || c > '9') return std::nullopt;
        index = index * 10 + static_cast<std::size_t>(c - '0');
    }
    return std::pair{index, rest.substr(close + 1)};
}

bool continues_with(std::string_view rest, std::string_view key) {
    if (!rest.starts_with(key)) return false;
    return rest.size() == key.size() || rest[key.size()] == '.' || rest[key.size()] == '[';
}

}  // namespace

Json parse_text(const std::string& text, const std::string& source) {
    JsonChecker checker;
    Json::sax_parse(text, &checker);
    if (!checker.too_deep.empty()) {
        reject(source, excerpt(checker.too_deep),
               fmt::format("nested deeper than {} levels; expected at most {} (no memsoak file needs more than 6)",
                           kMaxJsonDepth, kMaxJsonDepth));
    }
    if (!checker.duplicate.empty()) reject(source, checker.duplicate, "a field given twice; expected each field once");
    if (!checker.error_message.empty()) {
        const TextPosition at = position_of_offset(text, checker.error_byte == 0 ? 0 : checker.error_byte - 1);
        throw Error(
            fmt::format("{}:{}:{}: invalid JSON: {}", source, at.line, at.column, error_reason(checker.error_message)));
    }
    return Json::parse(text);
}

Document parse_document(std::string text, std::string source) {
    Document document{std::move(source), std::move(text), nullptr};
    document.root =
        read_with_positions(document, [&](const Json&) { return parse_text(document.text, document.source); });
    return document;
}

Document read_document(const std::filesystem::path& file, std::uint64_t max_bytes) {
    return parse_document(read_input_file(file, max_bytes), file.string());
}

Json read_file(const std::filesystem::path& file, std::uint64_t max_bytes) {
    return parse_text(read_input_file(file, max_bytes), file.string());
}

std::optional<std::size_t> locate(std::string_view text, std::string_view path) {
    if (!path.starts_with('$')) return std::nullopt;
    std::string_view rest = path.substr(1);
    Scanner scan(text);
    while (!rest.empty()) {
        if (rest.starts_with("[\"")) {
            // A key written as ["os.rss_bytes"].
            const std::size_t close = rest.find("\"]");
            if (close == std::string_view::npos || !scan.take('{')) return std::nullopt;
            const std::string_view wanted = rest.substr(2, close - 2);
            while (true) {
                if (!scan.next_is('"')) return std::nullopt;
                const std::string key = scan.string();
                if (!scan.take(':')) return std::nullopt;
                if (key == wanted) break;
                scan.skip_value();
                if (!scan.take(',')) return std::nullopt;
            }
            rest.remove_prefix(close + 2);
        } else if (rest[0] == '[') {
            const auto index = leading_index(rest);
            if (!index || !scan.take('[')) return std::nullopt;
            for (std::size_t i = 0; i < index->first; ++i) {
                scan.skip_value();
                if (!scan.take(',')) return std::nullopt;
            }
            rest = index->second;
        } else if (rest[0] == '.') {
            rest.remove_prefix(1);
            if (!scan.take('{')) return std::nullopt;
            while (true) {
                if (!scan.next_is('"')) return std::nullopt;
                const std::string key = scan.string();
                if (!scan.take(':')) return std::nullopt;
                if (continues_with(rest, key)) {
                    rest.remove_prefix(key.size());
                    break;
                }
                scan.skip_value();
                if (!scan.take(',')) return std::nullopt;
            }
        } else {
            return std::nullopt;
        }
    }
    scan.skip_space();
    return scan.at();
}

Error with_position(const Document& document, const Error& error) {
    const JsonPlace* place = error.json_place();
    if (place == nullptr || place->line > 0 || place->source != document.source) return error;
    const std::optional<std::size_t> offset = locate(document.text, place->path);
    // A missing field is placed at its object: the path without its last step.
    std::optional<std::size_t> parent;
    if (!offset) {
        const std::size_t cut = place->path.find_last_of(".[");
        if (cut != std::string::npos && cut > 0) parent = locate(document.text, place->path.substr(0, cut));
    }
    if (!offset && !parent) return error;
    const TextPosition at = position_of_offset(document.text, offset ? *offset : *parent);
    JsonPlace placed = *place;
    placed.line = at.line;
    placed.column = at.column;
    return Error(std::move(placed)).as(error.kind());
}

std::string field_path(std::string_view parent, std::string_view field) { return fmt::format("{}.{}", parent, field); }
std::string index_path(std::string_view parent, std::size_t index) { return fmt::format("{}[{}]", parent, index); }

void reject(const std::string& file, std::string_view path, std::string detail) {
    throw Error(JsonPlace{file, std::string(path), std::move(detail)});
}

void fail(const std::string& file, std::string_view path, std::string_view expected, const Json& got) {
    // A mistyped array of thousands of samples would drown the message: its start is enough to recognise it.
    reject(file, path, fmt::format("expected {}, got {}", expected, excerpt(got.dump())));
}

void check_object(const Json& value, std::initializer_list<std::string_view> known, std::string_view expected,
                  const std::string& file, std::string_view path) {
    if (!value.is_object()) fail(file, path, expected, value);
    for (const auto& field : value.items()) {
        if (std::find(known.begin(), known.end(), field.key()) == known.end()) {
            reject(file, field_path(path, field.key()),
                   fmt::format("unknown field; expected one of {}", fmt::join(known, ", ")));
        }
    }
}

const Json& require(const Json& object, std::string_view field, std::string_view expected, const std::string& file,
                    std::string_view path) {
    const Json* found = find(object, field);
    if (found == nullptr) reject(file, field_path(path, field), fmt::format("missing; expected {}", expected));
    return *found;
}

const Json* find(const Json& object, std::string_view field) {
    if (!object.is_object()) return nullptr;
    const auto found = object.find(field);
    return found == object.end() ? nullptr : &*found;
}

void check_schema_version(const Json& document, int supported, const std::string& file) {
    const std::string expected = fmt::format("{} (the only schema version this memsoak reads)", supported);
    const Json& version = require(document, "schema_version", expected, file, "$");
    if (!version.is_number_integer() || version.get<std::int64_t>() != supported) {
        fail(file, "$.schema_version", expected, version);
    }
}

std::string string(const Json& value, const std::string& file, std::string_view path, std::string_view expected) {
    if (!value.is_string()) fail(file, path, expected, value);
    return value.get<std::string>();
}

std::string non_empty_string(const Json& value, const std::string& file, std::string_view path,
                             std::string_view expected) {
    if (!value.is_string() || value.get_ref<const std::string&>().empty()) fail(file, path, expected, value);
    return value.get<std::string>();
}

bool boolean(const Json& value, const std::string& file, std::string_view path) {
    if (!value.is_boolean()) fail(file, path, "true or false", value);
    return value.get<bool>();
}

std::uint64_t whole_number(const Json& value, const std::string& file, std::string_view path, std::uint64_t least,
                           std::uint64_t most, std::string_view expected) {
    if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
        fail(file, path, expected, value);
    }
    const auto number = value.get<std::uint64_t>();
    if (number < least || number > most) fail(file, path, expected, value);
    return number;
}

std::int64_t integer(const Json& value, const std::string& file, std::string_view path, std::int64_t least,
                     std::int64_t most, std::string_view expected) {
    if (!value.is_number_integer()) fail(file, path, expected, value);
    // An unsigned number above int64's range reads as negative through get<int64_t>.
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(most)) {
        fail(file, path, expected, value);
    }
    const auto number = value.get<std::int64_t>();
    if (number < least || number > most) fail(file, path, expected, value);
    return number;
}

double number(const Json& value, const std::string& file, std::string_view path, std::string_view expected) {
    if (!value.is_number()) fail(file, path, expected, value);
    return value.get<double>();
}

VirtualDuration duration(const Json& value, const std::string& file, std::string_view path, std::string_view example) {
    const std::string expected = fmt::format("a duration such as \"{}\"", example);
    if (!value.is_string()) fail(file, path, expected, value);
    try {
        return parse_duration(value.get_ref<const std::string&>());
    } catch (const Error&) {
        fail(file, path, expected, value);
    }
}

VirtualDuration positive_duration(const Json& value, const std::string& file, std::string_view path,
                                  std::string_view example) {
    const VirtualDuration result = duration(value, file, path, example);
    if (result.count() <= 0) fail(file, path, "a positive duration", value);
    return result;
}

bool is_plain_name(std::string_view name) {
    return !name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") == std::string_view::npos;
}

}  // namespace memsoak::engine::json_input
