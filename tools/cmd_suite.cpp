// memsoak suite: every scenario of a suite, each in its own process, then one summary.

#include <csignal>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli.hpp"
#include "memsoak/harness/suite.hpp"
#include "memsoak/reports/error.hpp"
#include "memsoak/reports/json_report.hpp"
#include "memsoak/reports/terminal.hpp"

#include <unistd.h>

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace memsoak::cli {

int suite_command(const std::vector<std::string>& args) {
    po::options_description options("memsoak suite SUITE [options]");
    options.add_options()
        ("help,h", "show this help")
        ("suite", po::value<std::string>(), "the suite file (JSON)")
        ("out-dir", po::value<std::string>()->default_value("memsoak-reports"),
         "folder for each scenario's report and log")
        ("leak", po::value<std::vector<std::string>>()->composing(), "passed to every run (repeatable)")
        ("measure", po::value<std::string>(), "passed to every run")
        ("ledger", po::value<std::string>(), "passed to every run")
        ("max-rss", po::value<std::string>(), "passed to every run");
    po::positional_options_description positional;
    positional.add("suite", 1);
    if (wants_help(args)) {
        std::cout << options << "\nRuns every scenario of a suite, each in its own process, then prints one "
                                "summary.\nExit codes: as for run; a crashed scenario counts as 3.\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    if (!vm.count("suite")) throw UsageError("suite: missing the suite file");
    const harness::Suite suite = harness::load_suite(vm["suite"].as<std::string>());

    harness::SuiteOptions suite_options;
    suite_options.executable = fs::read_symlink("/proc/self/exe");
    suite_options.out_dir = vm["out-dir"].as<std::string>();
    if (vm.count("leak")) {
        for (const auto& leak : vm["leak"].as<std::vector<std::string>>()) {
            suite_options.run_args.insert(suite_options.run_args.end(), {"--leak", leak});
        }
    }
    for (const char* passed : {"measure", "ledger", "max-rss"}) {
        if (vm.count(passed)) {
            suite_options.run_args.insert(suite_options.run_args.end(),
                                          {std::string("--") + passed, vm[passed].as<std::string>()});
        }
    }
    const auto entries = harness::run_suite(suite, suite_options, &g_stop_requested);

    const bool color = reports::should_use_color(STDOUT_FILENO);
    std::cout << fmt::format("suite {} ({} scenarios), reports in {}\n", suite.name, suite.scenarios.size(),
                             suite_options.out_dir.string());
    for (const auto& entry : entries) {
        std::string detail;
        if (!entry.report.empty()) {
            try {
                const harness::RunResult result = reports::load_report(entry.report);
                detail = fmt::format("{} virtual in {:.2f} s ({:.0f}x)",
                                     engine::format_duration(result.info.virtual_elapsed), result.info.wall_seconds,
                                     result.info.acceleration);
                for (const auto& budget : result.budgets) {
                    if (budget.verdict == harness::Verdict::fail) detail += fmt::format("; {} failed", budget.budget);
                }
            } catch (const reports::Error& e) {
                detail = fmt::format("unreadable report: {}", e.what());
            }
        } else {
            detail = fmt::format("no report; see {}", entry.log.string());
        }
        if (entry.signal != 0) detail += fmt::format("; killed by signal {}", entry.signal);
        const std::string outcome{harness::to_string(entry.outcome)};
        const bool good = entry.outcome == harness::Outcome::pass;
        std::cout << fmt::format("  {:<28} {}{:<14}{}  {}\n", entry.scenario.stem().string(),
                                 color ? (good ? "\033[32m" : "\033[31m") : "", outcome, color ? "\033[0m" : "",
                                 detail);
    }
    if (g_stop_requested.load()) {
        // Stopped by SIGINT/SIGTERM, possibly between two scenarios: the suite did not run whole, whatever the
        // scenarios that ran say.
        const int signal = g_stop_signal.load() != 0 ? g_stop_signal.load() : SIGINT;
        std::cout << fmt::format("suite interrupted by signal {} after {} scenario runs\n", signal, entries.size());
        return 128 + signal;
    }
    const int code = harness::suite_exit_code(entries);
    std::cout << fmt::format("suite verdict: {}\n", code == 0 ? "pass" : "fail");
    return code;
}

}  // namespace memsoak::cli
