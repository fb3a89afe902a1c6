#include "support/files.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace memsoak::testing {

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const std::filesystem::path& file, std::string_view text) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

std::filesystem::path source_file(std::string_view relative) {
    return std::filesystem::path(MEMSOAK_SOURCE_DIR) / relative;
}

std::filesystem::path btc_candles_csv() { return source_file("scenarios/data/BTCUSDT_1h.csv"); }

std::filesystem::path uncalibrated_ledger() { return source_file("tests/data/budgets-uncalibrated.json"); }

}  // namespace memsoak::testing
