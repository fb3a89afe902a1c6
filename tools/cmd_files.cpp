// memsoak list and memsoak validate: what scenario, suite and ledger files there are, and whether they are valid.

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "memsoak/engine/error.hpp"
#include "memsoak/harness/analysis/calibration.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/inputs/ledger.hpp"
#include "memsoak/harness/inputs/scenario.hpp"
#include "memsoak/harness/orchestration/suite.hpp"
#include "memsoak/harness/soak/engine_target.hpp"
#include "memsoak/harness/soak/runner.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace memsoak::cli {

int validate_command(const std::vector<std::string>& args) {
    po::options_description options("memsoak validate FILE... [options]");
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
    options.add_options()
        ("help,h", "show this help")
        ("file", po::value<std::vector<std::string>>(), "scenario, suite or ledger files")
        ("ledger", po::value<std::string>(), "check scenario budgets against this ledger "
                                             "(default: budgets.json beside each scenario)");
    // clang-format on
    po::positional_options_description positional;
    positional.add("file", -1);
    if (wants_help(args)) {
        std::cout << options << "\nChecks scenario, suite and ledger files; the kind is read from the content.\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    if (!vm.count("file")) throw UsageError("validate: name at least one file");
    int code = kExitPass;
    for (const auto& name : vm["file"].as<std::vector<std::string>>()) {
        try {
            const FileKind kind = kind_of(harness::json_input::read_file(name));
            if (kind == FileKind::scenario) {
                // Exactly what `run` checks before its first event, with every layer sampled.
                RunRequest request;
                request.scenario_file = name;
                if (vm.count("ledger")) request.ledger_file = vm["ledger"].as<std::string>();
                const RunSetup setup = prepare_run(request);
                std::cout << fmt::format("{}: ok (scenario {})\n", name, setup.scenario.name);
                for (const std::string& warning : harness::scenario_warnings(setup.scenario, setup.ledger)) {
                    std::cout << "  warning: " << warning << "\n";
                }
            } else if (kind == FileKind::suite) {
                // Exactly what `suite` checks before its first run: every entry as `run` checks it.
                const harness::Suite suite = harness::load_suite(name);
                RunRequest request;
                if (vm.count("ledger")) request.ledger_file = vm["ledger"].as<std::string>();
                check_suite_runs(suite, request);
                std::cout << fmt::format("{}: ok (suite {}, {} scenarios)\n", name, suite.name, suite.scenarios.size());
            } else if (kind == FileKind::calibration) {
                const harness::CalibrationFile calibration = harness::load_calibration(name);
                std::cout << fmt::format("{}: ok (calibration, {} scenario and allocator entries)\n", name,
                                         calibration.scenarios.size());
            } else {
                const harness::Ledger ledger = harness::load_ledger(name);
                std::cout << fmt::format("{}: ok (ledger, {} budgets)\n", name, ledger.budgets.size());
            }
        } catch (const engine::Error&) {
            // Every file is checked: the error is printed and the next file read.
            code = std::max(code, report_current_error("validate", std::cerr));
        }
    }
    return code;
}

int list_command(const std::vector<std::string>& args) {
    po::options_description options("memsoak list [FOLDER]");
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
    options.add_options()
        ("help,h", "show this help")
        ("folder", po::value<std::string>()->default_value("scenarios"), "where the scenarios are");
    // clang-format on
    po::positional_options_description positional;
    positional.add("folder", 1);
    if (wants_help(args)) {
        std::cout << options << "\nLists the scenarios, suites and budgets in a folder.\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    const fs::path folder = vm["folder"].as<std::string>();
    if (!fs::is_directory(folder)) throw harness::Error(fmt::format("{}: not a folder", folder.string()));
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder)) {
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    // Read everything first: the columns are as wide as their longest entry.
    // A broken file is an error (exit 2, naming it), not left out of the list.
    std::vector<std::vector<std::string>> scenarios;
    std::vector<std::vector<std::string>> suites;
    std::optional<harness::Ledger> ledger;
    for (const auto& file : files) {
        const FileKind kind = kind_of(harness::json_input::read_file(file));
        if (kind == FileKind::ledger) {
            // Only the folder's budgets.json is the ledger its scenarios use; another ledger is still checked.
            harness::Ledger loaded = harness::load_ledger(file);
            if (file.filename() == "budgets.json") ledger = std::move(loaded);
        } else if (kind == FileKind::calibration) {
            harness::load_calibration(file);  // checked; the budgets' limits say what it holds
        } else if (kind == FileKind::scenario) {
            const harness::Scenario s = harness::load_scenario(file);
            std::string budgets;
            for (const auto& b : s.budgets) budgets += (budgets.empty() ? "" : ",") + b;
            scenarios.push_back({s.name, engine::format_duration(s.duration), budgets, file.filename().string()});
        } else {
            const harness::Suite suite = harness::load_suite(file);
            suites.push_back(
                {suite.name, fmt::format("{} scenarios", suite.scenarios.size()), file.filename().string()});
        }
    }
    std::cout << "Scenarios:\n";
    print_aligned(std::cout, scenarios, 2);
    std::cout << "Suites:\n";
    print_aligned(std::cout, suites, 2);
    if (ledger) {
        std::vector<std::vector<std::string>> budgets;
        for (const auto& b : ledger->budgets) budgets.push_back({b.name, b.description});
        std::cout << "Budgets (" << ledger->file << "):\n";
        print_aligned(std::cout, budgets, 2);
    }
    return kExitPass;
}

}  // namespace memsoak::cli
