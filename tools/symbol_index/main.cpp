// memsoak-symbol-index: writes the symbol index of an executable (memsoak/harness/soak/symbol_index.hpp), or checks the
// index attached to one against addr2line and prints what each costs.
//
//   memsoak-symbol-index EXECUTABLE OUTPUT        the index, for objcopy --add-section .memsoak_symbols=OUTPUT
//   memsoak-symbol-index --check EXECUTABLE [N]   N addresses (default 2000) spread over the code, named by the
//                                                 attached index and by addr2line; exit 1 when any differs

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "dwarf_symbols.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/soak/heap_sample.hpp"
#include "memsoak/harness/soak/subprocess.hpp"
#include "memsoak/harness/soak/symbol_index.hpp"

namespace {

namespace fs = std::filesystem;
using memsoak::harness::Error;
using memsoak::harness::SourceFrame;
using memsoak::harness::SymbolIndexContents;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

int write_index(const fs::path& executable, const fs::path& output) {
    const auto start = Clock::now();
    const SymbolIndexContents contents = memsoak::symbol_index_tool::read_dwarf_symbols(executable);
    const std::string bytes = memsoak::harness::serialize_symbol_index(contents);
    // Written aside and renamed: a failed build leaves no half index for objcopy to attach.
    const fs::path partial = output.string() + ".partial";
    {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!out.flush()) throw Error(fmt::format("{}: cannot be written", partial.string()));
    }
    fs::rename(partial, output);
    if (std::getenv("MEMSOAK_SYMBOL_INDEX_VERBOSE") != nullptr) {
        std::printf("%s: %zu ranges, %zu functions, %zu line rows, %.1f MiB, in %.2f s\n", output.c_str(),
                    contents.ranges.size(), contents.functions.size(), contents.lines.size(),
                    static_cast<double>(bytes.size()) / 1048576.0, seconds_since(start));
    }
    return 0;
}

std::string describe(const std::vector<SourceFrame>& frames) {
    std::string out;
    for (const SourceFrame& f : frames) out += fmt::format("{} ({}:{}) / ", f.function, f.file, f.line);
    return out;
}

int check_index(const fs::path& executable, std::size_t count) {
    const SymbolIndexContents contents = memsoak::symbol_index_tool::read_dwarf_symbols(executable);
    // Addresses spread over every function's code, at random offsets (a fixed seed: the same set each time).
    std::vector<std::uint64_t> addresses;
    std::mt19937_64 random(15);
    std::vector<std::size_t> with_code;
    for (std::size_t i = 0; i + 1 < contents.ranges.size(); ++i) {
        if (contents.ranges[i].function != memsoak::harness::symbol_index::kNone) with_code.push_back(i);
    }
    if (with_code.empty()) throw Error(fmt::format("{}: no function has code", executable.string()));
    for (std::size_t n = 0; n < count; ++n) {
        const std::size_t range = with_code[random() % with_code.size()];
        const std::uint64_t start = contents.ranges[range].start, end = contents.ranges[range + 1].start;
        addresses.push_back(start + random() % (end - start));
    }
    std::string why_not;
    const auto opened = Clock::now();
    auto index = memsoak::harness::SymbolIndex::from_executable(executable, contents.build_id, why_not);
    if (!index) throw Error(why_not);
    std::vector<std::vector<SourceFrame>> by_index;
    for (const std::uint64_t address : addresses) by_index.push_back(index->frames(address));
    const double index_seconds = seconds_since(opened);
    const auto started = Clock::now();
    std::string input;
    for (const std::uint64_t address : addresses) input += fmt::format("{:#x}\n", address);
    const auto by_addr2line = memsoak::harness::parse_addr2line(
        memsoak::harness::run_program({"addr2line", "-a", "-f", "-C", "-i", "-e", executable.string()}, input,
                                      "binutils", "addr2line"));
    const double addr2line_seconds = seconds_since(started);
    std::size_t differ = 0, inlined = 0;
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        inlined += by_index[i].size() > 1;
        if (i < by_addr2line.size() && describe(by_index[i]) == describe(by_addr2line[i])) continue;
        if (++differ <= 10) {
            std::printf("differs at %#llx:\n  index:     %s\n  addr2line: %s\n",
                        static_cast<unsigned long long>(addresses[i]), describe(by_index[i]).c_str(),
                        i < by_addr2line.size() ? describe(by_addr2line[i]).c_str() : "(no answer)");
        }
    }
    std::printf(
        "%zu addresses (%zu with inlined frames): %zu named differently from addr2line; "
        "index %.2f ms (%.1f us an address), addr2line %.0f ms\n",
        addresses.size(), inlined, differ, index_seconds * 1e3,
        index_seconds * 1e6 / static_cast<double>(addresses.size()), addr2line_seconds * 1e3);
    return differ == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    try {
        if (args.size() == 2 && args[0] != "--check") return write_index(args[0], args[1]);
        if ((args.size() == 2 || args.size() == 3) && args[0] == "--check") {
            std::size_t count = 2000;
            if (args.size() == 3) {
                char* end = nullptr;
                count = std::strtoul(std::string(args[2]).c_str(), &end, 10);
                if (end == nullptr || *end != '\0' || count == 0) {
                    std::fprintf(stderr, "memsoak-symbol-index: --check: expected a count of addresses, got \"%s\"\n",
                                 std::string(args[2]).c_str());
                    return 2;
                }
            }
            return check_index(args[1], count);
        }
        std::fprintf(stderr,
                     "usage: memsoak-symbol-index EXECUTABLE OUTPUT\n"
                     "       memsoak-symbol-index --check EXECUTABLE [ADDRESSES]\n");
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "memsoak-symbol-index: %s\n", e.what());
        return 2;
    }
}
