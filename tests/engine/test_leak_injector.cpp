// Injected leaks: each shape holds what it should, stops when told, and stays out of the footprint; the JSON form
// names the place of a bad setting.

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "memsoak/engine/application.hpp"
#include "memsoak/engine/config.hpp"
#include "memsoak/engine/error.hpp"
#include "memsoak/engine/leak_injector.hpp"
#include "support/errors.hpp"

namespace memsoak::engine {
namespace {

using testing::message_of;

using namespace std::chrono_literals;

VirtualTime at(VirtualDuration d) { return virtual_epoch + d; }

InjectedLeak leak(InjectionTrigger action, LeakShape shape, std::size_t bytes, std::size_t capacity = 0) {
    InjectedLeak out;
    out.action = action;
    out.shape = shape;
    out.bytes = bytes;
    out.capacity = capacity;
    return out;
}

// Resident bytes from /proc/self/statm, the counter the OS sampler reads.
double resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    double size_pages = 0, resident_pages = 0;
    statm >> size_pages >> resident_pages;
    return resident_pages * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

TEST(LeakInjector, PerCallHoldsBytesForEveryOccurrenceOfItsTriggerOnly) {
    LeakInjector injector({leak(InjectionTrigger::log, LeakShape::per_call, 4096)});
    for (int i = 0; i < 10; ++i) injector.on(InjectionTrigger::log, at(i * 1s));
    for (int i = 0; i < 10; ++i) injector.on(InjectionTrigger::trade, at(i * 1s));  // not its trigger
    EXPECT_EQ(injector.held_bytes(), 10u * 4096);
    EXPECT_EQ(injector.mapped_bytes(), 0u);
}

TEST(LeakInjector, BoundedFillsToItsCapacityThenStaysFlat) {
    LeakInjector injector({leak(InjectionTrigger::log, LeakShape::bounded, 1000, 4500)});
    for (int i = 0; i < 4; ++i) injector.on(InjectionTrigger::log, at(i * 1s));
    EXPECT_EQ(injector.held_bytes(), 4000u);
    for (int i = 4; i < 100; ++i) injector.on(InjectionTrigger::log, at(i * 1s));
    EXPECT_EQ(injector.held_bytes(), 4500u);  // exactly the capacity: the last block is what was left
}

TEST(LeakInjector, StaircaseCapacityDoublesAsItGrows) {
    LeakInjector injector({leak(InjectionTrigger::analyze, LeakShape::staircase, 1000)});
    std::vector<std::size_t> capacities;
    for (int i = 0; i < 64; ++i) {
        injector.on(InjectionTrigger::analyze, at(i * 1min));
        if (capacities.empty() || capacities.back() != injector.staircase_capacity()) {
            capacities.push_back(injector.staircase_capacity());
        }
    }
    EXPECT_EQ(injector.held_bytes(), 64u * 1000);
    // Few steps, each twice the one before: a staircase, not one step per occurrence.
    ASSERT_GE(capacities.size(), 4u);
    EXPECT_LE(capacities.size(), 8u);
    for (std::size_t i = 1; i < capacities.size(); ++i) EXPECT_EQ(capacities[i], 2 * capacities[i - 1]) << i;
}

TEST(LeakInjector, MmapIsResidentInTheOsCountersAndInWholePages) {
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    constexpr int kOccurrences = 16;
    constexpr std::size_t kBytes = 1 << 20;
    LeakInjector injector({leak(InjectionTrigger::tick, LeakShape::mmap, kBytes + 1)});
    const double before = resident_bytes();
    for (int i = 0; i < kOccurrences; ++i) injector.on(InjectionTrigger::tick, at(i * 1min));
    const double grown = resident_bytes() - before;
    EXPECT_EQ(injector.mapped_bytes(), kOccurrences * (kBytes + page));  // rounded up to a page
    EXPECT_EQ(injector.held_bytes(), 0u);                                // the heap never sees it
    EXPECT_GT(grown, 0.9 * kOccurrences * kBytes);
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
    // A sanitizer's shadow memory for the touched pages is resident too (TSan's doubled it).
    EXPECT_LT(grown, 1.5 * kOccurrences * kBytes);
#endif
}

TEST(LeakInjector, StopsAfterItsUntilTime) {
    InjectedLeak stopping = leak(InjectionTrigger::toggle_indicator, LeakShape::per_call, 100);
    stopping.until = 35min;
    LeakInjector injector({stopping});
    for (int minute = 0; minute < 60; ++minute) injector.on(InjectionTrigger::toggle_indicator, at(minute * 1min));
    EXPECT_EQ(injector.held_bytes(), 36u * 100);  // minutes 0 .. 35
}

TEST(LeakInjector, RejectsAZeroSizeAndAMisplacedCapacity) {
    EXPECT_THROW(LeakInjector({leak(InjectionTrigger::log, LeakShape::per_call, 0)}), Error);
    EXPECT_THROW(LeakInjector({leak(InjectionTrigger::log, LeakShape::per_call, 10, 100)}), Error);
    EXPECT_THROW(LeakInjector({leak(InjectionTrigger::log, LeakShape::bounded, 10, 5)}), Error);
}

TEST(LeakInjector, CanonicalFormNamesActionShapeBytesCapacityAndUntil) {
    EXPECT_EQ(to_string(leak(InjectionTrigger::toggle_indicator, LeakShape::per_call, 49152)),
              "toggle_indicator:per_call:49152");
    InjectedLeak bounded = leak(InjectionTrigger::log, LeakShape::bounded, 256, 5242880);
    bounded.until = 35min;
    EXPECT_EQ(to_string(bounded), "log:bounded:256:5242880@35m");
}

Config small_config() {
    Config config;
    config.analysis_period = std::chrono::hours(24);
    config.chart_width = 300;
    config.chart_height = 200;
    return config;
}

std::size_t footprint_bytes(const Application& app) {
    std::size_t total = 0;
    for (const auto& c : app.footprint()) total += c.bytes;
    return total;
}

// Drives every action once a minute for `minutes`.
void drive(Application& app, int minutes) {
    for (int i = 0; i < minutes; ++i) {
        const VirtualTime now = at(i * 1min);
        app.on_candle(now);
        app.run_analysis(now);
        app.refresh_chart(now);
        app.toggle_indicator("rsi", now);
        app.execute_trade(now);
        app.log_message(now);
        app.pump_gui(now);
    }
}

TEST(ApplicationInjection, EveryActionTriggersItsLeakAndTheFootprintDoesNotSeeIt) {
    Config injected = small_config();
    for (InjectionTrigger trigger : {InjectionTrigger::tick, InjectionTrigger::analyze, InjectionTrigger::refresh_chart,
                                     InjectionTrigger::toggle_indicator, InjectionTrigger::trade, InjectionTrigger::log,
                                     InjectionTrigger::gui_pump}) {
        injected.injected_leaks.push_back(leak(trigger, LeakShape::per_call, 64 * 1024));
    }
    Application with_leaks(injected);
    Application without(small_config());
    drive(with_leaks, 20);
    drive(without, 20);
    EXPECT_EQ(with_leaks.leak_injector().held_bytes(), 7u * 20 * 64 * 1024);
    EXPECT_EQ(without.leak_injector().held_bytes(), 0u);
    EXPECT_EQ(footprint_bytes(with_leaks), footprint_bytes(without));  // same seed, same work, leak unseen
}

TEST(ApplicationInjection, ConfigReadsInjectFromJsonAndWritesItBack) {
    const auto json = nlohmann::json::parse(R"({"inject": [
        {"action": "toggle_indicator", "shape": "per_call", "bytes": 49152, "until": "35m"},
        {"action": "log", "shape": "bounded", "bytes": 256, "capacity": 5242880}]})");
    const Config config = config_from_json(json, "s.json");
    ASSERT_EQ(config.injected_leaks.size(), 2u);
    EXPECT_EQ(to_string(config.injected_leaks[0]), "toggle_indicator:per_call:49152@35m");
    EXPECT_EQ(to_string(config.injected_leaks[1]), "log:bounded:256:5242880");
    EXPECT_EQ(config_from_json(to_json(config), "again").injected_leaks, config.injected_leaks);
    EXPECT_FALSE(to_json(Config{}).contains("inject"));
}

std::string error_of(const std::string& inject) {
    return message_of<Error>(
        [&] { config_from_json(nlohmann::json::parse(R"({"inject": )" + inject + "}"), "s.json"); });
}

TEST(ApplicationInjection, JsonErrorsNameThePathAndWhatWasExpected) {
    EXPECT_EQ(error_of(R"([{"action": "log", "shape": "x", "bytes": 1}])"),
              R"(s.json: $.engine.inject[0].shape: expected one of per_call, staircase, bounded, mmap, got "x")");
    EXPECT_EQ(error_of(R"([{"action": "log", "shape": "mmap", "bytes": 1}, {"action": "click", "shape": "mmap",
                          "bytes": 1}])"),
              "s.json: $.engine.inject[1].action: expected one of tick, analyze, refresh_chart, toggle_indicator, "
              "trade, log, gui_pump, got \"click\"");
    EXPECT_EQ(error_of(R"([{"action": "log", "shape": "mmap", "bytes": 0}])"),
              "s.json: $.engine.inject[0].bytes: expected an integer >= 1, got 0");
    EXPECT_EQ(error_of(R"([{"action": "log", "shape": "mmap", "bytes": "48KiB"}])"),
              "s.json: $.engine.inject[0].bytes: expected an integer >= 1, got \"48KiB\"");
    EXPECT_EQ(error_of(R"([{"action": "log", "shape": "bounded", "bytes": 10}])"),
              "s.json: $.engine.inject[0].capacity: missing; expected an integer >= 1 (required by shape \"bounded\")");
    EXPECT_EQ(error_of(R"([{"action": "log", "shape": "mmap"}])"),
              "s.json: $.engine.inject[0].bytes: missing; expected an integer >= 1");
    EXPECT_EQ(error_of(R"([{"action": "log", "shape": "per_call", "bytes": 1, "until": "soon"}])")
                  .rfind("s.json: $.engine.inject[0].until: ", 0),
              0u);
    EXPECT_EQ(
        error_of(R"([{"action": "log", "shape": "per_call", "bytes": 1, "colour": 1}])"),
        "s.json: $.engine.inject[0].colour: unknown field; expected one of action, shape, bytes, capacity, until");
    EXPECT_EQ(error_of(R"({"action": "log"})"),
              R"(s.json: $.engine.inject: expected an array of injected leaks, got {"action":"log"})");
}

}  // namespace
}  // namespace memsoak::engine
