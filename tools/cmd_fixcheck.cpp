// memsoak fixcheck: one scenario run with leaks switched on and with every fix, each in its own process, and what
// the fixes save: peak RSS, final live bytes, growth rates, in absolute values and as a reduction.

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "cli.hpp"
#include "memsoak/harness/analysis/diagnosis.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/inputs/scenario.hpp"
#include "memsoak/harness/orchestration/suite.hpp"
#include "memsoak/harness/soak/heap_profile.hpp"
#include "memsoak/harness/units.hpp"
#include "memsoak/reports/atomic_file.hpp"
#include "memsoak/reports/fixcheck_report.hpp"
#include "memsoak/reports/json_report.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace memsoak::cli {
namespace {

// One child `memsoak run` of the scenario; its report and log land in `out_dir`.
struct Side {
    std::string name;  // "with-leaks" or "fixed"
    std::vector<std::string> run_args;
    harness::SuiteEntry entry;
    harness::RunResult result;
};

void run_side(Side& side, const fs::path& scenario, const std::optional<std::uint64_t>& seed,
              const fs::path& work_dir) {
    harness::Suite suite;
    suite.file = "memsoak fixcheck";
    suite.name = side.name;
    suite.scenarios = {scenario};
    harness::SuiteOptions options;
    options.executable = harness::current_executable();
    options.out_dir = work_dir / side.name;
    options.run_args = side.run_args;
    options.run_args.push_back("--no-attribution");  // fixcheck compares savings; growth sites are run's job
    if (seed) options.seeds = {*seed};
    const std::vector<harness::SuiteEntry> entries = harness::run_suite(suite, options, &g_stop_requested);
    if (entries.empty())
        throw harness::Error(fmt::format("{}: the {} run did not start", scenario.string(), side.name));
    side.entry = entries.front();
}

// The leaks the leaky run switches on: --leak, or every study issue the scenario checks.
std::vector<std::string> leaks_to_switch_on(const po::variables_map& vm, const harness::Scenario& scenario,
                                            const fs::path& scenario_file) {
    if (vm.count("leak")) return vm["leak"].as<std::vector<std::string>>();
    std::vector<std::string> leaks;
    for (const std::string& budget : scenario.budgets) {
        if (budget.starts_with("issue-")) leaks.push_back(budget);
    }
    if (leaks.empty()) {
        throw UsageError(
            fmt::format("{} checks no study issue: name the leaks to switch on with --leak", scenario_file.string()));
    }
    return leaks;
}

// Both runs' checks, before either starts: what the leaky run would refuse (an unknown leak, a missing ledger, a
// broken CSV) is refused now rather than after the fixed run's soak.
void check_both_runs(const po::variables_map& vm, const fs::path& scenario_file,
                     const std::optional<std::uint64_t>& seed, const std::vector<std::string>& leaks) {
    RunRequest request;
    request.scenario_file = scenario_file;
    if (vm.count("ledger")) request.ledger_file = vm["ledger"].as<std::string>();
    request.seed = seed;
    request.leaks = leaks;
    if (vm.count("measure")) request.layers = parse_layers(vm["measure"].as<std::string>());
    check_outputs_spare_inputs(output_files(vm), prepare_run(request).inputs);
}

// The two sides' arguments: what both pass (--measure, --ledger), and --leak for each leak on the leaky side.
std::pair<Side, Side> make_sides(const po::variables_map& vm, const std::vector<std::string>& leaks) {
    std::vector<std::string> common;
    if (vm.count("measure")) common.insert(common.end(), {"--measure", vm["measure"].as<std::string>()});
    if (vm.count("ledger")) common.insert(common.end(), {"--ledger", vm["ledger"].as<std::string>()});
    Side with_leaks{"with-leaks", common, {}, {}};
    for (const std::string& leak : leaks) with_leaks.run_args.insert(with_leaks.run_args.end(), {"--leak", leak});
    return {std::move(with_leaks), Side{"fixed", common, {}, {}}};
}

// --work-dir, created when missing; or a new temporary folder.
fs::path make_work_dir(const po::variables_map& vm) {
    if (!vm.count("work-dir")) {
        std::string pattern = (fs::temp_directory_path() / "memsoak-fixcheck-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw harness::Error(fmt::format("{}: cannot create a work folder: {}", pattern, std::strerror(errno)));
        }
        return pattern;
    }
    const fs::path work_dir = vm["work-dir"].as<std::string>();
    std::error_code ec;
    fs::create_directories(work_dir, ec);
    if (ec || !fs::is_directory(work_dir)) {
        throw UsageError(fmt::format("--work-dir {}: expected a folder that exists or can be created{}",
                                     work_dir.string(), ec ? ": " + ec.message() : ""));
    }
    return work_dir;
}

// The two runs are separate processes, so running them side by side changes neither one's memory. Both sides'
// errors are caught, so that the thread is joined before any is rethrown.
void run_both_sides(Side& with_leaks, Side& fixed, const fs::path& scenario_file,
                    const std::optional<std::uint64_t>& seed, const fs::path& work_dir) {
    std::exception_ptr leaky_failure;
    std::exception_ptr fixed_failure;
    std::thread leaky_thread([&] {
        try {
            run_side(with_leaks, scenario_file, seed, work_dir);
        } catch (...) {
            leaky_failure = std::current_exception();
        }
    });
    try {
        run_side(fixed, scenario_file, seed, work_dir);
    } catch (...) {
        fixed_failure = std::current_exception();
    }
    leaky_thread.join();
    if (fixed_failure) std::rethrow_exception(fixed_failure);
    if (leaky_failure) std::rethrow_exception(leaky_failure);
}

// Reads a side's report; false when the side was interrupted (there is nothing to compare then).
bool load_side_report(Side& side, const fs::path& scenario_file) {
    if (side.entry.outcome == harness::Outcome::interrupted) return false;
    if (side.entry.report.empty()) {
        throw harness::Error(fmt::format("the {} run of {} wrote no report ({}); see {}", side.name,
                                         scenario_file.string(), harness::to_string(side.entry.outcome),
                                         side.entry.log.string()));
    }
    side.result = load_child_report(side.entry.report);
    return true;
}

const char* const kFixcheckHelp =
    "\nRuns the scenario twice, each in its own process: with the leaks switched on, and with every\n"
    "fix. Reports peak RSS, final live bytes and the growth rates of live bytes and of the resident\n"
    "set (at the purged checkpoints) for both, with the saving and the reduction in percent.\n"
    "Exit codes: 0 the run with leaks failed and the fixed run passed, 1 otherwise, 2 bad usage or\n"
    "input, 3 internal error, 130/143 interrupted.\n";

po::options_description fixcheck_options() {
    po::options_description options("memsoak fixcheck SCENARIO [options]");
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
    options.add_options()
        ("help,h", "show this help")
        ("scenario", po::value<std::string>(), "the scenario file (JSON)")
        ("leak", po::value<std::vector<std::string>>()->composing(),
         "a study issue to switch on in the leaky run, issue-1 .. issue-5 (repeatable; default: every issue the "
         "scenario checks)")
        ("seed", po::value<std::string>(), "override the scenario's seed (both runs use it; a non-negative integer)")
        ("measure", po::value<std::string>(), "layers both runs sample (default os,allocator,engine)")
        ("ledger", po::value<std::string>(), "the budget ledger (default: budgets.json beside the scenario)")
        ("out,o", po::value<std::string>(), "write the comparison as JSON here (atomically)")
        ("work-dir", po::value<std::string>(),
         "keep both runs' reports and logs here (default: a temporary folder, removed afterwards)")
        ("quiet,q", "print nothing but errors");
    // clang-format on
    return options;
}

}  // namespace

int fixcheck_command(const std::vector<std::string>& args) {
    const po::options_description options = fixcheck_options();
    po::positional_options_description positional;
    positional.add("scenario", 1);
    if (wants_help(args)) {
        std::cout << options << kFixcheckHelp;
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    if (!vm.count("scenario")) throw UsageError("missing the scenario file");
    reports::FixcheckResult result;
    result.scenario_file = vm["scenario"].as<std::string>();
    const harness::Scenario scenario = harness::load_scenario(result.scenario_file);
    result.scenario_name = scenario.name;
    result.leaks = leaks_to_switch_on(vm, scenario, result.scenario_file);
    std::optional<std::uint64_t> seed;
    if (vm.count("seed")) seed = parse_seed(vm["seed"].as<std::string>());
    check_both_runs(vm, result.scenario_file, seed, result.leaks);
    auto [with_leaks, fixed] = make_sides(vm, result.leaks);

    const bool temporary = !vm.count("work-dir");
    const fs::path work_dir = make_work_dir(vm);
    // The temporary folder goes however this ends, an error included.
    const std::unique_ptr<const fs::path, void (*)(const fs::path*)> remove_temporary(temporary ? &work_dir : nullptr,
                                                                                      [](const fs::path* folder) {
                                                                                          std::error_code ec;
                                                                                          fs::remove_all(*folder, ec);
                                                                                      });
    run_both_sides(with_leaks, fixed, result.scenario_file, seed, work_dir);
    for (Side* side : {&with_leaks, &fixed}) {
        if (!load_side_report(*side, result.scenario_file)) return 128 + g_stop_signal.load();
    }
    result.with_leaks_report = with_leaks.entry.report;
    result.fixed_report = fixed.entry.report;
    result.with_leaks = std::move(with_leaks.result);
    result.fixed = std::move(fixed.result);
    result.measures = harness::compare_fix(result.with_leaks, result.fixed);
    if (vm.count("out")) {
        reports::write_file_atomically(vm["out"].as<std::string>(), reports::fixcheck_to_json(result).dump(1) + "\n");
    }
    if (!vm.count("quiet")) {
        reports::print_fixcheck(std::cout, result);
        if (!temporary) std::cout << "reports and logs: " << work_dir.string() << '\n';
    }
    return result.verdict_flips() ? kExitPass : kExitBudgetFailed;
}

}  // namespace memsoak::cli
