// memsoak selftest: every study leak switched on must fail its budget, switched off must pass, over seeds; A/A
// runs of the fixed engine measure the false-alarm rate. Prints the matrix and writes it as JSON.

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/heap_profile.hpp"
#include "memsoak/harness/selftest.hpp"
#include "memsoak/reports/atomic_file.hpp"
#include "memsoak/reports/json_report.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace memsoak::cli {
namespace {

// --short: the CI form, well under a minute on two cores.
constexpr std::size_t kShortSeeds = 3;
constexpr std::size_t kShortAaRuns = 10;
// Bounds on the counts, which are read as text: boost would read "-1" as 2^64 - 1 for an unsigned option.
constexpr std::size_t kMaxRuns = 100'000;

std::size_t checked_count(const po::variables_map& vm, const std::string& option, std::size_t fallback,
                          std::size_t least) {
    if (!vm.count(option)) return fallback;
    const std::string text = vm[option].as<std::string>();
    std::size_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < least ||
        value > kMaxRuns) {
        throw UsageError(
            fmt::format("--{}: expected a whole number from {} to {}, got \"{}\"", option, least, kMaxRuns, text));
    }
    return value;
}

std::vector<std::uint64_t> seed_range(std::uint64_t first, std::size_t count) {
    std::vector<std::uint64_t> seeds(count);
    for (std::size_t i = 0; i < count; ++i) seeds[i] = first + i;
    return seeds;
}

fs::path make_temp_work_dir() {
    std::string pattern = (fs::temp_directory_path() / "memsoak-selftest-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw harness::Error(fmt::format("{}: cannot create a work folder: {}", pattern, std::strerror(errno)));
    }
    return pattern;
}

std::string format_detections(const harness::SelftestIssue& issue) {
    if (issue.detections.empty()) return "-";
    std::vector<harness::VirtualDuration> sorted = issue.detections;
    std::sort(sorted.begin(), sorted.end());
    return fmt::format("{} / {} / {}", engine::format_duration(sorted.front()),
                       engine::format_duration(sorted[(sorted.size() - 1) / 2]),
                       engine::format_duration(sorted.back()));
}

void print_matrix(std::ostream& out, const harness::SelftestResult& result) {
    std::vector<std::vector<std::string>> rows{
        {"issue", "scenario", "leak on: caught", "fixed: passed", "first detected (min / median / max)"}};
    for (const harness::SelftestIssue& issue : result.issues) {
        rows.push_back({issue.issue, issue.scenario.filename().string(),
                        fmt::format("{}/{}", issue.caught, issue.leaky_runs),
                        fmt::format("{}/{}", issue.fixed_passed, issue.fixed_runs), format_detections(issue)});
    }
    if (result.aa_runs > 0) {
        rows.push_back({"A/A", result.aa_scenario.filename().string(), fmt::format("{} runs", result.aa_runs),
                        fmt::format("{} false alarm{}", result.aa_false_alarms, result.aa_false_alarms == 1 ? "" : "s"),
                        ""});
    }
    print_aligned(out, rows);
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

}  // namespace

int selftest_command(const std::vector<std::string>& args) {
    po::options_description options("memsoak selftest [options]");
    options.add_options()
        ("help,h", "show this help")
        ("seeds", po::value<std::string>(), "seeds per study issue, each run with the leak and fixed (default 10)")
        ("aa-runs", po::value<std::string>(), "A/A runs of the fixed engine for the false-alarm rate (default 50)")
        ("short", "the CI form: 3 seeds and 10 A/A runs unless --seeds or --aa-runs say otherwise")
        ("issue", po::value<std::vector<std::string>>()->composing(),
         "only this study issue, issue-1 .. issue-5 (repeatable; default: all five)")
        ("out,o", po::value<std::string>(), "write the matrix as JSON here (atomically)")
        ("scenarios", po::value<std::string>()->default_value("scenarios"),
         "the folder of the shipped scenarios and budgets.json")
        ("measure", po::value<std::string>(),
         "layers every run samples, e.g. os,allocator: without the engine layer a leak is caught when any budget "
         "fails, and issues 3 and 5 use their allocator-judged scenarios")
        ("jobs,j", po::value<std::string>(), "runs at a time, each in its own process (default 2)")
        ("prefixes", po::value<std::string>(),
         "growing prefixes of a caught run's series judged to find its first detection, which sets its time "
         "resolution (default 50)")
        ("work-dir", po::value<std::string>(),
         "keep the runs' reports and logs here (default: a temporary folder, removed when everything passed)")
        ("quiet,q", "print nothing but errors");
    if (wants_help(args)) {
        std::cout << options
                  << "\nFor each study issue, runs its scenario with the leak switched on (it must fail, naming that\n"
                     "issue) and fixed (it must pass) over seeds 1..N, plus A/A runs of the fixed engine (the next M\n"
                     "seeds) for the false-alarm rate, and finds when each leak was first detected by judging\n"
                     "growing prefixes of its series. Each run is a child process (docs/diagnosis.md).\n"
                     "Exit codes: 0 every leak caught and nothing else failed, 1 otherwise, 2 bad usage or input,\n"
                     "3 internal error, 130/143 interrupted.\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, {});
    const bool short_form = vm.count("short") > 0;
    const std::size_t seeds = checked_count(vm, "seeds", short_form ? kShortSeeds : 10, 1);
    const std::size_t aa_runs = checked_count(vm, "aa-runs", short_form ? kShortAaRuns : 50, 0);
    bool engine_measured = true;
    harness::SelftestOptions selftest;
    if (vm.count("measure")) {
        const std::string layers = vm["measure"].as<std::string>();
        const std::vector<harness::Layer> parsed = parse_layers(layers);
        engine_measured = std::find(parsed.begin(), parsed.end(), harness::Layer::engine) != parsed.end();
        selftest.run_args = {"--measure", layers};
    }
    const fs::path folder = vm["scenarios"].as<std::string>();
    selftest.cases = harness::default_selftest_cases(folder, engine_measured);
    if (vm.count("issue")) {
        const std::vector<std::string> wanted = vm["issue"].as<std::vector<std::string>>();
        for (const std::string& issue : wanted) {
            if (std::none_of(selftest.cases.begin(), selftest.cases.end(),
                             [&](const harness::SelftestCase& c) { return c.issue == issue; })) {
                throw UsageError(fmt::format("--issue {}: expected one of issue-1, issue-2, issue-3, issue-4, issue-5",
                                             issue));
            }
        }
        std::erase_if(selftest.cases, [&](const harness::SelftestCase& c) {
            return std::find(wanted.begin(), wanted.end(), c.issue) == wanted.end();
        });
    }
    selftest.aa_scenario = harness::default_aa_scenario(folder);
    selftest.seeds = seed_range(1, seeds);
    selftest.aa_seeds = seed_range(seeds + 1, aa_runs);
    selftest.parallel = checked_count(vm, "jobs", 2, 1);
    selftest.detection_prefixes = checked_count(vm, "prefixes", 50, 1);
    selftest.executable = harness::current_executable();
    selftest.load_report = [](const fs::path& file) { return reports::load_report(file); };
    const bool temporary = !vm.count("work-dir");
    selftest.work_dir = temporary ? make_temp_work_dir() : fs::path(vm["work-dir"].as<std::string>());

    const bool quiet = vm.count("quiet") > 0;
    const bool progress = !quiet && ::isatty(STDERR_FILENO);
    selftest.on_progress = [progress](std::size_t started, std::size_t total) {
        if (progress) std::fprintf(stderr, "\rselftest: run %zu of %zu   ", started, total);
    };
    if (!quiet) {
        std::cout << fmt::format("memsoak selftest: {} issues x {} seeds, leak on and fixed, and {} A/A runs ({} at "
                                 "a time)\n\n",
                                 selftest.cases.size(), seeds, aa_runs, selftest.parallel);
    }
    const harness::SelftestResult result = harness::run_selftest(selftest, &g_stop_requested);
    if (progress) std::fprintf(stderr, "\r%40s\r", "");

    if (vm.count("out")) {
        reports::write_file_atomically(vm["out"].as<std::string>(),
                                       harness::selftest_to_json(result, selftest).dump(1) + "\n");
    }
    const bool passed = result.passed();
    if (!quiet) {
        print_matrix(std::cout, result);
        print_problems(std::cout, result);
        std::cout << '\n'
                  << (passed ? fmt::format("selftest: PASS: every leak caught, every fixed run passed, no false alarm "
                                           "in {} A/A runs\n",
                                           result.aa_runs)
                             : std::string("selftest: FAIL\n"));
    }
    if (temporary && passed) {
        std::error_code ec;
        fs::remove_all(selftest.work_dir, ec);
    } else if (!quiet) {
        std::cout << "reports and logs: " << selftest.work_dir.string() << '\n';
    }
    if (result.interrupted && g_stop_requested.load()) return 128 + g_stop_signal.load();
    return passed ? kExitPass : kExitBudgetFailed;
}

}  // namespace memsoak::cli
