// Durations as scenario files and options write them (engine/time.hpp): every form parse_duration accepts and
// refuses, format_duration's shortest exact form, and the round trips between the two.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/time.hpp"
#include "support/errors.hpp"

namespace memsoak::engine {
namespace {

using namespace std::chrono_literals;
using testing::message_of;

VirtualDuration micros(std::int64_t count) { return VirtualDuration(count); }

std::string duration_error(std::string_view text) {
    return message_of<Error>([&] { parse_duration(text); });
}

// The one refusal parse_duration has, quoting the text as given.
std::string refused(std::string_view text) {
    return "expected a duration such as \"90s\", \"15m\", \"8h\" or \"30d\" (units us, ms, s, m, h, d, w), got \"" +
           std::string(text) + "\"";
}

TEST(ParseDuration, ReadsEveryUnit) {
    EXPECT_EQ(parse_duration("250us"), micros(250));
    EXPECT_EQ(parse_duration("500ms"), 500ms);
    EXPECT_EQ(parse_duration("90s"), 90s);
    EXPECT_EQ(parse_duration("15m"), 15min);
    EXPECT_EQ(parse_duration("8h"), 8h);
    EXPECT_EQ(parse_duration("30d"), 30 * 24h);
    EXPECT_EQ(parse_duration("1w"), 7 * 24h);
}

TEST(ParseDuration, SumsPartsAndAcceptsSpacesFractionsAndZero) {
    EXPECT_EQ(parse_duration("1h30m"), 90min);
    EXPECT_EQ(parse_duration("1d2h3m4s5ms6us"), 24h + 2h + 3min + 4s + 5ms + micros(6));
    EXPECT_EQ(parse_duration("1h 30m"), 90min);
    EXPECT_EQ(parse_duration(" 2 h "), 2h);
    EXPECT_EQ(parse_duration("30m1h"), 90min);  // any order: the parts are summed
    EXPECT_EQ(parse_duration("1.5h"), 90min);
    EXPECT_EQ(parse_duration("0.25s"), 250ms);
    EXPECT_EQ(parse_duration("1e3s"), 1000s);
    EXPECT_EQ(parse_duration("0s"), micros(0));
    EXPECT_EQ(parse_duration("0.4us"), micros(0));  // rounded to the nearest microsecond
    EXPECT_EQ(parse_duration("0.5us"), micros(1));
}

TEST(ParseDuration, ReadsUpToTenThousandYears) {
    EXPECT_EQ(parse_duration("3703703d"), 3703703 * 24h);        // 3.1999994e17 us
    EXPECT_EQ(duration_error("3703704d"), refused("3703704d"));  // 3.2000003e17 us: beyond the limit
    EXPECT_EQ(duration_error("1e18s"), refused("1e18s"));
    EXPECT_EQ(duration_error("inf h"), refused("inf h"));
}

TEST(ParseDuration, RefusesWhatIsNotADuration) {
    for (const std::string_view text :
         {"", "   ", "15", "h", "15x", "1hour", "1mm", "1h30", "-1h", "+1h", "nan s", "1 KiB", "1h,30m", "ms5"}) {
        EXPECT_EQ(duration_error(text), refused(text)) << "\"" << text << "\"";
    }
}

TEST(FormatDuration, WritesTheShortestExactForm) {
    EXPECT_EQ(format_duration(micros(0)), "0s");
    EXPECT_EQ(format_duration(micros(1)), "1us");
    EXPECT_EQ(format_duration(250ms), "250ms");
    EXPECT_EQ(format_duration(90s), "1m30s");
    EXPECT_EQ(format_duration(90min), "1h30m");
    EXPECT_EQ(format_duration(24h), "1d");
    EXPECT_EQ(format_duration(7 * 24h), "7d");  // days are the largest unit written: no weeks
    EXPECT_EQ(format_duration(24h + 2h + 3min + 4s + 5ms + micros(6)), "1d2h3m4s5ms6us");
    EXPECT_EQ(format_duration(-90s), "-1m30s");
}

TEST(Durations, FormattedDurationsParseBackExactly) {
    for (const VirtualDuration d : {micros(1), micros(999), micros(1001), VirtualDuration(1500ms), VirtualDuration(59s),
                                    VirtualDuration(61min), VirtualDuration(25h), VirtualDuration(36500 * 24h),
                                    VirtualDuration(24h + 2h + 3min + 4s + 5ms + micros(6)), kMaxRunDuration}) {
        EXPECT_EQ(parse_duration(format_duration(d)), d) << format_duration(d);
    }
}

TEST(Durations, ParsedTextFormatsToItsCanonicalForm) {
    EXPECT_EQ(format_duration(parse_duration("90m")), "1h30m");
    EXPECT_EQ(format_duration(parse_duration("1w")), "7d");
    EXPECT_EQ(format_duration(parse_duration(" 1h 30m ")), "1h30m");
    EXPECT_EQ(format_duration(parse_duration("0.5s")), "500ms");
    EXPECT_EQ(format_duration(parse_duration("3600s")), "1h");
}

TEST(Durations, ANegativeDurationFormatsButDoesNotParseBack) {
    // Differences of times can be negative in reports; no scenario field may be.
    EXPECT_EQ(duration_error(format_duration(-90s)), refused("-1m30s"));
}

}  // namespace
}  // namespace memsoak::engine
