#pragma once
// JSON files written by the binary under test, read back whole.

#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/files.hpp"

namespace memsoak::testing {

// The parsed content of `file`; throws nlohmann::json::parse_error, naming the byte, when it is not JSON.
inline nlohmann::json read_json(const std::filesystem::path& file) { return nlohmann::json::parse(read_text(file)); }

}  // namespace memsoak::testing
