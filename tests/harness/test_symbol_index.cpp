// The symbol index (memsoak/harness/soak/symbol_index.hpp): lookups in a small index made here (inlined frames, lines,
// gaps, BFD's naming of functions without a linkage name), refusal of another build's index or of a damaged one,
// the fallback to addr2line where an executable has none, and the index that tools/symbol_index makes of this
// test binary against addr2line on a few hundred addresses.

#include "memsoak/harness/soak/symbol_index.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "memsoak/harness/error.hpp"
#include "memsoak/harness/soak/heap_profile.hpp"
#include "memsoak/harness/soak/heap_sample.hpp"

namespace memsoak::harness {
namespace {

namespace fs = std::filesystem;

class TempFile {
public:
    TempFile() : path_(fs::temp_directory_path() / fmt::format("symbol-index-test-{}-{}", ::getpid(), counter_++)) {}
    ~TempFile() { fs::remove(path_); }
    const fs::path& path() const { return path_; }
    void write(const std::string& bytes) const {
        std::ofstream out(path_, std::ios::binary);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }

private:
    static inline int counter_ = 0;
    fs::path path_;
};

const std::string kBuildId = "\x01\x02\x03\x04";

// Two functions at 0x1000 (with `inner` inlined at 0x1010) and at 0x2000 (anonymous namespace: no linkage name in
// the DWARF, with a lambda inlined at 0x2010), code without a function at 0x1100.
SymbolIndexContents small_index() {
    SymbolIndexContents c;
    c.build_id = kBuildId;
    c.functions = {
        {"memsoak::outer(int)", symbol_index::kNone, "", 0, 0x1000, true},
        {"memsoak::inner()", 0, "/w/engine/src/outer.cpp", 7, 0x1010, true},
        {"anon", symbol_index::kNone, "", 0, 0x2000, false},
        {"operator()", 2, "/w/engine/src/anon.cpp", 31, 0x2010, false},
    };
    c.symbols = {{0x1000, "memsoak::outer(int)"}, {0x2000, "memsoak::(anonymous namespace)::anon()"}};
    c.ranges = {{0x1000, 0, 0}, {0x1010, 1, 0}, {0x1020, 0, 0}, {0x1100, symbol_index::kNone, 0},
                {0x2000, 2, 1}, {0x2010, 3, 1}, {0x2020, 2, 1}, {0x2100, symbol_index::kNone, symbol_index::kNone}};
    c.lines = {{0x1000, "/w/engine/src/outer.cpp", 5}, {0x1010, "/w/engine/include/inner.hpp", 20},
               {0x1020, "/w/engine/src/outer.cpp", 8}, {0x1100, "", 0},
               {0x2000, "/w/engine/src/anon.cpp", 30}, {0x2010, "/w/engine/src/anon.cpp", 32},
               {0x2020, "/w/engine/src/anon.cpp", 33}, {0x2100, "", 0}};
    return c;
}

std::string describe(const std::vector<SourceFrame>& frames) {
    std::string out;
    for (const SourceFrame& f : frames) out += fmt::format("{} ({}:{}) / ", f.function, f.file, f.line);
    return out;
}

SymbolIndex open_small_index(const TempFile& file) {
    file.write(serialize_symbol_index(small_index()));
    std::string why_not;
    auto index = SymbolIndex::from_file(file.path(), kBuildId, why_not);
    if (!index) throw Error(why_not);
    return std::move(*index);
}

TEST(SymbolIndex, NamesAFunctionWithItsInlinedFramesAndLines) {
    TempFile file;
    SymbolIndex index = open_small_index(file);
    EXPECT_EQ(describe(index.frames(0x1004)), "memsoak::outer (engine/src/outer.cpp:5) / ");
    // Inlined: the inner function at the line table's place, then its caller at the call's line.
    EXPECT_EQ(describe(index.frames(0x101f)),
              "memsoak::inner (engine/include/inner.hpp:20) / memsoak::outer (engine/src/outer.cpp:7) / ");
    EXPECT_EQ(describe(index.frames(0x1020)), "memsoak::outer (engine/src/outer.cpp:8) / ");
    // Before any code, and after the last line: nothing known.
    EXPECT_EQ(describe(index.frames(0x10)), "?? (:0) / ");
    EXPECT_EQ(describe(index.frames(0x3000)), "?? (:0) / ");
}

TEST(SymbolIndex, CodeWithoutAFunctionIsNamedAfterTheSymbolBeforeIt) {
    TempFile file;
    SymbolIndex index = open_small_index(file);
    EXPECT_EQ(describe(index.frames(0x1104)), "memsoak::outer (:0) / ");
}

// BFD's addr2line names a function without a linkage name after the symbol before the address the first time it
// is the innermost frame, keeps that name for the function when the symbol starts where it does, and names it
// plainly afterwards: the same addresses in the same order read the same as one addr2line process.
TEST(SymbolIndex, AFunctionWithoutALinkageNameIsNamedAsOneAddr2lineProcessNamesIt) {
    TempFile file;
    SymbolIndex index = open_small_index(file);
    // The lambda first: named after the symbol of the function around it; that function not looked at yet.
    EXPECT_EQ(describe(index.frames(0x2014)),
              "memsoak::(anonymous namespace)::anon (engine/src/anon.cpp:32) / anon (engine/src/anon.cpp:31) / ");
    // The function itself: its symbol starts where it does, so it takes the symbol's name for good.
    EXPECT_EQ(describe(index.frames(0x2004)), "memsoak::(anonymous namespace)::anon (engine/src/anon.cpp:30) / ");
    EXPECT_EQ(describe(index.frames(0x2014)),
              "operator() (engine/src/anon.cpp:32) / memsoak::(anonymous namespace)::anon (engine/src/anon.cpp:31) / ");
}

TEST(SymbolIndex, AnotherBuildsOrADamagedIndexIsRefusedWithTheReason) {
    TempFile file;
    file.write(serialize_symbol_index(small_index()));
    std::string why_not;
    EXPECT_FALSE(SymbolIndex::from_file(file.path(), "\x01\x02\x03\x05", why_not));
    EXPECT_NE(why_not.find("the symbol index is another build's (build-id 01020304, this one 01020305)"),
              std::string::npos)
        << why_not;
    EXPECT_FALSE(SymbolIndex::from_file(file.path(), "", why_not));

    const std::string bytes = serialize_symbol_index(small_index());
    file.write(bytes.substr(0, bytes.size() / 2));
    EXPECT_FALSE(SymbolIndex::from_file(file.path(), kBuildId, why_not));
    EXPECT_NE(why_not.find("tables do not fit"), std::string::npos) << why_not;

    file.write("not an index at all, but long enough to hold a header of one: " + std::string(200, 'x'));
    EXPECT_FALSE(SymbolIndex::from_file(file.path(), kBuildId, why_not));
    EXPECT_NE(why_not.find("is not a symbol index"), std::string::npos) << why_not;

    EXPECT_FALSE(SymbolIndex::from_file("/nonexistent/index", kBuildId, why_not));
}

TEST(SymbolIndex, AnExecutableWithoutTheSectionHasNoIndex) {
    std::string why_not;
    EXPECT_FALSE(SymbolIndex::from_executable("/proc/self/exe", executable_build_id(), why_not));
    EXPECT_NE(why_not.find("has no .memsoak_symbols section"), std::string::npos) << why_not;
    EXPECT_EQ(executable_build_id().size(), 20u) << "Debian's toolchain links with a SHA-1 build-id";
}

TEST(SymbolIndex, SerializingRefusesTablesOutOfOrder) {
    SymbolIndexContents c = small_index();
    std::swap(c.lines[0], c.lines[1]);
    EXPECT_THROW(serialize_symbol_index(c), Error);
}

// Addresses of this binary's own code: every 10th byte of sites_of() and collapsed_stacks() (sorting, maps,
// lambdas and library code inlined), ascending as the sampler asks for them.
std::vector<std::uint64_t> addresses_of_this_binary() {
    std::vector<std::uint64_t> out;
    const std::uintptr_t bias = executable_load_bias();
    for (const auto start :
         {reinterpret_cast<std::uintptr_t>(&sites_of), reinterpret_cast<std::uintptr_t>(&collapsed_stacks)}) {
        for (std::uintptr_t offset = 0; offset < 1500; offset += 10) out.push_back(start + offset - bias);
    }
    std::sort(out.begin(), out.end());
    return out;
}

// No index in this test binary: symbolize_executable() falls back to addr2line, which still names it.
TEST(SymbolIndex, WithoutAnIndexAddr2lineNamesTheFrames) {
    const std::vector<std::uint64_t> addresses = {reinterpret_cast<std::uintptr_t>(&sites_of) - executable_load_bias()};
    const auto frames = symbolize_executable(addresses, current_executable());
    ASSERT_EQ(frames.size(), 1u);
    ASSERT_FALSE(frames[0].empty());
    EXPECT_EQ(frames[0].back().function, "memsoak::harness::sites_of");
    EXPECT_EQ(frames[0].back().file, "harness/src/soak/heap_sample.cpp");
}

#ifdef MEMSOAK_SYMBOL_INDEX_TOOL
// Leak signatures hash the names: the index must name every frame as addr2line does.
TEST(SymbolIndex, TheToolsIndexOfThisBinaryNamesEveryFrameAsAddr2lineDoes) {
    TempFile file;
    const std::string command =
        fmt::format("{} /proc/{}/exe {}", MEMSOAK_SYMBOL_INDEX_TOOL, ::getpid(), file.path().string());
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    std::string why_not;
    auto index = SymbolIndex::from_file(file.path(), executable_build_id(), why_not);
    ASSERT_TRUE(index) << why_not;
    const std::vector<std::uint64_t> addresses = addresses_of_this_binary();
    const auto expected = symbolize_executable(addresses, current_executable(), SymbolSource::addr2line);
    ASSERT_EQ(expected.size(), addresses.size());
    std::size_t compared = 0, inlined = 0, differ = 0;
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        const auto frames = index->frames(addresses[i]);
        // Only the two functions' own code: past their ends lie others', some of them inline functions whose code
        // several compilation units describe, where BFD and the index may take different units' lines (see
        // docs/diagnosis.md, "The symbol index").
        const std::string outermost = expected[i].empty() ? "" : expected[i].back().function;
        if (outermost != "memsoak::harness::sites_of" && outermost != "memsoak::harness::collapsed_stacks") continue;
        ++compared;
        inlined += frames.size() > 1;
        differ += describe(frames) != describe(expected[i]);
        EXPECT_EQ(describe(frames), describe(expected[i])) << fmt::format("at {:#x}", addresses[i]);
    }
    EXPECT_GT(compared, 200u) << "of " << addresses.size();
    EXPECT_GT(inlined, 50u) << "the addresses have inlined frames to compare";
    EXPECT_EQ(differ, 0u) << "of " << compared;
}
#endif

}  // namespace
}  // namespace memsoak::harness
