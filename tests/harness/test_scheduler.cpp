#include "memsoak/harness/soak/scheduler.hpp"

#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

#include "memsoak/harness/error.hpp"
#include "support/errors.hpp"

namespace memsoak::harness {
namespace {

using testing::message_of;

using namespace std::chrono_literals;
using engine::virtual_epoch;

VirtualTime at_seconds(std::int64_t seconds) { return virtual_epoch + std::chrono::seconds(seconds); }

// "label@seconds" for each event run, in run order.
struct Trace {
    std::vector<std::string> events;

    Scheduler::Callback record(std::string label) {
        return [this, label](VirtualTime now) { events.push_back(fmt_event(label, now)); };
    }

    static std::string fmt_event(const std::string& label, VirtualTime now) {
        return label + "@" + std::to_string(now.time_since_epoch().count() / 1'000'000);
    }
};

std::vector<std::int64_t> poisson_micros(std::uint64_t seed, std::size_t count) {
    Scheduler scheduler(seed);
    std::vector<std::int64_t> times;
    scheduler.poisson(1.0, virtual_epoch, std::nullopt, count,
                      [&](VirtualTime now) { times.push_back(now.time_since_epoch().count()); });
    scheduler.run_until(at_seconds(1'000'000), {});
    return times;
}

TEST(Scheduler, EveryFiresInItsWindowAndStopsAtItsCount) {
    Scheduler scheduler(1);
    Trace trace;
    scheduler.every(10s, at_seconds(5), at_seconds(45), std::nullopt, trace.record("window"));  // until exclusive
    scheduler.every(20s, at_seconds(0), std::nullopt, 2, trace.record("counted"));
    scheduler.every(30s, at_seconds(60), std::nullopt, std::nullopt, trace.record("open"));
    const RunOutcome outcome = scheduler.run_until(at_seconds(100), {});

    EXPECT_EQ(trace.events, (std::vector<std::string>{"counted@0", "window@5", "window@15", "counted@20", "window@25",
                                                      "window@35", "open@60", "open@90"}));
    EXPECT_EQ(outcome.reached, at_seconds(100));
    EXPECT_FALSE(outcome.stopped_early);
    EXPECT_EQ(scheduler.now(), at_seconds(100));
    EXPECT_EQ(scheduler.events_run(), 8u);
}

TEST(Scheduler, AtFiresOnceAtEachTime) {
    Scheduler scheduler(1);
    Trace trace;
    scheduler.at(at_seconds(30), trace.record("late"));
    scheduler.at(at_seconds(0), trace.record("start"));
    scheduler.at(at_seconds(7), trace.record("middle"));
    scheduler.run_until(at_seconds(60), {});
    EXPECT_EQ(trace.events, (std::vector<std::string>{"start@0", "middle@7", "late@30"}));
}

TEST(Scheduler, EndIsInclusiveAndLaterEventsWaitForTheNextRun) {
    Scheduler scheduler(1);
    Trace trace;
    scheduler.every(1min, virtual_epoch, std::nullopt, std::nullopt, trace.record("sample"));
    scheduler.run_until(at_seconds(120), {});
    EXPECT_EQ(trace.events, (std::vector<std::string>{"sample@0", "sample@60", "sample@120"}));
    scheduler.run_until(at_seconds(200), {});
    EXPECT_EQ(trace.events, (std::vector<std::string>{"sample@0", "sample@60", "sample@120", "sample@180"}));
    EXPECT_EQ(scheduler.now(), at_seconds(200));
}

TEST(Scheduler, TiesRunInRegistrationOrderNotQueueOrder) {
    Scheduler scheduler(1);
    Trace trace;
    // The sampler's 15m firing is queued at 0, the workload's at 14m; registration order still decides.
    scheduler.every(1min, virtual_epoch, std::nullopt, std::nullopt, trace.record("workload"));
    scheduler.every(15min, virtual_epoch, std::nullopt, std::nullopt, trace.record("sampler"));
    scheduler.at(at_seconds(900), trace.record("once"));
    scheduler.run_until(at_seconds(900), {});
    const std::vector<std::string> at_15m(trace.events.end() - 3, trace.events.end());
    EXPECT_EQ(at_15m, (std::vector<std::string>{"workload@900", "sampler@900", "once@900"}));
    EXPECT_EQ(trace.events.front(), "workload@0");
    EXPECT_EQ(trace.events[1], "sampler@0");
}

TEST(Scheduler, CallbacksScheduleNewEvents) {
    Scheduler scheduler(1);
    Trace trace;
    scheduler.at(at_seconds(10), [&](VirtualTime now) {
        trace.events.push_back(Trace::fmt_event("freeze", now));
        scheduler.at(now + 30s, trace.record("thaw"));
        scheduler.at(now, trace.record("same-time"));  // registered later, so it runs after its creator
        scheduler.every(15s, now + 5s, now + 40s, std::nullopt, trace.record("poll"));
    });
    scheduler.every(10s, virtual_epoch, std::nullopt, 5, trace.record("tick"));
    scheduler.run_until(at_seconds(60), {});
    // At 30 s and 40 s the tick, registered second, runs before streams its first callback registered.
    EXPECT_EQ(trace.events,
              (std::vector<std::string>{"tick@0", "freeze@10", "tick@10", "same-time@10", "poll@15", "tick@20",
                                        "tick@30", "poll@30", "tick@40", "thaw@40", "poll@45"}));
}

TEST(Scheduler, StopPredicateStopsBetweenEventsAndTheRunCanContinue) {
    Scheduler scheduler(1);
    Trace trace;
    scheduler.every(1s, virtual_epoch, std::nullopt, 6, trace.record("e"));
    int asked = 0;
    const RunOutcome stopped = scheduler.run_until(at_seconds(100), [&] { return ++asked > 3; });
    EXPECT_TRUE(stopped.stopped_early);
    EXPECT_EQ(stopped.reached, at_seconds(2));
    EXPECT_EQ(scheduler.now(), at_seconds(2));
    EXPECT_EQ(scheduler.events_run(), 3u);
    EXPECT_EQ(asked, 4);

    const RunOutcome finished = scheduler.run_until(at_seconds(100), {});
    EXPECT_FALSE(finished.stopped_early);
    EXPECT_EQ(finished.reached, at_seconds(100));
    EXPECT_EQ(trace.events, (std::vector<std::string>{"e@0", "e@1", "e@2", "e@3", "e@4", "e@5"}));
}

TEST(Scheduler, PoissonArrivalsMatchAHandComputedTrace) {
    // Reference from an independent splitmix64 implementation: stream k's state is output k+1 of splitmix64(seed),
    // each gap is -ln(1 - u) / rate with u the top 53 bits of the next output, arrivals are rounded exact sums.
    Scheduler scheduler(42);
    std::vector<std::int64_t> first, second;
    scheduler.poisson(1.0, virtual_epoch, std::nullopt, 6,
                      [&](VirtualTime now) { first.push_back(now.time_since_epoch().count()); });
    scheduler.poisson(0.5, at_seconds(10), at_seconds(21), std::nullopt,
                      [&](VirtualTime now) { second.push_back(now.time_since_epoch().count()); });
    scheduler.run_until(at_seconds(1000), {});
    EXPECT_EQ(first, (std::vector<std::int64_t>{420516, 3538342, 4204554, 4274288, 5404130, 5474027}));
    // The window ends at 21 s (exclusive): the fourth arrival, 23102965 us, is left out.
    EXPECT_EQ(second, (std::vector<std::int64_t>{18641675, 19379930, 20793406}));
}

TEST(Scheduler, EqualSeedsGiveEqualArrivalsAndOtherSeedsOthers) {
    EXPECT_EQ(poisson_micros(7, 50), poisson_micros(7, 50));
    EXPECT_EQ(poisson_micros(7, 3), (std::vector<std::int64_t>{1278367, 2327344, 3124463}));
    EXPECT_NE(poisson_micros(7, 50), poisson_micros(8, 50));
}

TEST(Scheduler, OtherStreamsDoNotChangeAPoissonStreamsArrivals) {
    std::vector<std::int64_t> alone, among_others;
    {
        Scheduler scheduler(99);
        scheduler.poisson(2.0, virtual_epoch, std::nullopt, 40,
                          [&](VirtualTime now) { alone.push_back(now.time_since_epoch().count()); });
        scheduler.run_until(at_seconds(3600), {});
    }
    {
        Scheduler scheduler(99);
        scheduler.every(250ms, virtual_epoch, std::nullopt, std::nullopt, [](VirtualTime) {});
        scheduler.at(at_seconds(3), [](VirtualTime) {});
        scheduler.poisson(2.0, virtual_epoch, std::nullopt, 40,
                          [&](VirtualTime now) { among_others.push_back(now.time_since_epoch().count()); });
        scheduler.poisson(50.0, virtual_epoch, std::nullopt, std::nullopt, [](VirtualTime) {});
        scheduler.run_until(at_seconds(3600), {});
    }
    ASSERT_EQ(alone.size(), 40u);
    EXPECT_EQ(alone, among_others);
}

TEST(Scheduler, PoissonMeanRateIsTheRequestedRate) {
    Scheduler scheduler(2024);
    std::uint64_t arrivals = 0;
    VirtualTime last = virtual_epoch;
    bool ordered = true;
    scheduler.poisson(10.0, virtual_epoch, std::nullopt, std::nullopt, [&](VirtualTime now) {
        ordered = ordered && now >= last;
        last = now;
        ++arrivals;
    });
    scheduler.run_until(at_seconds(20'000), {});
    // 200000 expected; a Poisson count's standard deviation is sqrt(200000) = 447; allow 5 of them.
    EXPECT_NEAR(static_cast<double>(arrivals), 200'000.0, 5 * 447.0);
    EXPECT_TRUE(ordered);
}

TEST(Scheduler, FinishedOneShotsReleaseWhatTheyCaptured) {
    Scheduler scheduler(1);
    auto resource = std::make_shared<int>(0);
    scheduler.at(at_seconds(1), [held = resource](VirtualTime) { ++*held; });
    EXPECT_EQ(resource.use_count(), 2);
    scheduler.run_until(at_seconds(2), {});
    EXPECT_EQ(*resource, 1);
    EXPECT_EQ(resource.use_count(), 1);
}

TEST(Scheduler, RejectsImpossibleRequestsWithExactMessages) {
    Scheduler scheduler(1);
    scheduler.run_until(at_seconds(600), {});
    const auto noop = [](VirtualTime) {};
    EXPECT_EQ(message_of<Error>([&] { scheduler.every(0s, at_seconds(600), std::nullopt, std::nullopt, noop); }),
              "Scheduler::every: expected a positive period, got 0s");
    EXPECT_EQ(message_of<Error>([&] { scheduler.every(1s, at_seconds(60), std::nullopt, std::nullopt, noop); }),
              "Scheduler::every: time 1m is before the current virtual time 10m");
    EXPECT_EQ(message_of<Error>([&] { scheduler.at(at_seconds(5), noop); }),
              "Scheduler::at: time 5s is before the current virtual time 10m");
    EXPECT_EQ(message_of<Error>([&] { scheduler.poisson(0, at_seconds(600), std::nullopt, std::nullopt, noop); }),
              "Scheduler::poisson: expected a positive, finite rate, got 0 per second");
    EXPECT_EQ(message_of<Error>([&] { scheduler.run_until(at_seconds(1), {}); }),
              "Scheduler::run_until: end 1s is before the current virtual time 10m");
}

}  // namespace
}  // namespace memsoak::harness
