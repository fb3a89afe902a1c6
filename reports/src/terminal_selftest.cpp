// The terminal rendering of `memsoak selftest`: the leak matrix, the A/A suite runs and the power study.

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "memsoak/harness/units.hpp"
#include "memsoak/reports/selftest_report.hpp"
#include "terminal_table.hpp"

namespace memsoak::reports {
namespace {

using Lines = std::vector<std::vector<std::string>>;

// The plain tables of selftest: no colour, whatever the terminal.
void print_plain(std::ostream& out, const Lines& rows, std::size_t indent = 0) {
    const TerminalStyle plain;
    terminal::Printer p(out, plain);
    p.table(terminal::plain_rows(rows), indent);
}

std::string plural(std::size_t n) { return n == 1 ? "" : "s"; }

// "1m / 6m / 31m": min, median (the lower middle) and max of the first detections; "-" without any.
std::string format_detections(const harness::SelftestIssue& issue) {
    if (issue.detections.empty()) return "-";
    std::vector<harness::VirtualDuration> sorted = issue.detections;
    std::sort(sorted.begin(), sorted.end());
    return fmt::format("{} / {} / {}", engine::format_duration(sorted.front()),
                       engine::format_duration(sorted[(sorted.size() - 1) / 2]),
                       engine::format_duration(sorted.back()));
}

void print_matrix(std::ostream& out, const harness::SelftestResult& result) {
    Lines rows{{"issue", "scenario", "leak on: caught", "fixed: passed", "first detected (min / median / max)"}};
    for (const harness::SelftestIssue& issue : result.issues) {
        rows.push_back({issue.issue, issue.scenario.filename().string(),
                        fmt::format("{}/{}", issue.caught, issue.leaky_runs),
                        fmt::format("{}/{}", issue.fixed_passed, issue.fixed_runs), format_detections(issue)});
    }
    if (result.aa_runs > 0) {
        rows.push_back({"A/A", result.aa_scenario.filename().string(), fmt::format("{} runs", result.aa_runs),
                        fmt::format("{} false alarm{}", result.aa_false_alarms, plural(result.aa_false_alarms)), ""});
    }
    print_plain(out, rows);
}

void print_problems(std::ostream& out, const harness::SelftestResult& result) {
    bool header = false;
    for (const harness::SelftestRun& run : result.runs) {
        if (run.ok) continue;
        if (!header) out << "\nproblems:\n";
        header = true;
        out << fmt::format("  {} {}seed {} ({}): {}; log {}\n", harness::to_string(run.role),
                           run.issue.empty() ? "" : run.issue + " ", run.seed, run.scenario.filename().string(),
                           run.problem, run.log.string());
    }
}

std::string format_limit(const harness::PowerCell& cell) {
    return cell.detection_limit_per_hour ? harness::format_size_rate(*cell.detection_limit_per_hour) : "none";
}

// Larger limits are worse, and no limit ("none": the largest rate was missed) is worst of all.
bool worse_limit(const harness::PowerCell& cell, const harness::PowerCell* worst) {
    return worst == nullptr ||
           (worst->detection_limit_per_hour &&
            (!cell.detection_limit_per_hour || *cell.detection_limit_per_hour > *worst->detection_limit_per_hour));
}

// One row per scenario and shape (cells of one are adjacent): the worst limit over its actions, and each action's.
void add_power_cell_rows(Lines& rows, const std::vector<harness::PowerCell>& cells) {
    for (std::size_t i = 0; i < cells.size();) {
        std::size_t j = i;
        const harness::PowerCell* worst = nullptr;
        std::vector<std::string> per_action;
        for (; j < cells.size() && cells[j].scenario == cells[i].scenario && cells[j].shape == cells[i].shape; ++j) {
            per_action.push_back(fmt::format("{} {}", cells[j].action, format_limit(cells[j])));
            if (worse_limit(cells[j], worst)) worst = &cells[j];
        }
        rows.push_back({cells[i].scenario.stem().string(), std::string(engine::to_string(cells[i].shape)),
                        fmt::format("{} ({})", format_limit(*worst), worst->action),
                        fmt::format("{}", fmt::join(per_action, ", "))});
        i = j;
    }
}

void add_power_fill_rows(Lines& rows, const std::vector<harness::PowerFill>& fills) {
    for (const harness::PowerFill& fill : fills) {
        rows.push_back({fill.scenario.stem().string(), "bounded",
                        fill.bytes_per_tick ? fmt::format("8 MiB fill: {}/{} passed", fill.passed, fill.runs)
                                            : std::string("8 MiB fill: not run (no tick to the end)"),
                        fill.bytes_per_tick ? fmt::format("tick:bounded:{}:{}", *fill.bytes_per_tick, fill.capacity)
                                            : std::string()});
    }
}

// Per cell: the rates, their true values and what was caught.
void print_power_steps(std::ostream& out, const harness::PowerResult& result) {
    bool not_run = false;
    for (const harness::PowerCell& cell : result.cells) {
        std::vector<std::string> steps;
        for (const harness::PowerRate& rate : cell.rates) {
            if (rate.run) {
                steps.push_back(
                    fmt::format("{} {}/{}", harness::format_size_rate(rate.true_per_hour), rate.caught, rate.runs));
            } else if (!rate.same_as_previous) {
                steps.push_back(fmt::format("{} not run", harness::format_size_rate(rate.true_per_hour)));
                not_run = true;
            }
        }
        out << fmt::format("  {} {} {} ({:.4g} calls/h): {}\n", cell.scenario.stem().string(),
                           engine::to_string(cell.shape), cell.action, cell.calls_per_hour, fmt::join(steps, ", "));
        for (const std::string& problem : cell.problems) out << "    problem: " << problem << '\n';
    }
    if (not_run) {
        out << "(\"not run\": two smaller rates were caught in every seed, so larger ones are assumed caught)\n";
    }
    for (const harness::PowerFill& fill : result.fills) {
        for (const std::string& problem : fill.problems) {
            out << fmt::format("  {} fill problem: {}\n", fill.scenario.stem().string(), problem);
        }
    }
}

}  // namespace

void print_selftest(std::ostream& out, const harness::SelftestResult& result) {
    print_matrix(out, result);
    print_problems(out, result);
    out << '\n'
        << (result.passed() ? fmt::format("selftest: PASS: every leak caught, every fixed run passed, no false alarm "
                                          "in {} A/A runs\n",
                                          result.aa_runs)
                            : std::string("selftest: FAIL\n"));
}

void print_aa_suite(std::ostream& out, const harness::AaSuiteResult& result, const std::filesystem::path& suite_file) {
    out << fmt::format("A/A {}: {} runs, {} false alarm{}, {} error{}\n", suite_file.filename().string(), result.runs,
                       result.false_alarms, plural(result.false_alarms), result.errors, plural(result.errors));
    for (const harness::SuiteEntry& entry : result.entries) {
        out << fmt::format("  {} seed {}: {}; log {}\n", entry.scenario.filename().string(), entry.seed.value_or(0),
                           harness::to_string(entry.outcome), entry.log.string());
    }
    out << '\n';
}

void print_power(std::ostream& out, const harness::PowerResult& result, std::size_t seeds) {
    Lines rows{{"scenario", "shape", "detection limit (worst action)", "per action"}};
    add_power_cell_rows(rows, result.cells);
    add_power_fill_rows(rows, result.fills);
    print_plain(out, rows);
    out << fmt::format(
        "\nA rate is caught when at least {} of {} seeds fail a whole-process limit (os.* or\n"
        "allocator.*); the limit is the smallest true rate caught with every larger one caught too.\n",
        harness::power_required(seeds), seeds);
    print_power_steps(out, result);
    out << '\n'
        << (result.fills_passed() ? std::string("power: every bounded fill passed\n")
                                  : std::string("power: FAIL: a bounded fill raised a false alarm\n"));
    if (result.errors() > 0) out << fmt::format("power: {} runs errored\n", result.errors());
}

}  // namespace memsoak::reports
