// The harness's per-sample and per-event costs: each sampler per call, the allocator checkpoint, and the scheduler
// per event. Built once per allocator (bench/CMakeLists.txt), so the allocator sampler and the purge are timed for
// the allocator that serves this process; each benchmark's label names it.
//
// A sample reads the three layers in turn, so the cost of one sample is the sum of the three sampler figures.
// The production day takes 1441 samples and 96 purges; docs/performance.md turns these into the harness's share.

#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "memsoak/engine/config.hpp"
#include "memsoak/harness/soak/engine_target.hpp"
#include "memsoak/harness/soak/samplers.hpp"
#include "memsoak/harness/soak/scheduler.hpp"

namespace memsoak::harness {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// The engine at production settings after an hour of the production day's workload, so that the heap the
// allocator sampler walks and the footprint the engine sampler reads look as they do during a soak.
std::unique_ptr<Target> production_target() {
    std::unique_ptr<Target> target = make_engine_target(engine::Config{});
    VirtualTime now = engine::virtual_epoch;
    for (int minute = 0; minute < 60; ++minute) {
        target->apply(Action{ActionKind::tick, {}}, now);
        if (minute % 15 == 0) target->apply(Action{ActionKind::analyze, {}}, now);
        if (minute % 15 == 1) target->apply(Action{ActionKind::refresh_chart, {}}, now);
        if (minute % 30 == 0) target->apply(Action{ActionKind::trade, {}}, now);
        for (int second = 0; second < 60; ++second) {
            for (int message = 0; message < 10; ++message) target->apply(Action{ActionKind::log, {}}, now);
            target->apply(Action{ActionKind::gui_pump, {}}, now);
            now += seconds(1);
        }
    }
    return target;
}

Target& shared_target() {
    static const std::unique_ptr<Target> target = production_target();
    return *target;
}

void time_sampler(benchmark::State& state, Sampler& sampler) {
    std::vector<double> row(sampler.metrics().size());
    for (auto _ : state) {
        sampler.sample(row);
        benchmark::DoNotOptimize(row.data());
        benchmark::ClobberMemory();
    }
    state.counters["metrics"] = static_cast<double>(row.size());
}

// /proc/self/statm re-read with pread, and the peak from getrusage.
void BM_OsSampler(benchmark::State& state) {
    const std::unique_ptr<Sampler> sampler = make_os_sampler();
    time_sampler(state, *sampler);
}
BENCHMARK(BM_OsSampler);

void BM_AllocatorSampler(benchmark::State& state) {
    shared_target();  // the engine's heap in place
    const std::unique_ptr<Sampler> sampler = make_allocator_sampler();
    state.SetLabel(std::string(allocator_name()));
    time_sampler(state, *sampler);
}
BENCHMARK(BM_AllocatorSampler);

// The engine's own footprint: eight components' bytes and item counts, from running totals.
void BM_EngineSampler(benchmark::State& state) {
    const std::unique_ptr<Sampler> sampler = make_engine_sampler(shared_target());
    time_sampler(state, *sampler);
}
BENCHMARK(BM_EngineSampler);

// The allocator checkpoint as the production day takes it every 15 virtual minutes: after an analysis and a chart
// redraw have freed their predecessors' frame and canvas (untimed), free memory is handed back to the OS.
void BM_PurgeAfterAnalysis(benchmark::State& state) {
    Target& target = shared_target();
    VirtualTime now = engine::virtual_epoch + hours(2);
    state.SetLabel(std::string(allocator_name()));
    for (auto _ : state) {
        state.PauseTiming();
        now += minutes(15);
        target.apply(Action{ActionKind::analyze, {}}, now);
        target.apply(Action{ActionKind::refresh_chart, {}}, now);
        state.ResumeTiming();
        purge_allocator();
    }
}
// A fixed count: each iteration's untimed analysis and redraw take thousands of times longer than the purge.
BENCHMARK(BM_PurgeAfterAnalysis)->Iterations(50)->Unit(benchmark::kMicrosecond);

// Scheduler cost per event, callbacks doing nothing: popping the heap, the std::function call, queueing the next
// firing. Arg 0: one periodic stream (every 1 s, as gui_pump). Arg 1: one Poisson stream (10/s, as log), which
// draws an exponential gap per event. Arg 2: the production day's seven streams plus sampling, one virtual hour.
void BM_SchedulerEvents(benchmark::State& state) {
    std::uint64_t events = 0;
    for (auto _ : state) {
        Scheduler scheduler(42);
        const auto nothing = [](VirtualTime) {};
        const VirtualTime start = engine::virtual_epoch;
        const VirtualTime end = start + hours(1);
        switch (state.range(0)) {
            case 0: scheduler.every(seconds(1), start, end, std::nullopt, nothing); break;
            case 1: scheduler.poisson(10.0, start, end, std::nullopt, nothing); break;
            default:
                scheduler.every(minutes(1), start, end, std::nullopt, nothing);                // tick
                scheduler.every(minutes(15), start, end, std::nullopt, nothing);               // analyze
                scheduler.every(minutes(15), start + minutes(1), end, std::nullopt, nothing);  // refresh_chart
                scheduler.every(hours(3), start + minutes(7), end, std::nullopt, nothing);     // toggle_indicator
                scheduler.poisson(24.0 / 86400.0, start, end, std::nullopt, nothing);          // trade
                scheduler.poisson(10.0, start, end, std::nullopt, nothing);                    // log
                scheduler.every(seconds(1), start, end, std::nullopt, nothing);                // gui_pump
                scheduler.every(minutes(1), start, std::nullopt, std::nullopt, nothing);       // sampling
                break;
        }
        scheduler.run_until(end, {});
        events += scheduler.events_run();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(events));
    state.counters["events_per_hour"] = static_cast<double>(events) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_SchedulerEvents)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace memsoak::harness

BENCHMARK_MAIN();
