#include "memsoak/harness/orchestration/selftest.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "memsoak/harness/error.hpp"
#include "memsoak/harness/outcome_words.hpp"

namespace memsoak::harness {
namespace {

// Children that share their arguments: one scenario list, one seed list, one output folder. Each group is run as
// `parallel` shards by run_suite.
struct Group {
    SelftestRole role = SelftestRole::fixed;
    std::string issue;  // the leak switched on, for leaky groups
    Suite suite;
    std::vector<std::uint64_t> seeds;
    std::vector<std::string> run_args;
    std::filesystem::path out_dir;
};

Group make_group(SelftestRole role, std::string issue, const std::string& name,
                 std::vector<std::filesystem::path> scenarios, std::vector<std::uint64_t> seeds,
                 std::vector<std::string> run_args, const SelftestOptions& options) {
    Group group;
    group.role = role;
    group.issue = std::move(issue);
    group.suite.file = "memsoak selftest";
    group.suite.name = name;
    group.suite.scenarios = std::move(scenarios);
    group.seeds = std::move(seeds);
    group.run_args = std::move(run_args);
    group.out_dir = options.work_dir / name;
    return group;
}

std::vector<Group> plan_groups(const SelftestOptions& options) {
    std::vector<Group> groups;
    std::vector<std::filesystem::path> fixed_scenarios;
    for (const SelftestCase& c : options.cases) {
        std::vector<std::string> args{"--leak", c.issue};
        args.insert(args.end(), options.run_args.begin(), options.run_args.end());
        groups.push_back(make_group(SelftestRole::leaky, c.issue, "leaky-" + c.issue, {c.scenario}, options.seeds,
                                    std::move(args), options));
        if (std::find(fixed_scenarios.begin(), fixed_scenarios.end(), c.scenario) == fixed_scenarios.end()) {
            fixed_scenarios.push_back(c.scenario);
        }
    }
    groups.push_back(make_group(SelftestRole::fixed, "", "fixed", std::move(fixed_scenarios), options.seeds,
                                options.run_args, options));
    if (!options.aa_seeds.empty()) {
        groups.push_back(
            make_group(SelftestRole::aa, "", "aa", {options.aa_scenario}, options.aa_seeds, options.run_args, options));
    }
    return groups;
}

const BudgetResult* budget_named(const RunResult& result, std::string_view name) {
    for (const BudgetResult& budget : result.budgets) {
        if (budget.budget == name) return &budget;
    }
    return nullptr;
}

// The budgets whose failure caught a leaky run's issue: the issue's own, or (its metrics not measured) every
// failed one, e.g. the process's. Empty, with the run's problem said, when the issue was missed or another study
// issue was blamed as well.
std::vector<std::string> catching_budgets(SelftestRun& run, const RunResult& result) {
    const BudgetResult* own = budget_named(result, run.issue);
    const bool own_measured = own != nullptr && own->verdict != Verdict::not_measured;
    std::vector<std::string> watched;
    if (own_measured) {
        if (own->verdict == Verdict::fail) watched = {run.issue};
    } else {
        watched = run.failed_budgets;
    }
    if (watched.empty()) {
        run.problem = fmt::format("failed {} but not {}", fmt::join(run.failed_budgets, ", "), run.issue);
        return {};
    }
    std::vector<std::string> blamed;
    for (const std::string& failed : run.failed_budgets) {
        if (failed != run.issue && failed.starts_with("issue-")) blamed.push_back(failed);
    }
    if (!blamed.empty()) {
        run.problem = fmt::format("blamed {} as well", fmt::join(blamed, ", "));
        return {};
    }
    return watched;
}

// Judges one child: reads its report, decides whether it did what its role demands, and for a caught leak finds
// when it was first detected.
SelftestRun assess(const Group& group, const SuiteEntry& entry, const SelftestOptions& options) {
    SelftestRun run;
    run.role = group.role;
    run.issue = group.issue;
    run.scenario = entry.scenario;
    run.seed = entry.seed.value_or(0);
    run.outcome = entry.outcome;
    run.report = entry.report;
    run.log = entry.log;
    if (entry.outcome != Outcome::pass && entry.outcome != Outcome::fail) {
        run.problem = outcome_words(entry);
        return run;
    }
    if (entry.report.empty()) {
        run.problem = "no report was written";
        return run;
    }
    RunResult result;
    try {
        result = options.load_report(entry.report);
    } catch (const std::exception& e) {
        run.problem = fmt::format("unreadable report: {}", e.what());
        return run;
    }
    for (const BudgetResult& budget : result.budgets) {
        if (budget.verdict == Verdict::fail) run.failed_budgets.push_back(budget.budget);
    }

    if (group.role != SelftestRole::leaky) {
        run.ok = entry.outcome == Outcome::pass;
        if (!run.ok) run.problem = fmt::format("false alarm: {} failed", fmt::join(run.failed_budgets, ", "));
        return run;
    }
    if (entry.outcome == Outcome::pass) {
        run.problem = "passed: the leak was missed";
        return run;
    }
    const std::vector<std::string> watched = catching_budgets(run, result);
    if (watched.empty()) return run;
    run.ok = true;
    // The prefixes are judged against the limits the run applied (calibrated ones resolved for its scenario and
    // allocator), not the ledger file's.
    run.detected_after = first_detection(result, ledger_applied_in(result), watched, options.detection_prefixes);
    return run;
}

// Runs every group's shards on `parallel` threads, each waiting for one child at a time. Entries come back per
// group, in plan order (scenario, then seed).
std::vector<std::vector<SuiteEntry>> run_groups(const std::vector<Group>& groups, const SelftestOptions& options,
                                                const std::atomic<bool>* stop_requested) {
    struct Piece {
        std::size_t group;
        Shard shard;
    };
    std::vector<Piece> pieces;
    std::size_t total = 0;
    const std::size_t parallel = std::max<std::size_t>(options.parallel, 1);
    for (std::size_t g = 0; g < groups.size(); ++g) {
        total += groups[g].suite.scenarios.size() * groups[g].seeds.size();
        for (std::size_t k = 1; k <= parallel; ++k) pieces.push_back({g, Shard{k, parallel}});
    }

    std::vector<std::vector<SuiteEntry>> entries(groups.size());
    std::mutex mutex;  // guards entries, started and the progress callback
    std::size_t started = 0;
    std::size_t finished = 0;
    std::atomic<std::size_t> next_piece{0};
    std::exception_ptr failure;
    const auto worker = [&] {
        try {
            for (std::size_t i = next_piece++; i < pieces.size(); i = next_piece++) {
                const Group& group = groups[pieces[i].group];
                SuiteOptions suite_options;
                suite_options.executable = options.executable;
                suite_options.out_dir = group.out_dir;
                suite_options.run_args = group.run_args;
                suite_options.seeds = group.seeds;
                suite_options.shard = pieces[i].shard;
                suite_options.on_start = [&](const SuiteJob&, std::size_t, std::size_t) {
                    const std::lock_guard lock(mutex);
                    ++started;
                    if (options.on_progress) options.on_progress(started, total);
                };
                suite_options.on_finish = [&](const SuiteEntry& entry, std::size_t, std::size_t) {
                    const std::lock_guard lock(mutex);
                    ++finished;
                    if (options.on_finished) options.on_finished(entry, finished, total);
                };
                std::vector<SuiteEntry> done = run_suite(group.suite, suite_options, stop_requested);
                const std::lock_guard lock(mutex);
                auto& list = entries[pieces[i].group];
                list.insert(list.end(), std::make_move_iterator(done.begin()), std::make_move_iterator(done.end()));
            }
        } catch (...) {
            const std::lock_guard lock(mutex);
            if (!failure) failure = std::current_exception();
        }
    };
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < parallel; ++t) threads.emplace_back(worker);
    for (std::thread& thread : threads) thread.join();
    if (failure) std::rethrow_exception(failure);
    for (auto& list : entries) {
        std::sort(list.begin(), list.end(),
                  [](const SuiteEntry& a, const SuiteEntry& b) { return a.job_index < b.job_index; });
    }
    return entries;
}

}  // namespace

std::vector<SelftestCase> default_selftest_cases(const std::filesystem::path& folder, bool engine_measured) {
    // Issue 2 is also checked by indicator-toggles, and issue 4 by overnight, but gui-hour is the cheapest for 2 and
    // overnight's 30-minute freeze is drained before the process layers see it; issues 3 and 5 grow too slowly for
    // the process budget, so without the engine layer they need the allocator-judged scenarios.
    std::vector<SelftestCase> cases{
        {"issue-1", folder / "gui-hour.json"},
        {"issue-2", folder / "gui-hour.json"},
        {"issue-3", folder / (engine_measured ? "trading-months.json" : "transactions-allocator.json")},
        {"issue-4", folder / "gui-freeze-log-flood.json"},
        {"issue-5", folder / (engine_measured ? "signals-month.json" : "signals-allocator.json")},
    };
    for (const SelftestCase& c : cases) {
        if (!std::filesystem::is_regular_file(c.scenario)) {
            throw Error(fmt::format("{}: no such scenario file (the selftest's scenario for {})", c.scenario.string(),
                                    c.issue));
        }
    }
    return cases;
}

std::filesystem::path default_aa_scenario(const std::filesystem::path& folder) {
    std::filesystem::path scenario = folder / "aa-every-budget.json";
    if (!std::filesystem::is_regular_file(scenario)) {
        throw Error(fmt::format("{}: no such scenario file (the selftest's A/A scenario)", scenario.string()));
    }
    return scenario;
}

bool SelftestResult::passed() const {
    return !interrupted && !runs.empty() &&
           std::all_of(runs.begin(), runs.end(), [](const SelftestRun& run) { return run.ok; });
}

SelftestResult run_selftest(const SelftestOptions& options, const std::atomic<bool>* stop_requested) {
    const std::vector<Group> groups = plan_groups(options);
    const std::vector<std::vector<SuiteEntry>> entries = run_groups(groups, options, stop_requested);

    SelftestResult result;
    result.aa_scenario = options.aa_scenario;
    std::size_t expected = 0;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        expected += groups[g].suite.scenarios.size() * groups[g].seeds.size();
        for (const SuiteEntry& entry : entries[g]) result.runs.push_back(assess(groups[g], entry, options));
    }
    result.interrupted = result.runs.size() < expected ||
                         std::any_of(result.runs.begin(), result.runs.end(),
                                     [](const SelftestRun& run) { return run.outcome == Outcome::interrupted; });

    for (const SelftestCase& c : options.cases) {
        SelftestIssue& issue = result.issues.emplace_back();
        issue.issue = c.issue;
        issue.scenario = c.scenario;
        for (const SelftestRun& run : result.runs) {
            if (run.role == SelftestRole::leaky && run.issue == c.issue) {
                ++issue.leaky_runs;
                if (run.ok) ++issue.caught;
                if (run.detected_after) issue.detections.push_back(*run.detected_after);
            } else if (run.role == SelftestRole::fixed && run.scenario == c.scenario) {
                ++issue.fixed_runs;
                if (run.ok) ++issue.fixed_passed;
            }
        }
    }
    for (const SelftestRun& run : result.runs) {
        if (run.role != SelftestRole::aa) continue;
        ++result.aa_runs;
        if (run.outcome == Outcome::fail) {
            ++result.aa_false_alarms;
        } else if (run.outcome != Outcome::pass) {
            ++result.aa_errors;
        }
    }
    return result;
}

std::optional<VirtualDuration> first_detection(const RunResult& run, const Ledger& ledger,
                                               const std::vector<std::string>& budgets, std::size_t prefixes,
                                               const JudgeOptions& options) {
    const SampleSeries& series = run.samples;
    const std::size_t n = series.size();
    if (n == 0 || prefixes == 0 || budgets.empty()) return std::nullopt;
    std::size_t previous = 0;
    for (std::size_t k = 1; k <= prefixes; ++k) {
        const std::size_t length = (k * n + prefixes - 1) / prefixes;
        if (length == previous) continue;
        previous = length;
        SampleSeries prefix;
        prefix.metrics = series.metrics;
        prefix.times.assign(series.times.begin(), series.times.begin() + static_cast<std::ptrdiff_t>(length));
        prefix.purged.assign(series.purged.begin(), series.purged.begin() + static_cast<std::ptrdiff_t>(length));
        for (const std::vector<double>& column : series.values) {
            prefix.values.emplace_back(column.begin(),
                                       column.begin() + static_cast<std::ptrdiff_t>(std::min(length, column.size())));
        }
        JudgeOptions judge_options = options;
        judge_options.level_window = run.info.level_window;
        const std::vector<BudgetResult> judged = judge_budgets(prefix, ledger, budgets, run.info.warmup, judge_options);
        if (overall_verdict(judged) == Verdict::fail) return prefix.times.back() - engine::virtual_epoch;
    }
    return std::nullopt;
}

std::string_view to_string(SelftestRole role) {
    switch (role) {
        case SelftestRole::leaky: return "leaky";
        case SelftestRole::fixed: return "fixed";
        case SelftestRole::aa: return "aa";
    }
    return "unknown";
}

}  // namespace memsoak::harness
