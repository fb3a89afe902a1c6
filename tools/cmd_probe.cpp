// memsoak probe: run a scenario through its whole duration, then measure what each of its actions retains per call
// (harness/soak/retention_probe.hpp), whatever the budgets' verdicts.

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "cli.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/inputs/ledger.hpp"
#include "memsoak/harness/inputs/scenario.hpp"
#include "memsoak/harness/soak/engine_target.hpp"
#include "memsoak/harness/soak/retention_probe.hpp"
#include "memsoak/harness/soak/runner.hpp"
#include "memsoak/harness/units.hpp"
#include "memsoak/reports/atomic_file.hpp"
#include "memsoak/reports/json_report.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace memsoak::cli {
namespace {

double parse_threshold(const std::string& text) {
    try {
        return harness::parse_size(text);
    } catch (const harness::Error& e) {
        throw UsageError(fmt::format("--threshold: {}", e.what()));
    }
}

// "1.8 MiB  [1.7 MiB, 1.9 MiB]"; "-" when the layer was not read.
std::string per_call_cell(double mean, double low, double high) {
    if (!std::isfinite(mean)) return "-";
    return fmt::format("{}  [{}, {}]", harness::format_bytes(mean), harness::format_bytes(low),
                       harness::format_bytes(high));
}

void print_table(std::ostream& out, const std::vector<harness::ActionRetention>& retention, double threshold) {
    std::vector<std::vector<std::string>> rows{
        {"action", "calls/round", "live bytes per call [95% CI]", "RSS per call [95% CI]", ""}};
    for (const harness::ActionRetention& r : retention) {
        rows.push_back({r.action, std::to_string(r.calls_per_round),
                        per_call_cell(r.live_bytes_per_call, r.live_ci_low, r.live_ci_high),
                        per_call_cell(r.rss_bytes_per_call, r.rss_ci_low, r.rss_ci_high),
                        harness::retains_more_than(r, threshold) ? "RETAINS"
                        : r.significant                          ? "significant"
                                                                 : ""});
    }
    print_aligned(out, rows);
}

}  // namespace

int probe_command(const std::vector<std::string>& args) {
    po::options_description options("memsoak probe SCENARIO [options]");
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
    options.add_options()
        ("help,h", "show this help")
        ("scenario", po::value<std::string>(), "the scenario file (JSON)")
        ("seed", po::value<std::string>(), "override the scenario's seed (a non-negative integer)")
        ("leak", po::value<std::vector<std::string>>()->composing(),
         "switch a study issue back to its leaky behaviour: issue-1 .. issue-5 (repeatable)")
        ("rounds", po::value<std::string>()->default_value("8"), "measured rounds per action (2 to 1000)")
        ("threshold", po::value<std::string>()->default_value("1 KiB"),
         "exit 1 when an action retains significantly more than this per call")
        ("ledger", po::value<std::string>(), "the budget ledger (default: budgets.json beside the scenario)")
        ("out,o", po::value<std::string>(), "write the JSON report, with its retention field, here (atomically)")
        ("quiet,q", "print nothing but errors");
    // clang-format on
    po::positional_options_description positional;
    positional.add("scenario", 1);
    if (wants_help(args)) {
        std::cout << options
                  << "\nRuns the scenario through its whole duration in virtual time, then repeats each of its "
                     "actions on\nits own between purged allocator checkpoints (one settle round, then R rounds) "
                     "and reports the\nbytes each call leaves behind, with a 95% t-interval.\n"
                     "Exit codes: 0 no action retains significantly more than the threshold, 1 one does, 2 bad "
                     "usage or\ninput, 3 internal error, 130/143 interrupted.\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    if (!vm.count("scenario")) throw UsageError("missing the scenario file");
    // A t-interval needs two rounds; more than 1000 is a typo, not a measurement.
    const std::size_t rounds = parse_whole_number("rounds", vm["rounds"].as<std::string>(), 2, 1000);
    const double threshold = parse_threshold(vm["threshold"].as<std::string>());

    RunRequest request;
    request.scenario_file = vm["scenario"].as<std::string>();
    if (vm.count("ledger")) request.ledger_file = vm["ledger"].as<std::string>();
    if (vm.count("seed")) request.seed = parse_seed(vm["seed"].as<std::string>());
    if (vm.count("leak")) request.leaks = vm["leak"].as<std::vector<std::string>>();
    RunSetup setup = prepare_run(request);
    check_outputs_spare_inputs(output_files(vm), setup.inputs);
    const harness::Scenario& scenario = setup.scenario;
    harness::Target* const target = setup.target.get();

    harness::RunOptions run_options;
    run_options.leaks = request.leaks;
    run_options.stop_requested = &g_stop_requested;
    run_options.probe_on_failure = false;  // probed below, whatever the verdicts
    harness::RunResult result = harness::run_scenario(scenario, setup.ledger, *target, run_options);
    stamp_tool(result);
    if (!result.info.interrupted) {
        harness::ProbeOptions probe;
        probe.rounds = rounds;
        probe.stop_requested = &g_stop_requested;
        result.retention =
            harness::probe_retention(*target, scenario, engine::virtual_epoch + result.info.virtual_elapsed, probe);
        result.retention_trigger = "memsoak probe";
        if (g_stop_requested.load()) {
            // The actions probed so far are kept; the report says the probe was cut short.
            result.info.interrupted = true;
            result.info.stop_reason = "interrupted by a signal during the retention probe";
        }
    }
    if (vm.count("out")) {
        reports::write_file_atomically(vm["out"].as<std::string>(), reports::to_json(result).dump(1) + "\n");
    }
    if (result.info.interrupted) return exit_code_for(result);

    const bool retains = std::any_of(result.retention->begin(), result.retention->end(),
                                     [&](const auto& r) { return harness::retains_more_than(r, threshold); });
    if (!vm.count("quiet")) {
        std::cout << fmt::format("{}: retained bytes per action after {} of virtual time, {} rounds each ({})\n",
                                 scenario.name, engine::format_duration(result.info.virtual_elapsed), rounds,
                                 result.info.allocator);
        print_table(std::cout, *result.retention, threshold);
        std::cout << harness::retention_summary(*result.retention) << "\n"
                  << (retains ? fmt::format("FAIL: an action retains significantly more than {} per call\n",
                                            harness::format_bytes(threshold))
                              : fmt::format("PASS: no action retains significantly more than {} per call\n",
                                            harness::format_bytes(threshold)));
    }
    return retains ? kExitBudgetFailed : kExitPass;
}

}  // namespace memsoak::cli
