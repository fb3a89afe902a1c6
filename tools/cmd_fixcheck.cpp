// memsoak fixcheck: one scenario run with leaks switched on and with every fix, each in its own process, and what
// the fixes save: peak RSS, final live bytes, growth rates, in absolute values and as a reduction.

#include <stdlib.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "memsoak/harness/diagnosis.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/heap_profile.hpp"
#include "memsoak/harness/scenario.hpp"
#include "memsoak/harness/suite.hpp"
#include "memsoak/harness/units.hpp"
#include "memsoak/reports/atomic_file.hpp"
#include "memsoak/reports/json_report.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using Json = nlohmann::json;

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
    if (entries.empty()) throw harness::Error(fmt::format("{}: the {} run did not start", scenario.string(), side.name));
    side.entry = entries.front();
}

std::string format_value(double value, const std::string& unit) {
    return unit == "bytes_per_hour" ? harness::format_size_rate(value) : harness::format_bytes(value);
}

std::string format_percent(double percent) {
    return std::isfinite(percent) ? fmt::format("{:.1f}%", percent) : "n/a";
}

std::vector<std::string> failed_budgets(const harness::RunResult& result) {
    std::vector<std::string> failed;
    for (const harness::BudgetResult& budget : result.budgets) {
        if (budget.verdict == harness::Verdict::fail) failed.push_back(budget.budget);
    }
    return failed;
}

std::string describe_verdict(const harness::RunResult& result) {
    const std::vector<std::string> failed = failed_budgets(result);
    if (failed.empty()) return std::string(harness::to_string(result.verdict));
    return fmt::format("{} ({})", harness::to_string(result.verdict), fmt::join(failed, ", "));
}

Json side_to_json(const Side& side) {
    return {{"report", side.entry.report.string()},
            {"verdict", harness::to_string(side.result.verdict)},
            {"failed_budgets", failed_budgets(side.result)}};
}

Json number_or_null(double value) { return std::isfinite(value) ? Json(value) : Json(nullptr); }

void print_table(std::ostream& out, const std::vector<harness::FixMeasure>& measures) {
    std::vector<std::vector<std::string>> rows{{"measure", "with leaks", "fixed", "saving", "reduction"}};
    for (const harness::FixMeasure& m : measures) {
        rows.push_back({m.name, format_value(m.with_leaks, m.unit), format_value(m.fixed, m.unit),
                        format_value(m.saving, m.unit), format_percent(m.percent)});
    }
    print_aligned(out, rows);
}

}  // namespace

int fixcheck_command(const std::vector<std::string>& args) {
    po::options_description options("memsoak fixcheck SCENARIO [options]");
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
    po::positional_options_description positional;
    positional.add("scenario", 1);
    if (wants_help(args)) {
        std::cout << options
                  << "\nRuns the scenario twice, each in its own process: with the leaks switched on, and with every\n"
                     "fix. Reports peak RSS, final live bytes and the growth rates of live bytes and of the resident\n"
                     "set (at the purged checkpoints) for both, with the saving and the reduction in percent.\n"
                     "Exit codes: 0 the run with leaks failed and the fixed run passed, 1 otherwise, 2 bad usage or\n"
                     "input, 3 internal error, 130/143 interrupted.\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    if (!vm.count("scenario")) throw UsageError("missing the scenario file");
    const fs::path scenario_file = vm["scenario"].as<std::string>();
    const harness::Scenario scenario = harness::load_scenario(scenario_file);

    std::vector<std::string> leaks;
    if (vm.count("leak")) {
        leaks = vm["leak"].as<std::vector<std::string>>();
    } else {
        for (const std::string& budget : scenario.budgets) {
            if (budget.starts_with("issue-")) leaks.push_back(budget);
        }
        if (leaks.empty()) {
            throw UsageError(fmt::format("{} checks no study issue: name the leaks to switch on with --leak",
                                         scenario_file.string()));
        }
    }
    std::vector<std::string> common;
    if (vm.count("measure")) {
        common.insert(common.end(), {"--measure", vm["measure"].as<std::string>()});
    }
    if (vm.count("ledger")) common.insert(common.end(), {"--ledger", vm["ledger"].as<std::string>()});
    std::optional<std::uint64_t> seed;
    if (vm.count("seed")) seed = parse_seed(vm["seed"].as<std::string>());
    // Both runs' checks, before either starts: what the leaky run would refuse (an unknown leak, a missing ledger,
    // a broken CSV) is refused now rather than after the fixed run's soak.
    RunRequest request;
    request.scenario_file = scenario_file;
    if (vm.count("ledger")) request.ledger_file = vm["ledger"].as<std::string>();
    request.seed = seed;
    request.leaks = leaks;
    if (vm.count("measure")) request.layers = parse_layers(vm["measure"].as<std::string>());
    check_outputs_spare_inputs(output_files(vm), prepare_run(request).inputs);

    Side with_leaks{"with-leaks", common, {}, {}};
    for (const std::string& leak : leaks) with_leaks.run_args.insert(with_leaks.run_args.end(), {"--leak", leak});
    Side fixed{"fixed", common, {}, {}};

    const bool temporary = !vm.count("work-dir");
    fs::path work_dir;
    if (temporary) {
        std::string pattern = (fs::temp_directory_path() / "memsoak-fixcheck-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw harness::Error(fmt::format("{}: cannot create a work folder: {}", pattern, std::strerror(errno)));
        }
        work_dir = pattern;
    } else {
        work_dir = vm["work-dir"].as<std::string>();
        std::error_code ec;
        fs::create_directories(work_dir, ec);
        if (ec || !fs::is_directory(work_dir)) {
            throw UsageError(fmt::format("--work-dir {}: expected a folder that exists or can be created{}",
                                         work_dir.string(), ec ? ": " + ec.message() : ""));
        }
    }
    // The temporary folder goes however this ends, an error included.
    const std::unique_ptr<const fs::path, void (*)(const fs::path*)> remove_temporary(
        temporary ? &work_dir : nullptr, [](const fs::path* folder) {
            std::error_code ec;
            fs::remove_all(*folder, ec);
        });

    // The two runs are separate processes, so running them side by side changes neither one's memory. Both
    // sides' errors are caught, so that the thread is joined before any is rethrown.
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
    for (Side* side : {&with_leaks, &fixed}) {
        if (side->entry.outcome == harness::Outcome::interrupted) return 128 + g_stop_signal.load();
        if (side->entry.report.empty()) {
            throw harness::Error(fmt::format("the {} run of {} wrote no report ({}); see {}", side->name,
                                             scenario_file.string(), harness::to_string(side->entry.outcome),
                                             side->entry.log.string()));
        }
        side->result = load_child_report(side->entry.report);
    }

    const std::vector<harness::FixMeasure> measures = harness::compare_fix(with_leaks.result, fixed.result);
    const bool flipped =
        with_leaks.result.verdict == harness::Verdict::fail && fixed.result.verdict == harness::Verdict::pass;
    if (vm.count("out")) {
        Json rows = Json::array();
        for (const harness::FixMeasure& m : measures) {
            rows.push_back({{"name", m.name},
                            {"unit", m.unit},
                            {"with_leaks", number_or_null(m.with_leaks)},
                            {"fixed", number_or_null(m.fixed)},
                            {"saving", number_or_null(m.saving)},
                            {"percent", number_or_null(m.percent)}});
        }
        const Json document = {{"schema_version", harness::kFixcheckSchemaVersion},
                               {"scenario", scenario_file.string()},
                               {"seed", with_leaks.result.info.seed},
                               {"leaks", leaks},
                               {"with_leaks", side_to_json(with_leaks)},
                               {"fixed", side_to_json(fixed)},
                               {"verdict_flips", flipped},
                               {"measures", std::move(rows)}};
        reports::write_file_atomically(vm["out"].as<std::string>(), document.dump(1) + "\n");
    }
    if (!vm.count("quiet")) {
        std::cout << fmt::format("memsoak fixcheck: {} (seed {}), {} switched on vs every fix\n\n", scenario.name,
                                 with_leaks.result.info.seed, fmt::join(leaks, ", "));
        print_table(std::cout, measures);
        std::cout << fmt::format("\nwith leaks: {}; fixed: {}\n", describe_verdict(with_leaks.result),
                                 describe_verdict(fixed.result));
        if (!temporary) std::cout << "reports and logs: " << work_dir.string() << '\n';
    }
    return flipped ? kExitPass : kExitBudgetFailed;
}

}  // namespace memsoak::cli
