#include "memsoak/harness/soak/runner.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <span>

#include "memsoak/engine/memory_readout.hpp"
#include "memsoak/harness/analysis/diagnosis.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/soak/retention_probe.hpp"
#include "memsoak/harness/soak/samplers.hpp"
#include "memsoak/harness/soak/scheduler.hpp"

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
        rss_index_ = series_.index_of(metrics::os::rss_bytes);
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

    double last_rss() const { return rss_index_ ? row_[*rss_index_] : std::nan(""); }

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
            if (is_process_metric(limit.metric)) {
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
            const bool process_metric = is_process_metric(limit.metric);
            whole_process = whole_process || (limit.kind == LimitKind::growth && process_metric);
        }
    }
    if (!whole_process) {
        warnings.push_back(
            fmt::format("{}: $.budgets: no growth limit on the whole process (an \"os.\" or "
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
            warnings.push_back(
                fmt::format("{}: {} ({}) stops at {}, before the run ends at {}: a leak it triggers "
                            "stops with it and reads as a bounded fill",
                            scenario.file, item.source.substr(item.source.find('$')), to_string(item.action.kind),
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

namespace {

// What is known of a run before its first event: the scenario, the allocator, the host, the warnings.
RunInfo describe_run(const Scenario& scenario, const Ledger& ledger, const RunOptions& options) {
    RunInfo info;
    info.scenario_name = scenario.name;
    info.scenario_file = scenario.file;
    info.seed = scenario.seed;
    info.virtual_duration = scenario.duration;
    info.warmup = scenario.warmup;
    info.level_window = workload_cycle(scenario);
    info.leaks = options.leaks;
    info.injected = options.injected;
    info.allocator = std::string(allocator_name());
    info.host = host_name();
    info.started_at = utc_now_iso8601();
    info.warnings = scenario_warnings(scenario, ledger);
    return info;
}

// The soak loop: the workload, the sampling and the heap profiles on one scheduler, and what stops it early.
class SoakLoop {
public:
    SoakLoop(const Scenario& scenario, Target& target, const RunOptions& options,
             std::vector<std::unique_ptr<Sampler>> samplers)
        : scenario_(scenario),
          options_(options),
          recorder_(std::move(samplers), static_cast<std::size_t>(scenario.duration / scenario.sample_interval) + 1),
          scheduler_(scenario.seed),
          purging_(scenario.purge_interval.count() > 0 && wants(options, Layer::allocator)),
          rss_sampled_(wants(options, Layer::os)) {
        schedule_workload(scheduler_, scenario, target);
        if (options.heap_sample) heap_sampler_.emplace();
        wall_start_ = WallClock::now();
        // Sampling is registered after the workload, so at equal times it sees the workload's effect.
        // No window end: run_until(end) is inclusive, so the last sample lands exactly at the scenario's end.
        scheduler_.every(scenario.sample_interval, engine::virtual_epoch, std::nullopt, std::nullopt,
                         [this](VirtualTime now) { sample(now); });
        if (options.heap_profile) schedule_heap_profiles();
    }

    // Runs to the scenario's end, or until --max-rss or a signal stops it; fills the run's times and stop reason.
    RunOutcome run(RunInfo& info) {
        const RunOutcome outcome = scheduler_.run_until(engine::virtual_epoch + scenario_.duration, [&] {
            return rss_exceeded_ ||
                   (options_.stop_requested != nullptr && options_.stop_requested->load(std::memory_order_relaxed));
        });
        if (heap_profiler_) {
            if (last_profile_ != outcome.reached) heap_profiler_->dump("memsoak end of run");
            heap_profiler_->stop();
        }
        info.wall_seconds = std::chrono::duration<double>(WallClock::now() - wall_start_).count();
        info.virtual_elapsed = outcome.reached - engine::virtual_epoch;
        info.acceleration = info.wall_seconds > 0 ? engine::to_seconds(info.virtual_elapsed) / info.wall_seconds : 0;
        if (rss_exceeded_) {
            info.stop_reason = fmt::format("resident set exceeded --max-rss {:.0f} bytes", *options_.max_rss_bytes);
        } else if (outcome.stopped_early) {
            info.interrupted = true;
            info.stop_reason = "interrupted by a signal";
        }
        return outcome;
    }

    bool rss_exceeded() const { return rss_exceeded_; }
    SampleSeries take_samples() { return recorder_.take(); }

    // The heap's growth sites, from pprof's profiles or the sampled heap; nullopt when neither was asked for.
    // pprof runs in its own process after the measurement.
    std::optional<HeapProfileFindings> heap_findings(std::string& collapsed) {
        std::optional<HeapProfileFindings> findings;
        if (heap_profiler_) {
            findings = compare_heap_profiles(*options_.heap_profile, heap_profiler_->profiles(), current_executable());
        }
        if (heap_sampler_) findings = heap_sampler_->findings(current_executable(), collapsed);
        return findings;
    }

private:
    void sample(VirtualTime now) {
        bool purged = false;
        if (purging_ && now >= next_purge_) {
            purge_allocator();
            purged = true;
            next_purge_ = now + scenario_.purge_interval;
        }
        recorder_.sample(now, purged);
        // Right after a purge the sampled heap holds what stays, as the purged sample does.
        if (heap_sampler_ && (purged || !purging_) && now >= engine::virtual_epoch + scenario_.warmup) {
            heap_sampler_->checkpoint(now);
        }
        const double rss = recorder_.last_rss();
        if (options_.max_rss_bytes) {
            // The limit guards the machine whatever is measured: without the os layer the resident set is read here.
            const double resident = rss_sampled_ ? rss : static_cast<double>(engine::current_rss_bytes());
            if (resident > *options_.max_rss_bytes) rss_exceeded_ = true;
        }
        if (options_.on_progress) {
            options_.on_progress(Progress{now - engine::virtual_epoch, scenario_.duration,
                                          std::chrono::duration<double>(WallClock::now() - wall_start_).count(), rss});
        }
    }

    void schedule_heap_profiles() {
        heap_profiler_.emplace(*options_.heap_profile);
        // Registered after sampling, so that at equal times a profile holds what the sample measured.
        scheduler_.every(options_.heap_profile->interval, engine::virtual_epoch + scenario_.warmup, std::nullopt,
                         std::nullopt, [this](VirtualTime now) {
                             heap_profiler_->dump("memsoak interval");
                             last_profile_ = now;
                         });
    }

    const Scenario& scenario_;
    const RunOptions& options_;
    Recorder recorder_;
    Scheduler scheduler_;
    const bool purging_;
    const bool rss_sampled_;
    VirtualTime next_purge_ = engine::virtual_epoch;
    bool rss_exceeded_ = false;
    std::optional<HeapSampler> heap_sampler_;
    std::optional<HeapProfiler> heap_profiler_;
    std::optional<VirtualTime> last_profile_;
    WallClock::time_point wall_start_;
};

// Budgets, attribution, the layer diagnosis and the components filling up, timed as the analysis.
void analyse_run(RunResult& result, const Scenario& scenario, const Ledger& ledger, Target& target,
                 const JudgeOptions& judge_options, bool rss_exceeded) {
    const WallClock::time_point judge_start = WallClock::now();
    judge_run(result, ledger, scenario.budgets, judge_options);
    result.attribution = attribute_growth(result.samples, scenario.warmup, component_issues(target), judge_options);
    result.diagnosis =
        diagnose_growth(result.samples, scenario.warmup, result.attribution,
                        DiagnosisOptions{judge_options, rate_floor_for(ledger, scenario.budgets)}, result.budgets);
    result.filling = filling_components(result.samples, scenario.warmup, target.footprint());
    if (rss_exceeded) result.verdict = Verdict::fail;
    result.info.analysis_seconds = std::chrono::duration<double>(WallClock::now() - judge_start).count();
}

bool any_failed_limit(const RunResult& result, const std::function<bool(const LimitResult&)>& predicate) {
    return std::any_of(result.budgets.begin(), result.budgets.end(), [&](const BudgetResult& b) {
        return std::any_of(b.limits.begin(), b.limits.end(),
                           [&](const LimitResult& l) { return l.verdict == Verdict::fail && predicate(l); });
    });
}

// The retention probe after a failed whole-process limit. Not after a stop: an interrupted run must end, and one
// over --max-rss must not grow further.
void probe_after_failure(RunResult& result, Target& target, const Scenario& scenario, const RunOptions& options,
                         VirtualTime reached) {
    const std::string trigger = process_failure(result.budgets);
    if (!options.probe_on_failure || trigger.empty() || !result.info.stop_reason.empty()) return;
    ProbeOptions probe;
    probe.rounds = options.probe_rounds;
    // When the resident set grew and the heap did not fail (memory the allocator does not see), judge the actions
    // by the resident set.
    const bool heap_failed =
        any_failed_limit(result, [](const LimitResult& l) { return layer_of_metric(l.metric) == Layer::allocator; });
    const bool resident_grew = any_failed_limit(result, [](const LimitResult& l) {
        return l.kind == LimitKind::growth && layer_of_metric(l.metric) == Layer::os;
    });
    probe.read_allocator =
        wants(options, Layer::allocator) && (heap_failed || !resident_grew || !wants(options, Layer::os));
    probe.read_os = wants(options, Layer::os);
    probe.stop_requested = options.stop_requested;
    result.retention = probe_retention(target, scenario, reached, probe);
    result.retention_trigger = trigger;
}

}  // namespace

RunResult run_scenario(const Scenario& scenario, const Ledger& ledger, Target& target, const RunOptions& options) {
    check_budgets_in_ledger(scenario, ledger);
    RunResult result;
    result.info = describe_run(scenario, ledger, options);
    JudgeOptions judge_options = options.judge;
    judge_options.level_window = result.info.level_window;

    std::vector<std::unique_ptr<Sampler>> samplers = make_samplers(options, target);
    for (const auto& sampler : samplers) result.info.layers.emplace_back(to_string(sampler->layer()));
    check_limit_metrics(scenario, ledger, samplers);
    SoakLoop loop(scenario, target, options, std::move(samplers));
    const RunOutcome outcome = loop.run(result.info);

    result.samples = loop.take_samples();
    analyse_run(result, scenario, ledger, target, judge_options, loop.rss_exceeded());
    // pprof's and the sampled heap's seconds are not the analysis's, nor the probe's calls (after the clocks above).
    if (std::optional<HeapProfileFindings> findings = loop.heap_findings(result.heap_collapsed)) {
        result.heap_profile = std::move(findings);
    }
    probe_after_failure(result, target, scenario, options, outcome.reached);
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
