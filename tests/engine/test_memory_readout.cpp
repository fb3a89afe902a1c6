#include <gtest/gtest.h>
#include <unistd.h>
#include <cstring>
#include <memory>

#include "memsoak/engine/memory_readout.hpp"

namespace memsoak::engine {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

TEST(MemoryReadout, FormatsMebibytesWithOneDecimal) {
    EXPECT_EQ(format_memory(kMiB + kMiB / 2), "Memory: 1.5 MB");
    EXPECT_EQ(format_memory(0), "Memory: 0.0 MB");
    EXPECT_EQ(format_memory(45298483), "Memory: 43.2 MB");  // 43.2 * 1048576 = 45298483.2
    EXPECT_EQ(format_memory(500 * kMiB), "Memory: 500.0 MB");
    // 1,000,000 bytes is 0.95 MiB: the study divides by 1024 twice, not by a million.
    EXPECT_EQ(format_memory(1'000'000), "Memory: 1.0 MB");
    EXPECT_EQ(format_memory(900'000), "Memory: 0.9 MB");
}

TEST(MemoryReadout, ResidentSetIsWholePagesAndSeesTouchedMemory) {
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    std::uint64_t before = current_rss_bytes();
    EXPECT_GT(before, 0u);
    EXPECT_EQ(before % page, 0u);

    constexpr std::size_t kTouched = 32 * kMiB;
    auto block = std::make_unique<char[]>(kTouched);
    std::memset(block.get(), 1, kTouched);
    std::uint64_t after = current_rss_bytes();
    EXPECT_GE(after, before + kTouched - kMiB) << "before " << before << ", after " << after;
    EXPECT_EQ(block[kTouched - 1], 1);
}

}  // namespace
}  // namespace memsoak::engine
