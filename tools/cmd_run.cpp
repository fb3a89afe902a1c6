// memsoak run: one scenario in virtual time, judged against its budgets.

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli.hpp"
#include "memsoak/harness/engine_target.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/ledger.hpp"
#include "memsoak/harness/runner.hpp"
#include "memsoak/harness/scenario.hpp"
#include "memsoak/harness/units.hpp"
#include "memsoak/reports/atomic_file.hpp"
#include "memsoak/reports/json_report.hpp"
#include "memsoak/reports/terminal.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace memsoak::cli {
namespace {

// The progress line on a terminal: virtual time done, acceleration, current RSS. Nothing when not a TTY.
class ProgressLine {
public:
    explicit ProgressLine(bool enabled) : enabled_(enabled) {}
    ~ProgressLine() { finish(); }

    void update(const harness::Progress& p) {
        if (!enabled_ || p.wall_seconds - last_draw_ < 0.1) return;
        last_draw_ = p.wall_seconds;
        const double fraction = engine::to_seconds(p.elapsed) / engine::to_seconds(p.total);
        constexpr int kWidth = 30;
        const int filled = static_cast<int>(fraction * kWidth);
        const double acceleration = p.wall_seconds > 0 ? engine::to_seconds(p.elapsed) / p.wall_seconds : 0;
        std::fprintf(stderr, "\r[%s%s] %5.1f%%  %s of %s  %.0fx  RSS %s   ", std::string(filled, '#').c_str(),
                     std::string(kWidth - filled, '.').c_str(), fraction * 100,
                     engine::format_duration(p.elapsed).c_str(), engine::format_duration(p.total).c_str(),
                     acceleration, harness::format_bytes(p.rss_bytes).c_str());
        drawn_ = true;
    }

    void finish() {
        if (drawn_) std::fprintf(stderr, "\r%80s\r", "");
        drawn_ = false;
    }

private:
    bool enabled_;
    bool drawn_ = false;
    double last_draw_ = -1;
};

}  // namespace

int run_command(const std::vector<std::string>& args) {
    po::options_description options("memsoak run SCENARIO [options]");
    options.add_options()
        ("help,h", "show this help")
        ("scenario", po::value<std::string>(), "the scenario file (JSON)")
        ("seed", po::value<std::uint64_t>(), "override the scenario's seed")
        ("leak", po::value<std::vector<std::string>>()->composing(),
         "switch a study issue back to its leaky behaviour: issue-1 .. issue-5 (repeatable)")
        ("measure", po::value<std::string>()->default_value("os,allocator,engine"),
         "layers to sample, comma-separated: os, allocator, engine")
        ("ledger", po::value<std::string>(), "the budget ledger (default: budgets.json beside the scenario)")
        ("out,o", po::value<std::string>(), "write the JSON report here (atomically)")
        ("max-rss", po::value<std::string>(), "stop the run when the resident set exceeds this size, e.g. \"2 GiB\"")
        ("quiet,q", "print nothing but errors");
    po::positional_options_description positional;
    positional.add("scenario", 1);
    if (wants_help(args)) {
        std::cout << options << "\nRuns one scenario in virtual time and judges its budgets.\n"
                     "Exit codes: 0 every budget passed, 1 a budget failed, 2 bad usage or input, 3 internal error,\n"
                     "130/143 interrupted by SIGINT/SIGTERM (a partial report is still written).\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    if (!vm.count("scenario")) throw UsageError("run: missing the scenario file");

    const fs::path scenario_file = vm["scenario"].as<std::string>();
    harness::Scenario scenario = harness::load_scenario(scenario_file);
    harness::check_workload_for_engine(scenario);
    if (vm.count("seed")) scenario.seed = vm["seed"].as<std::uint64_t>();
    const fs::path ledger_file =
        vm.count("ledger") ? fs::path(vm["ledger"].as<std::string>()) : default_ledger_for(scenario_file);
    const harness::Ledger ledger = harness::load_ledger(ledger_file);

    harness::RunOptions run_options;
    run_options.layers = parse_layers(vm["measure"].as<std::string>());
    if (vm.count("leak")) run_options.leaks = vm["leak"].as<std::vector<std::string>>();
    if (vm.count("max-rss")) {
        try {
            run_options.max_rss_bytes = harness::parse_size(vm["max-rss"].as<std::string>());
        } catch (const harness::Error& e) {
            throw UsageError(fmt::format("--max-rss: {}", e.what()));
        }
    }
    const engine::Config config = harness::engine_config_for_run(scenario.engine, scenario.file + ": $.engine",
                                                                 scenario_file.parent_path(), scenario.seed,
                                                                 run_options.leaks);
    const bool quiet = vm.count("quiet") > 0;
    ProgressLine progress(!quiet && ::isatty(STDERR_FILENO));
    run_options.on_progress = [&progress](const harness::Progress& p) { progress.update(p); };
    run_options.stop_requested = &g_stop_requested;

    auto target = harness::make_engine_target(config);
    harness::RunResult result = harness::run_scenario(scenario, ledger, *target, run_options);
    progress.finish();
    stamp_tool(result);

    if (vm.count("out")) {
        const fs::path out = vm["out"].as<std::string>();
        reports::write_file_atomically(out, reports::to_json(result).dump(1) + "\n");
    }
    if (!quiet) {
        reports::print_summary(std::cout, result, reports::TerminalStyle{reports::should_use_color(STDOUT_FILENO)});
    }
    return exit_code_for(result);
}

}  // namespace memsoak::cli
