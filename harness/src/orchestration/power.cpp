#include "memsoak/harness/orchestration/power.hpp"

#include <algorithm>
#include <cmath>
#include <exception>

#include <fmt/format.h>

#include "memsoak/harness/error.hpp"
#include "memsoak/harness/units.hpp"

namespace memsoak::harness {
namespace {

constexpr double kPage = 4096;

bool runs_to_the_end(const WorkloadItem& item) {
    return !item.until && !item.count && (item.timing == Timing::every || item.timing == Timing::rate);
}

double hours(VirtualDuration d) { return engine::to_seconds(d) / 3600.0; }

std::string rate_text(double per_hour) { return format_size_rate(per_hour); }

// What one child did, for a power step.
enum class RunVerdict { caught, missed, passed, failed, error };

struct Assessed {
    RunVerdict verdict = RunVerdict::error;
    std::string problem;
};

Assessed assess(const SuiteEntry& entry, const PowerOptions& options) {
    Assessed out;
    if (entry.outcome == Outcome::pass) {
        out.verdict = RunVerdict::passed;
        return out;
    }
    if (entry.outcome != Outcome::fail) {
        out.problem = fmt::format("seed {}: {} (exit code {}, signal {}); log {}", entry.seed.value_or(0),
                                  to_string(entry.outcome), entry.exit_code, entry.signal, entry.log.string());
        return out;
    }
    if (entry.report.empty()) {
        out.problem = fmt::format("seed {}: no report was written; log {}", entry.seed.value_or(0), entry.log.string());
        return out;
    }
    try {
        const RunResult result = options.load_report(entry.report);
        out.verdict = failed_whole_process_limit(result) ? RunVerdict::caught : RunVerdict::failed;
    } catch (const std::exception& e) {
        out.problem =
            fmt::format("seed {}: unreadable report {}: {}", entry.seed.value_or(0), entry.report.string(), e.what());
    }
    return out;
}

// Removes what a step left behind once read, unless asked to keep it; a log of a run that errored stays.
void tidy(const std::vector<SuiteEntry>& entries, const std::vector<Assessed>& assessed,
          const std::filesystem::path& folder, const PowerOptions& options) {
    if (options.keep_reports) return;
    std::error_code ec;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (!entries[i].report.empty()) std::filesystem::remove(entries[i].report, ec);
        if (assessed[i].verdict != RunVerdict::error) std::filesystem::remove(entries[i].log, ec);
    }
    if (std::filesystem::is_empty(folder, ec)) std::filesystem::remove(folder, ec);
}

std::vector<SuiteEntry> run_step(const std::filesystem::path& scenario, const std::string& injection,
                                 const std::string& folder_name, const PowerOptions& options,
                                 const std::atomic<bool>* stop_requested, std::filesystem::path& folder) {
    Suite suite;
    suite.file = "memsoak selftest --power";
    suite.name = folder_name;
    suite.scenarios = {scenario};
    SuiteOptions suite_options;
    suite_options.executable = options.executable;
    folder = options.work_dir / folder_name;
    suite_options.out_dir = folder;
    suite_options.seeds = options.seeds;
    suite_options.run_args = {"--inject", injection, "--max-rss", kPowerMaxRss};
    suite_options.run_args.insert(suite_options.run_args.end(), options.run_args.begin(), options.run_args.end());
    return run_suite_parallel(suite, suite_options, options.parallel, stop_requested);
}

bool stopped(const std::atomic<bool>* stop_requested) { return stop_requested != nullptr && stop_requested->load(); }

}  // namespace

std::vector<PowerAction> power_actions(const Scenario& scenario) {
    std::vector<PowerAction> actions;
    for (const WorkloadItem& item : scenario.workload) {
        if (item.action.kind == ActionKind::gui_freeze || item.action.kind == ActionKind::gui_thaw) continue;
        if (!runs_to_the_end(item)) continue;
        const double per_hour = item.timing == Timing::every ? 1.0 / hours(item.every) : item.rate_per_second * 3600.0;
        if (!(per_hour > 0)) continue;
        const std::string name(to_string(item.action.kind));
        auto known =
            std::find_if(actions.begin(), actions.end(), [&](const PowerAction& a) { return a.action == name; });
        if (known == actions.end()) {
            actions.push_back({name, per_hour});
        } else {
            known->calls_per_hour += per_hour;
        }
    }
    return actions;
}

std::size_t power_bytes_per_call(double rate_per_hour, double calls_per_hour, engine::LeakShape shape) {
    const double exact = rate_per_hour / calls_per_hour;
    auto bytes = static_cast<std::size_t>(std::max(1.0, std::round(exact)));
    if (shape == engine::LeakShape::mmap) {
        const auto page = static_cast<std::size_t>(kPage);
        bytes = (bytes + page - 1) / page * page;
    }
    return bytes;
}

std::optional<std::size_t> fill_bytes_per_tick(const Scenario& scenario, std::size_t capacity) {
    const double quarter_s = engine::to_seconds(scenario.duration) / 4.0;
    double ticks = 0;
    for (const WorkloadItem& item : scenario.workload) {
        if (item.action.kind != ActionKind::tick || !runs_to_the_end(item)) continue;
        const double start_s = engine::to_seconds(item.from - engine::virtual_epoch) +
                               (item.timing == Timing::every ? engine::to_seconds(item.offset) : 0.0);
        if (start_s > quarter_s) continue;
        if (item.timing == Timing::every) {
            ticks += std::floor((quarter_s - start_s) / engine::to_seconds(item.every)) + 1;
        } else {
            ticks += std::floor(item.rate_per_second * (quarter_s - start_s));  // expected arrivals
        }
    }
    if (ticks < 1) return std::nullopt;
    return static_cast<std::size_t>(std::ceil(static_cast<double>(capacity) / ticks));
}

bool failed_whole_process_limit(const RunResult& result) {
    for (const BudgetResult& budget : result.budgets) {
        for (const LimitResult& limit : budget.limits) {
            if (limit.verdict != Verdict::fail) continue;
            if (is_process_metric(limit.metric)) return true;
        }
    }
    return false;
}

std::size_t PowerResult::errors() const {
    std::size_t total = 0;
    for (const PowerCell& cell : cells) {
        for (const PowerRate& rate : cell.rates) {
            if (rate.run) total += rate.errors;
        }
    }
    for (const PowerFill& fill : fills) total += fill.errors;
    return total;
}

bool PowerResult::fills_passed() const {
    return std::all_of(fills.begin(), fills.end(), [](const PowerFill& f) { return f.passed == f.runs; });
}

std::size_t power_required(std::size_t seeds) {
    return static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(seeds) - 1e-9));
}

std::optional<double> detection_limit(const std::vector<PowerRate>& rates, std::size_t seeds) {
    const std::size_t required = power_required(seeds);
    std::optional<double> limit;
    bool seen_measured = false;
    // From the largest rate down, by reverse iterators: clang 14 (the fuzz build, clang-tidy) cannot compile
    // std::views::reverse over libstdc++ 12.
    for (auto rate = rates.rbegin(); rate != rates.rend(); ++rate) {  // NOLINT(modernize-loop-convert)
        if (!rate->run && !rate->same_as_previous) {
            if (seen_measured) break;  // a gap below a measured rate: cannot happen (not-run rates are the largest)
            continue;                  // above every measured rate: assumed caught
        }
        seen_measured = true;
        if (rate->caught < required) break;
        limit = rate->true_per_hour;
    }
    return limit;
}

PowerResult run_power(const PowerOptions& options, const std::atomic<bool>* stop_requested) {
    PowerResult result;
    std::vector<Scenario> scenarios;
    for (const auto& file : options.scenarios) scenarios.push_back(load_scenario(file));
    if (!options.actions.empty()) {
        for (const std::string& wanted : options.actions) {
            const bool found = std::any_of(scenarios.begin(), scenarios.end(), [&](const Scenario& s) {
                const auto acts = power_actions(s);
                return std::any_of(acts.begin(), acts.end(), [&](const PowerAction& a) { return a.action == wanted; });
            });
            if (!found) {
                throw Error(
                    fmt::format("--power-actions {}: no chosen scenario runs it periodically or by rate to "
                                "its end",
                                wanted));
            }
        }
    }
    const std::size_t seeds = options.seeds.size();
    const auto say = [&](const std::string& line) {
        if (options.on_step) options.on_step(line);
    };

    for (std::size_t s = 0; s < scenarios.size() && !result.interrupted; ++s) {
        const Scenario& scenario = scenarios[s];
        const std::filesystem::path& file = options.scenarios[s];
        const std::string stem = file.stem().string();

        // The bounded fill: must pass.
        PowerFill fill;
        fill.scenario = file;
        fill.scenario_name = scenario.name;
        fill.capacity = options.fill_capacity;
        fill.bytes_per_tick = fill_bytes_per_tick(scenario, options.fill_capacity);
        if (fill.bytes_per_tick) {
            const std::string injection = fmt::format("tick:bounded:{}:{}", *fill.bytes_per_tick, fill.capacity);
            std::filesystem::path folder;
            const auto entries = run_step(file, injection, stem + "-fill", options, stop_requested, folder);
            std::vector<Assessed> assessed;
            for (const SuiteEntry& entry : entries) {
                assessed.push_back(assess(entry, options));
                ++fill.runs;
                switch (assessed.back().verdict) {
                    case RunVerdict::passed: ++fill.passed; break;
                    case RunVerdict::error:
                        ++fill.errors;
                        fill.problems.push_back(assessed.back().problem);
                        break;
                    default:
                        ++fill.false_alarms;
                        fill.problems.push_back(fmt::format("seed {}: false alarm; report {}", entry.seed.value_or(0),
                                                            entry.report.string()));
                        break;
                }
            }
            // A false alarm's report is worth keeping.
            std::vector<Assessed> keep = assessed;
            for (std::size_t i = 0; i < entries.size(); ++i) {
                if (keep[i].verdict != RunVerdict::passed) keep[i].verdict = RunVerdict::error;
            }
            if (fill.false_alarms == 0) tidy(entries, keep, folder, options);
            if (stopped(stop_requested)) result.interrupted = true;
            say(fmt::format("{} 8 MiB fill ({}): {}/{} passed", stem, injection, fill.passed, fill.runs));
        }
        result.fills.push_back(std::move(fill));

        for (const engine::LeakShape shape : options.shapes) {
            for (const PowerAction& action : power_actions(scenario)) {
                if (result.interrupted) break;
                if (!options.actions.empty() &&
                    std::find(options.actions.begin(), options.actions.end(), action.action) == options.actions.end()) {
                    continue;
                }
                PowerCell cell;
                cell.scenario = file;
                cell.scenario_name = scenario.name;
                cell.shape = shape;
                cell.action = action.action;
                cell.calls_per_hour = action.calls_per_hour;
                std::size_t streak = 0;  // consecutive run rates caught in every seed
                for (std::size_t r = 0; r < options.rates.size(); ++r) {
                    PowerRate rate;
                    rate.requested_per_hour = options.rates[r];
                    rate.bytes_per_call = power_bytes_per_call(rate.requested_per_hour, action.calls_per_hour, shape);
                    rate.true_per_hour = static_cast<double>(rate.bytes_per_call) * action.calls_per_hour;
                    if (!cell.rates.empty() && cell.rates.back().bytes_per_call == rate.bytes_per_call &&
                        (cell.rates.back().run || cell.rates.back().same_as_previous)) {
                        const PowerRate& previous = cell.rates.back();
                        rate.same_as_previous = true;
                        rate.runs = previous.runs;
                        rate.caught = previous.caught;
                        rate.errors = previous.errors;
                        cell.rates.push_back(rate);
                        continue;
                    }
                    if (streak >= 2 || result.interrupted) {
                        cell.rates.push_back(rate);  // not run: assumed caught
                        continue;
                    }
                    const std::string injection =
                        fmt::format("{}:{}:{}", action.action, engine::to_string(shape), rate.bytes_per_call);
                    std::filesystem::path folder;
                    const auto entries = run_step(file, injection,
                                                  fmt::format("{}-{}-{}-{}", stem, engine::to_string(shape),
                                                              action.action, rate.bytes_per_call),
                                                  options, stop_requested, folder);
                    std::vector<Assessed> assessed;
                    rate.run = true;
                    for (const SuiteEntry& entry : entries) {
                        assessed.push_back(assess(entry, options));
                        ++rate.runs;
                        if (assessed.back().verdict == RunVerdict::caught) ++rate.caught;
                        if (assessed.back().verdict == RunVerdict::error) {
                            ++rate.errors;
                            cell.problems.push_back(fmt::format("{}: {}", injection, assessed.back().problem));
                        }
                    }
                    tidy(entries, assessed, folder, options);
                    if (stopped(stop_requested)) result.interrupted = true;
                    streak = rate.caught == seeds && rate.runs == seeds ? streak + 1 : 0;
                    say(fmt::format("{} {} {} {} ({} B/call, true {}): {}/{} caught", stem, engine::to_string(shape),
                                    action.action, rate_text(rate.requested_per_hour), rate.bytes_per_call,
                                    rate_text(rate.true_per_hour), rate.caught, rate.runs));
                    cell.rates.push_back(rate);
                }
                cell.detection_limit_per_hour = detection_limit(cell.rates, seeds);
                result.cells.push_back(std::move(cell));
            }
        }
    }
    return result;
}

AaSuiteResult run_aa_suite(const std::filesystem::path& suite_file, const std::vector<std::uint64_t>& seeds,
                           const SuiteOptions& options, std::size_t parallel, const std::atomic<bool>* stop_requested) {
    AaSuiteResult result;
    result.suite = suite_file;
    const Suite suite = load_suite(suite_file);
    if (seeds.empty()) return result;  // no runs asked for (an empty seed list would run each scenario once)
    SuiteOptions suite_options = options;
    suite_options.seeds = seeds;
    const std::vector<SuiteEntry> entries = run_suite_parallel(suite, suite_options, parallel, stop_requested);
    for (const SuiteEntry& entry : entries) {
        ++result.runs;
        if (entry.outcome == Outcome::pass) {
            std::error_code ec;
            if (!entry.report.empty()) std::filesystem::remove(entry.report, ec);
            std::filesystem::remove(entry.log, ec);
            continue;
        }
        if (entry.outcome == Outcome::fail) {
            ++result.false_alarms;
        } else {
            ++result.errors;
        }
        result.entries.push_back(entry);
    }
    result.interrupted = stopped(stop_requested) || entries.size() < suite.scenarios.size() * seeds.size();
    return result;
}

}  // namespace memsoak::harness
