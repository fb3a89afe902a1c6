#include "memsoak/harness/units.hpp"

#include <gtest/gtest.h>
#include <cmath>
#include <string>

#include "memsoak/harness/error.hpp"
#include "support/errors.hpp"

namespace memsoak::harness {
namespace {

using testing::message_of;

template <typename Parse>
std::string error_of(Parse parse, std::string_view text) {
    return message_of<Error>([&] { parse(text); });
}

std::string size_error(std::string_view text) { return error_of(parse_size, text); }
std::string rate_error(std::string_view text) { return error_of(parse_rate, text); }
std::string size_rate_error(std::string_view text) { return error_of(parse_size_rate, text); }

TEST(ParseSize, ReadsEveryUnit) {
    EXPECT_EQ(parse_size("2048 B"), 2048.0);
    EXPECT_EQ(parse_size("0 B"), 0.0);
    EXPECT_EQ(parse_size("7 B"), 7.0);
    EXPECT_EQ(parse_size("1 KB"), 1000.0);
    EXPECT_EQ(parse_size("1kB"), 1000.0);
    EXPECT_EQ(parse_size("8 MB"), 8'000'000.0);  // decimal: 10^6, not 2^20
    EXPECT_EQ(parse_size("1.5 GB"), 1'500'000'000.0);
    EXPECT_EQ(parse_size("512KiB"), 524'288.0);
    EXPECT_EQ(parse_size("50 MiB"), 52'428'800.0);
    EXPECT_EQ(parse_size("3 GiB"), 3'221'225'472.0);
    EXPECT_EQ(parse_size("  0.5 KiB  "), 512.0);
}

TEST(ParseSize, RejectsWhatIsNotASize) {
    const std::string expected =
        "expected a size with its unit such as \"50 MiB\", \"512KiB\" or \"4096 B\" (units B, KB, MB, GB, KiB, MiB, "
        "GiB)";
    EXPECT_EQ(size_error("fast"), expected + ", got \"fast\"");
    EXPECT_EQ(size_error(""), expected + ", got \"\"");
    EXPECT_EQ(size_error("MiB"), expected + ", got \"MiB\"");
    EXPECT_EQ(size_error("-1 MiB"), expected + ", got \"-1 MiB\"");
    EXPECT_EQ(size_error("5 mb"), expected + ", got \"5 mb\"");  // case matters: not millibits
    EXPECT_EQ(size_error("1 MiB extra"), expected + ", got \"1 MiB extra\"");
    EXPECT_EQ(size_error("inf B"), expected + ", got \"inf B\"");
    EXPECT_EQ(size_error("1 TiB"), expected + ", got \"1 TiB\"");
    // A bare number: bytes or MiB? "--max-rss 100" meant the latter.
    EXPECT_EQ(size_error("2048"), expected + ", got \"2048\"");
    // Finite but beyond any memory: a limit that could never fail.
    EXPECT_EQ(size_error("1e308 GB"), "expected a size of at most 1 TiB, got \"1e308 GB\"");
    EXPECT_EQ(size_error("1025 GiB"), "expected a size of at most 1 TiB, got \"1025 GiB\"");
    EXPECT_EQ(parse_size("1024 GiB"), 1024.0 * 1024 * 1024 * 1024);
}

TEST(ParseRate, ReadsEventsPerSecond) {
    EXPECT_DOUBLE_EQ(parse_rate("10/s"), 10.0);
    EXPECT_DOUBLE_EQ(parse_rate("4/h"), 4.0 / 3600.0);
    EXPECT_DOUBLE_EQ(parse_rate("96/d"), 96.0 / 86400.0);
    EXPECT_DOUBLE_EQ(parse_rate("1/15m"), 1.0 / 900.0);
    EXPECT_DOUBLE_EQ(parse_rate("3/500ms"), 6.0);
    EXPECT_DOUBLE_EQ(parse_rate("0.5 / s"), 0.5);
    EXPECT_DOUBLE_EQ(parse_rate("0/s"), 0.0);
}

TEST(ParseRate, RejectsWhatIsNotARate) {
    const std::string expected = "expected a rate such as \"10/s\", \"4/h\" or \"1/15m\" (events per period)";
    EXPECT_EQ(rate_error("often"), expected + ", got \"often\"");
    EXPECT_EQ(rate_error("10"), expected + ", got \"10\"");
    EXPECT_EQ(rate_error("10/x"), expected + ", got \"10/x\"");
    EXPECT_EQ(rate_error("/s"), expected + ", got \"/s\"");
    EXPECT_EQ(rate_error("1/0s"), expected + ", got \"1/0s\"");
    EXPECT_EQ(rate_error("-1/s"), expected + ", got \"-1/s\"");
    EXPECT_EQ(rate_error("1/s/s"), expected + ", got \"1/s/s\"");
    EXPECT_EQ(rate_error("1 KiB/s"), expected + ", got \"1 KiB/s\"");
}

TEST(ParseSizeRate, ReadsBytesPerHour) {
    EXPECT_DOUBLE_EQ(parse_size_rate("1 MiB/h"), 1'048'576.0);
    EXPECT_DOUBLE_EQ(parse_size_rate("500 KiB/d"), 512'000.0 / 24.0);
    EXPECT_DOUBLE_EQ(parse_size_rate("8 MB/h"), 8'000'000.0);
    EXPECT_DOUBLE_EQ(parse_size_rate("64 KiB/15m"), 4 * 65'536.0);
    EXPECT_DOUBLE_EQ(parse_size_rate("1 KiB/s"), 3600 * 1024.0);
    EXPECT_DOUBLE_EQ(parse_size_rate("0 B/h"), 0.0);
}

TEST(ParseSizeRate, RejectsWhatIsNotASizeRate) {
    const std::string expected = "expected a growth rate such as \"1 MiB/h\" or \"500 KiB/d\" (a size per period)";
    EXPECT_EQ(size_rate_error("lots"), expected + ", got \"lots\"");
    EXPECT_EQ(size_rate_error("1 MiB"), expected + ", got \"1 MiB\"");
    EXPECT_EQ(size_rate_error("1 MiB/fortnight"), expected + ", got \"1 MiB/fortnight\"");
    EXPECT_EQ(size_rate_error("1 mib/h"), expected + ", got \"1 mib/h\"");
    EXPECT_EQ(size_rate_error("1 MiB/0h"), expected + ", got \"1 MiB/0h\"");
}

TEST(FormatBytes, PicksTheLargestBinaryUnitBelow1024) {
    EXPECT_EQ(format_bytes(0), "0 B");
    EXPECT_EQ(format_bytes(512), "512 B");
    EXPECT_EQ(format_bytes(1023), "1023 B");
    EXPECT_EQ(format_bytes(1023.6), "1.0 KiB");  // would round to "1024 B"
    EXPECT_EQ(format_bytes(1536), "1.5 KiB");
    EXPECT_EQ(format_bytes(48.3 * 1048576), "48.3 MiB");
    EXPECT_EQ(format_bytes(1048575), "1.0 MiB");  // 1023.999 KiB would print as "1024.0 KiB"
    EXPECT_EQ(format_bytes(5.0 * 1073741824), "5.0 GiB");
    EXPECT_EQ(format_bytes(4096.0 * 1073741824), "4096.0 GiB");
}

TEST(FormatBytes, KeepsTheSignAndNamesNonFiniteValues) {
    EXPECT_EQ(format_bytes(-2.0 * 1048576), "-2.0 MiB");
    EXPECT_EQ(format_bytes(-0.3), "0 B");
    EXPECT_EQ(format_bytes(std::nan("")), "n/a");
    EXPECT_EQ(format_bytes(INFINITY), "n/a");
}

TEST(FormatSizeRate, AppendsPerHour) {
    EXPECT_EQ(format_size_rate(10.2 * 1048576), "10.2 MiB/h");
    EXPECT_EQ(format_size_rate(-64 * 1024.0), "-64.0 KiB/h");
    EXPECT_EQ(format_size_rate(std::nan("")), "n/a");
}

TEST(Units, FormattedSizesParseBack) {
    EXPECT_EQ(parse_size(format_bytes(52'428'800)), 52'428'800.0);
    EXPECT_DOUBLE_EQ(parse_size_rate(format_size_rate(1'048'576)), 1'048'576.0);
}

}  // namespace
}  // namespace memsoak::harness
