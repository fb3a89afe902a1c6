#pragma once
// Whole-file reads and writes for tests, and the paths of the files the tests share with the source tree.

#include <filesystem>
#include <string>
#include <string_view>

namespace memsoak::testing {

// The whole content of a file, byte for byte; "" when it cannot be read (a test then fails on the content).
std::string read_text(const std::filesystem::path& file);
// Creates or truncates `file` with `text`; throws std::runtime_error when it cannot be written.
void write_text(const std::filesystem::path& file, std::string_view text);

// A file of the source tree by its path from the top: source_file("scenarios/nightly.json").
std::filesystem::path source_file(std::string_view relative);
// The one copy of the hourly BTC/USDT candles, shipped beside the replay scenario that reads it.
std::filesystem::path btc_candles_csv();
// The budget ledger without calibrated limits that runs in tests judge against.
std::filesystem::path uncalibrated_ledger();

}  // namespace memsoak::testing
