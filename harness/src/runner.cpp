#include "memsoak/harness/runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <span>
#include <fmt/format.h>
#include <memory>
#include <unistd.h>

#include "memsoak/engine/memory_readout.hpp"
#include "memsoak/harness/diagnosis.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/retention_probe.hpp"
#include "memsoak/harness/samplers.hpp"
#include "memsoak/harness/scheduler.hpp"

namespace memsoak::harness {
namespace {

using WallClock = std::chrono::steady_clock;

std::string utc_now_iso8601() {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

std::string host_name() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0) return "unknown";
    return name;
}

bool wants(const RunOptions& options, Layer layer) {
    return std::find(options.layers.begin(), options.layers.end(), layer) != options.layers.end();
}

// Every issue's engine components, for attribution: the engine layer reports component names only.
std::map<std::string, std::string> component_issues(const Target& target) {
    std::map<std::string, std::string> issues;
    for (const auto& component : target.footprint()) issues[component.component] = component.issue;
    return issues;
}

// Columns of samples, appended to by each sampler through a scratch row.
class Recorder {
public:
    Recorder(std::vector<std::unique_ptr<Sampler>> samplers, std::size_t expected_samples)
        : samplers_(std::move(samplers)) {
        for (const auto& sampler : samplers_) {
            offsets_.push_back(series_.metrics.size());
            for (const auto& metric : sampler->metrics()) series_.metrics.push_back(metric);
        }
        series_.values.resize(series_.metrics.size());
        for (auto& column : series_.values) column.reserve(expected_samples);
        series_.times.reserve(expected_samples);
        row_.resize(series_.metrics.size());
        rss_index_ = series_.index_of("os.rss_bytes");
    }

    void sample(VirtualTime now, bool purged) {
        for (std::size_t s = 0; s < samplers_.size(); ++s) {
            const std::size_t begin = offsets_[s];
            samplers_[s]->sample(std::span<double>(row_).subspan(begin, samplers_[s]->metrics().size()));
        }
        series_.times.push_back(now);
        series_.purged.push_back(purged);
        for (std::size_t m = 0; m < row_.size(); ++m) series_.values[m].push_back(row_[m]);
    }

    double last_rss() const {
        return rss_index_ ? row_[*rss_index_] : std::nan("");
    }

    SampleSeries take() { return std::move(series_); }

private:
    std::vector<std::unique_ptr<Sampler>> samplers_;
    std::vector<std::size_t> offsets_;
    SampleSeries series_;
    std::vector<double> row_;
    std::optional<std::size_t> rss_index_;
};

void schedule_workload(Scheduler& scheduler, const Scenario& scenario, Target& target) {
    const VirtualTime end = engine::virtual_epoch + scenario.duration;
    for (const WorkloadItem& item : scenario.workload) {
        Scheduler::Callback fire;
        if (item.action.kind == ActionKind::gui_freeze && item.hold) {
            // A freeze lasts `hold`: the thaw is its own one-shot event, so overlapping workload keeps running.
            const VirtualDuration hold = *item.hold;
            fire = [&scheduler, &target, action = item.action, hold](VirtualTime now) {
                target.apply(action, now);
                scheduler.at(now + hold, [&target](VirtualTime then) {
                    target.apply(Action{ActionKind::gui_thaw, {}}, then);
                });
            };
        } else {
            fire = [&target, action = item.action](VirtualTime now) { target.apply(action, now); };
        }
        const std::optional<VirtualTime> until = item.until ? item.until : std::optional<VirtualTime>(end);
        switch (item.timing) {
            case Timing::every:
                scheduler.every(item.every, item.from + item.offset, until, item.count, std::move(fire));
                break;
            case Timing::at:
                for (VirtualTime t : item.at) scheduler.at(t, fire);
                break;
            case Timing::rate:
                scheduler.poisson(item.rate_per_second, item.from, until, item.count, std::move(fire));
                break;
        }
    }
}

// The first failed limit on a whole-process metric, as a sentence for the report; empty when there is none.
std::string process_failure(const std::vector<BudgetResult>& budgets) {
    for (const BudgetResult& budget : budgets) {
        for (const LimitResult& limit : budget.limits) {
            if (limit.verdict != Verdict::fail) continue;
            if (limit.metric.starts_with("os.") || limit.metric.starts_with("allocator.")) {
                return fmt::format("budget {} failed on {}", budget.budget, limit.metric);
            }
        }
    }
    return {};
}

}  // namespace

namespace {

// A limit on a metric that its layer, sampled, does not have is a typo in the ledger: judged, it would read "not
// measured" and switch its budget off in silence. Refused before the run instead. An allocator metric that only
// another allocator provides stays "not measured" (the same ledger serves every build).
void check_limit_metrics(const Scenario& scenario, const Ledger& ledger,
                         const std::vector<std::unique_ptr<Sampler>>& samplers) {
    for (const std::string& name : scenario.budgets) {
        for (const LimitSpec& limit : ledger.find(name)->limits) {
            const std::string_view layer = std::string_view(limit.metric).substr(0, limit.metric.find('.'));
            for (const auto& sampler : samplers) {
                if (to_string(sampler->layer()) != layer) continue;
                const std::vector<std::string>& sampled = sampler->metrics();
                if (std::find(sampled.begin(), sampled.end(), limit.metric) != sampled.end()) break;
                const std::vector<std::string>& known =
                    sampler->layer() == Layer::allocator ? any_allocator_metrics() : sampled;
                if (std::find(known.begin(), known.end(), limit.metric) != known.end()) break;
                throw Error(fmt::format("{}.metric: no such metric \"{}\"; the {} layer has {}", limit.source,
                                        limit.metric, layer, fmt::join(known, ", ")));
            }
        }
    }
}

}  // namespace

std::vector<ComponentFill> filling_components(const SampleSeries& series, VirtualDuration warmup,
                                              const engine::Footprint& footprint) {
    std::vector<ComponentFill> filling;
    const auto first_judged = static_cast<std::size_t>(
        std::lower_bound(series.times.begin(), series.times.end(), engine::virtual_epoch + warmup) -
        series.times.begin());
    for (const engine::ComponentFootprint& component : footprint) {
        if (component.capacity == 0) continue;
        const std::optional<std::size_t> index = series.index_of("engine." + component.component + ".items");
        if (!index) continue;
        const std::vector<double>& items = series.values[*index];
        if (first_judged >= items.size()) continue;
        // The mean count over the first and the last tenth of the window: a queue that a pump keeps draining
        // moves up and down and is not filling.
        const std::size_t n = items.size() - first_judged, k = std::max<std::size_t>(1, n / 10);
        double first = 0, last = 0;
        for (std::size_t i = 0; i < k; ++i) {
            first += items[first_judged + i] / static_cast<double>(k);
            last += items[items.size() - 1 - i] / static_cast<double>(k);
        }
        const auto capacity = static_cast<double>(component.capacity);
        if (last - first >= std::max(1.0, 0.01 * capacity)) {
            filling.push_back({component.component, items.back(), capacity});
        }
    }
    return filling;
}

std::vector<std::string> scenario_warnings(const Scenario& scenario, const Ledger& ledger) {
    std::vector<std::string> warnings;
    bool whole_process = false;
    for (const std::string& name : scenario.budgets) {
        const BudgetSpec* budget = ledger.find(name);
        if (budget == nullptr) continue;
        for (const LimitSpec& limit : budget->limits) {
            const bool process_metric = limit.metric.starts_with("os.") || limit.metric.starts_with("allocator.");
            whole_process = whole_process || (limit.kind == LimitKind::growth && process_metric);
        }
    }
    if (!whole_process) {
        warnings.push_back(fmt::format("{}: $.budgets: no growth limit on the whole process (an \"os.\" or "
                                       "\"allocator.\" metric): a leak outside the engine's components goes unseen",
                                       scenario.file));
    }
    const VirtualTime end = engine::virtual_epoch + scenario.duration;
    for (const WorkloadItem& item : scenario.workload) {
        if (item.action.kind == ActionKind::gui_freeze || item.timing == Timing::at) continue;
        std::optional<VirtualTime> stops = item.until && *item.until < end ? item.until : std::nullopt;
        if (item.count && item.timing == Timing::every) {
            const VirtualTime last = item.from + item.offset + item.every * static_cast<std::int64_t>(*item.count - 1);
            if (last < end - scenario.sample_interval && (!stops || last < *stops)) stops = last;
        }
        if (stops) {
            warnings.push_back(fmt::format("{}: {} ({}) stops at {}, before the run ends at {}: a leak it triggers "
                                           "stops with it and reads as a bounded fill",
                                           scenario.file, item.source.substr(item.source.find('$')),
                                           to_string(item.action.kind),
                                           engine::format_duration(*stops - engine::virtual_epoch),
                                           engine::format_duration(scenario.duration)));
        } else if (item.count && item.timing == Timing::rate) {
            warnings.push_back(fmt::format("{}: {} ({}) stops after {} arrivals, possibly before the run ends",
                                           scenario.file, item.source.substr(item.source.find('$')),
                                           to_string(item.action.kind), *item.count));
        }
    }
    return warnings;
}

namespace {

std::vector<std::unique_ptr<Sampler>> make_samplers(const RunOptions& options, Target& target) {
    std::vector<std::unique_ptr<Sampler>> samplers;
    for (Layer layer : {Layer::os, Layer::allocator, Layer::engine}) {
        if (!wants(options, layer)) continue;
        switch (layer) {
            case Layer::os: samplers.push_back(make_os_sampler()); break;
            case Layer::allocator: samplers.push_back(make_allocator_sampler()); break;
            case Layer::engine: samplers.push_back(make_engine_sampler(target)); break;
        }
    }
    return samplers;
}

void check_budgets_in_ledger(const Scenario& scenario, const Ledger& ledger) {
    for (std::size_t i = 0; i < scenario.budgets.size(); ++i) {
        if (ledger.find(scenario.budgets[i]) == nullptr) {
            throw Error(fmt::format("{}: $.budgets[{}]: budget \"{}\" is not in the ledger {}", scenario.file, i,
                                    scenario.budgets[i], ledger.file));
        }
    }
}

}  // namespace

void check_run_setup(const Scenario& scenario, const Ledger& ledger, Target& target, const RunOptions& options) {
    check_budgets_in_ledger(scenario, ledger);
    check_limit_metrics(scenario, ledger, make_samplers(options, target));
}

RunResult run_scenario(const Scenario& scenario, const Ledger& ledger, Target& target, const RunOptions& options) {
    check_budgets_in_ledger(scenario, ledger);

    RunResult result;
    RunInfo& info = result.info;
    info.scenario_name = scenario.name;
    info.scenario_file = scenario.file;
    info.seed = scenario.seed;
    info.virtual_duration = scenario.duration;
    info.warmup = scenario.warmup;
    info.level_window = workload_cycle(scenario);
    JudgeOptions judge_options = options.judge;
    judge_options.level_window = info.level_window;
    info.leaks = options.leaks;
    info.injected = options.injected;
    info.allocator = std::string(allocator_name());
    info.host = host_name();
    info.started_at = utc_now_iso8601();
    info.warnings = scenario_warnings(scenario, ledger);

    std::vector<std::unique_ptr<Sampler>> samplers = make_samplers(options, target);
    for (const auto& sampler : samplers) info.layers.emplace_back(to_string(sampler->layer()));
    check_limit_metrics(scenario, ledger, samplers);
    const auto expected_samples =
        static_cast<std::size_t>(scenario.duration / scenario.sample_interval) + 1;
    Recorder recorder(std::move(samplers), expected_samples);

    Scheduler scheduler(scenario.seed);
    schedule_workload(scheduler, scenario, target);

    const VirtualTime end = engine::virtual_epoch + scenario.duration;
    const bool purging = scenario.purge_interval.count() > 0 && wants(options, Layer::allocator);
    VirtualTime next_purge = engine::virtual_epoch;
    bool rss_exceeded = false;
    const bool rss_sampled = wants(options, Layer::os);
    std::optional<HeapSampler> heap_sampler;
    if (options.heap_sample) heap_sampler.emplace();
    const VirtualTime warmup_end = engine::virtual_epoch + scenario.warmup;
    const WallClock::time_point wall_start = WallClock::now();
    // Sampling is registered after the workload, so at equal times it sees the workload's effect.
    // No window end: run_until(end) is inclusive, so the last sample lands exactly at the scenario's end.
    scheduler.every(scenario.sample_interval, engine::virtual_epoch, std::nullopt, std::nullopt, [&](VirtualTime now) {
        bool purged = false;
        if (purging && now >= next_purge) {
            purge_allocator();
            purged = true;
            next_purge = now + scenario.purge_interval;
        }
        recorder.sample(now, purged);
        // Right after a purge the sampled heap holds what stays, as the purged sample does.
        if (heap_sampler && (purged || !purging) && now >= warmup_end) heap_sampler->checkpoint(now);
        const double rss = recorder.last_rss();
        if (options.max_rss_bytes) {
            // The limit guards the machine whatever is measured: without the os layer the resident set is read here.
            const double resident = rss_sampled ? rss : static_cast<double>(engine::current_rss_bytes());
            if (resident > *options.max_rss_bytes) rss_exceeded = true;
        }
        if (options.on_progress) {
            options.on_progress(Progress{now - engine::virtual_epoch, scenario.duration,
                                         std::chrono::duration<double>(WallClock::now() - wall_start).count(), rss});
        }
    });

    std::optional<HeapProfiler> heap_profiler;
    std::optional<VirtualTime> last_profile;
    if (options.heap_profile) {
        heap_profiler.emplace(*options.heap_profile);
        // Registered after sampling, so that at equal times a profile holds what the sample measured.
        scheduler.every(options.heap_profile->interval, engine::virtual_epoch + scenario.warmup, std::nullopt,
                        std::nullopt, [&](VirtualTime now) {
                            heap_profiler->dump("memsoak interval");
                            last_profile = now;
                        });
    }

    const RunOutcome outcome = scheduler.run_until(end, [&] {
        return rss_exceeded || (options.stop_requested != nullptr &&
                                options.stop_requested->load(std::memory_order_relaxed));
    });
    if (heap_profiler) {
        if (last_profile != outcome.reached) heap_profiler->dump("memsoak end of run");
        heap_profiler->stop();
    }
    info.wall_seconds = std::chrono::duration<double>(WallClock::now() - wall_start).count();
    info.virtual_elapsed = outcome.reached - engine::virtual_epoch;
    info.acceleration = info.wall_seconds > 0 ? engine::to_seconds(info.virtual_elapsed) / info.wall_seconds : 0;
    if (rss_exceeded) {
        info.stop_reason = fmt::format("resident set exceeded --max-rss {:.0f} bytes", *options.max_rss_bytes);
    } else if (outcome.stopped_early) {
        info.interrupted = true;
        info.stop_reason = "interrupted by a signal";
    }

    result.samples = recorder.take();
    const WallClock::time_point judge_start = WallClock::now();
    judge_run(result, ledger, scenario.budgets, judge_options);
    result.attribution = attribute_growth(result.samples, scenario.warmup, component_issues(target), judge_options);
    result.diagnosis = diagnose_growth(result.samples, scenario.warmup, result.attribution,
                                       DiagnosisOptions{judge_options, rate_floor_for(ledger, scenario.budgets)},
                                       result.budgets);
    result.filling = filling_components(result.samples, scenario.warmup, target.footprint());
    if (rss_exceeded) result.verdict = Verdict::fail;
    info.analysis_seconds = std::chrono::duration<double>(WallClock::now() - judge_start).count();
    // pprof runs in its own process after the measurement; its seconds are not the analysis's.
    if (heap_profiler) {
        result.heap_profile =
            compare_heap_profiles(*options.heap_profile, heap_profiler->profiles(), current_executable());
    }
    if (heap_sampler) result.heap_profile = heap_sampler->findings(current_executable(), result.heap_collapsed);
    // After the clocks above: the probe's calls are neither the soak loop's nor the analysis's. Not after a stop:
    // an interrupted run must end, and one over --max-rss must not grow further.
    const std::string trigger = process_failure(result.budgets);
    if (options.probe_on_failure && !trigger.empty() && info.stop_reason.empty()) {
        ProbeOptions probe;
        probe.rounds = options.probe_rounds;
        // When the resident set grew and the heap did not fail (memory the allocator does not see), judge the
        // actions by the resident set.
        const auto failed = [&](auto predicate) {
            return std::any_of(result.budgets.begin(), result.budgets.end(), [&](const BudgetResult& b) {
                return std::any_of(b.limits.begin(), b.limits.end(),
                                   [&](const LimitResult& l) { return l.verdict == Verdict::fail && predicate(l); });
            });
        };
        const bool heap_failed = failed([](const LimitResult& l) { return l.metric.starts_with("allocator."); });
        const bool resident_grew = failed([](const LimitResult& l) {
            return l.kind == LimitKind::growth && l.metric.starts_with("os.");
        });
        probe.read_allocator =
            wants(options, Layer::allocator) && (heap_failed || !resident_grew || !wants(options, Layer::os));
        probe.read_os = wants(options, Layer::os);
        probe.stop_requested = options.stop_requested;
        result.retention = probe_retention(target, scenario, outcome.reached, probe);
        result.retention_trigger = trigger;
    }
    return result;
}

void judge_run(RunResult& result, const Ledger& ledger, const std::vector<std::string>& budgets,
               const JudgeOptions& options) {
    JudgeOptions judge_options = options;
    judge_options.level_window = result.info.level_window;
    result.budgets = judge_budgets(result.samples, ledger, budgets, result.info.warmup, judge_options);
    result.verdict = overall_verdict(result.budgets);
}

}  // namespace memsoak::harness
