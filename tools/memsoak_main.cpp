// memsoak: soak-tests the leak study's trading application in virtual time and judges its memory budgets.
// A thin main: find the command, let it parse its options and call the libraries, map errors to exit codes.

#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli.hpp"
#include "memsoak_version.hpp"

using namespace memsoak::cli;

namespace {

extern "C" void on_stop_signal(int signal) {
    g_stop_signal.store(signal);
    g_stop_requested.store(true);
}

void install_stop_handlers() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

struct Command {
    std::string name;
    std::string synopsis;
    std::string summary;
    int (*run)(const std::vector<std::string>& args);
};

const std::vector<Command>& commands() {
    static const std::vector<Command> list{
        {"run", "run SCENARIO [--seed N] [--leak issue-N]... [--measure LAYERS] [--out REPORT.json]",
         "run one scenario and judge its budgets", run_command},
        {"suite", "suite SUITE [--out-dir DIR] [--shard I/N] [--seeds LIST]",
         "run every scenario of a suite, each in its own process", suite_command},
        {"list", "list [FOLDER]", "list the scenarios, suites and budgets", list_command},
        {"validate", "validate FILE...", "check scenario, suite and ledger files", validate_command},
        {"compare", "compare BASELINE CANDIDATE [--html F] [--junit F] [--markdown F]",
         "compare reports (or folders of reports) with a baseline; exit 1 on a regression", compare_command},
        {"merge", "merge OUT_DIR SHARD_DIR... [--html F] [--junit F] [--markdown F]",
         "join the folders of a sharded suite into one", merge_command},
        {"selftest",
         "selftest [--seeds N] [--aa-runs M] [--short] [--measure LAYERS] [--out FILE.json] [--power ...] "
         "[--aa-suite SUITE]",
         "prove every budget can fail: each leak on must fail, fixed must pass; A/A false alarms; --power: the "
         "smallest leak caught",
         selftest_command},
        {"calibrate", "calibrate SUITE|SCENARIO... [--seeds N] [--out FILE]",
         "measure the fixed engine over many seeds and set the ledger's calibrated limits", calibrate_command},
        {"fixcheck", "fixcheck SCENARIO [--leak issue-N]... [--out FILE.json]",
         "run a scenario with its leaks and fixed, and report what the fixes save", fixcheck_command},
        {"probe", "probe SCENARIO [--seed N] [--leak issue-N]... [--rounds R] [--threshold SIZE] [--out FILE.json]",
         "run a scenario, then measure the bytes each of its actions retains per call", probe_command},
        {"history", "history record|check|ack|compare|show|bisect DB ...",
         "record nights in a history database, find change points across nights, compare releases", history_command},
    };
    return list;
}

void print_usage(std::ostream& out) {
    out << "memsoak " << MEMSOAK_VERSION << ": memory-leak soak tests of the leak study's trading application\n\n"
        << "Usage: memsoak COMMAND [options]   (memsoak COMMAND --help for a command's options)\n\nCommands:\n";
    for (const Command& c : commands())
        out << fmt::format("  {:<10} {}\n             memsoak {}\n", c.name, c.summary, c.synopsis);
    out << "\nOptions:\n  --help     this help\n  --version  the version, commit and build type\n"
        << "\nExit codes: 0 every budget passed, 1 a budget failed, 2 bad usage or input, 3 internal error,\n"
        << "130/143 interrupted. NO_COLOR disables colour.\n";
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        print_usage(args.empty() ? std::cerr : std::cout);
        return args.empty() ? kExitBadInput : kExitPass;
    }
    if (args[0] == "--version") {
        std::cout << fmt::format("memsoak {} (commit {}, {})\n", MEMSOAK_VERSION, resolve_commit(), MEMSOAK_BUILD_TYPE);
        return kExitPass;
    }
    install_stop_handlers();
    const std::string name = args[0];
    args.erase(args.begin());
    for (const Command& command : commands()) {
        if (command.name != name) continue;
        try {
            return command.run(args);
        } catch (...) {
            return report_current_error(name, std::cerr);
        }
    }
    std::cerr << fmt::format("memsoak: unknown command \"{}\"\n\n", name);
    print_usage(std::cerr);
    return kExitBadInput;
}
