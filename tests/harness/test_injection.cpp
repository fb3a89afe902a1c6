// --inject values: the sizes of units.hpp, the optional capacity and end, the canonical form for the report.

#include <gtest/gtest.h>

#include "memsoak/harness/error.hpp"
#include "memsoak/harness/soak/engine_target.hpp"

namespace memsoak::harness {
namespace {

using namespace std::chrono_literals;

TEST(Injection, ParsesEveryShapeWithSizesWithOrWithoutASpace) {
    engine::Config config;
    const std::vector<std::string> canonical =
        apply_injections(config, {"toggle_indicator:per_call:48KiB", "log:bounded:256:5 MiB", "analyze:mmap:64KiB",
                                  "toggle_indicator:staircase:4 KiB@35m", "tick:per_call:100"});
    EXPECT_EQ(canonical, (std::vector<std::string>{"toggle_indicator:per_call:49152", "log:bounded:256:5242880",
                                                   "analyze:mmap:65536", "toggle_indicator:staircase:4096@35m",
                                                   "tick:per_call:100"}));
    ASSERT_EQ(config.injected_leaks.size(), 5u);
    EXPECT_EQ(config.injected_leaks[1].shape, engine::LeakShape::bounded);
    EXPECT_EQ(config.injected_leaks[1].capacity, 5242880u);
    EXPECT_EQ(config.injected_leaks[3].until, engine::VirtualDuration(35min));
    EXPECT_FALSE(config.injected_leaks[0].until.has_value());
}

TEST(Injection, TheCanonicalFormReadsBackToTheSameLeak) {
    const engine::InjectedLeak leak = parse_injection("gui_pump:bounded:1.5KiB:1MiB@1h30m");
    EXPECT_EQ(parse_injection(engine::to_string(leak)), leak);
}

TEST(Injection, RejectsWhatIsNotAWholePositiveSizeOrAKnownName) {
    for (const char* bad :
         {"", "log", "log:per_call", "log:per_call:1:2:3", "log:per_call:0.5", "log:per_call:-1", "log:per_call:1 mb",
          "log:bounded:1KiB:1", "log:per_call:1@0s", "trade:mmap:1@", "x:mmap:1"}) {
        EXPECT_THROW(parse_injection(bad), Error) << bad;
    }
}

}  // namespace
}  // namespace memsoak::harness
