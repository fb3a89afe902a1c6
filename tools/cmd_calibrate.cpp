// memsoak calibrate: runs scenarios on the fixed engine over many seeds, each in its own process, and sets the
// ledger's "calibrated" growth limits above the null distribution it measured (harness/analysis/calibration.hpp).

#include <stdlib.h>  // NOLINT(modernize-deprecated-headers): POSIX declares mkdtemp here, not in <cstdlib>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "memsoak/harness/analysis/calibration.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/orchestration/suite.hpp"
#include "memsoak/harness/soak/heap_profile.hpp"
#include "memsoak/harness/soak/samplers.hpp"
#include "memsoak/harness/units.hpp"
#include "memsoak/reports/atomic_file.hpp"
#include "memsoak/reports/json_report.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace memsoak::cli {
namespace {

constexpr std::size_t kDefaultSeeds = 30;
constexpr std::uint64_t kDefaultFirstSeed = 1000;
constexpr std::size_t kMaxSeeds = 10'000;

double parse_probability(const std::string& text) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || !(value > 0 && value < 0.5)) {
        throw UsageError(
            fmt::format("--false-alarm-rate: expected a probability above 0 and below 0.5, such as "
                        "0.001, got \"{}\"",
                        text));
    }
    return value;
}

// Every scenario file the inputs name: a suite's scenarios, or a scenario itself.
std::vector<fs::path> scenario_files(const std::vector<std::string>& inputs) {
    std::vector<fs::path> files;
    for (const std::string& input : inputs) {
        const nlohmann::json document = harness::json_input::read_file(input);
        if (document.is_object() && document.contains("scenarios")) {
            for (const fs::path& scenario : harness::load_suite(input).scenarios) files.push_back(scenario);
        } else {
            files.emplace_back(input);
        }
    }
    return files;
}

fs::path make_work_dir() {
    std::string pattern = (fs::temp_directory_path() / "memsoak-calibrate-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw harness::Error(fmt::format("{}: cannot create a work folder: {}", pattern, std::strerror(errno)));
    }
    return pattern;
}

// The null samples of one scenario's calibrated metrics, from its runs' reports.
harness::ScenarioCalibration calibrate_scenario(const harness::Scenario& scenario,
                                                const std::vector<std::string>& metrics,
                                                const std::vector<harness::SuiteEntry>& entries,
                                                const harness::CalibrationFile& settings) {
    harness::ScenarioCalibration calibration;
    calibration.scenario = scenario.name;
    calibration.fingerprint = scenario.fingerprint;
    std::map<std::string, std::vector<harness::NullSample>> samples;
    for (const harness::SuiteEntry& entry : entries) {
        if (entry.outcome != harness::Outcome::pass && entry.outcome != harness::Outcome::fail) {
            throw harness::Error(fmt::format("{} (seed {}): the calibration run ended {}; see {}", scenario.file,
                                             entry.seed.value_or(0), harness::to_string(entry.outcome),
                                             entry.log.string()));
        }
        const harness::RunResult run = load_child_report(entry.report);
        calibration.allocator = run.info.allocator;
        calibration.seeds.push_back(run.info.seed);
        for (const std::string& metric : metrics) {
            harness::JudgeOptions options;
            options.level_window = run.info.level_window;
            const std::optional<harness::NullSample> sample =
                harness::null_sample(run.samples, run.info.warmup, metric, options);
            if (!sample) {
                throw harness::Error(
                    fmt::format("{}: {} has too few samples after the warm-up to calibrate a growth "
                                "limit on it (run {})",
                                scenario.file, metric, entry.report.string()));
            }
            samples[metric].push_back(*sample);
        }
    }
    for (const std::string& metric : metrics) {
        calibration.limits.push_back(harness::calibrate_limit(metric, samples[metric], settings.false_alarm_rate,
                                                              settings.min_margin_for(metric)));
    }
    return calibration;
}

std::string percent_change(double before, double after) {
    if (!(before > 0)) return "new";
    return fmt::format("{:+.1f}%", (after - before) / before * 100);
}

void print_calibration(std::ostream& out, const harness::ScenarioCalibration& entry,
                       const harness::ScenarioCalibration* previous) {
    std::vector<std::vector<std::string>> rows{
        {"scenario", "metric", "runs", "mean", "sd", "floor", "limit", "set by", "was", "moved"}};
    for (const harness::CalibratedLimit& l : entry.limits) {
        const harness::CalibratedLimit* old = previous != nullptr ? previous->find(l.metric) : nullptr;
        rows.push_back({entry.scenario, l.metric, std::to_string(l.runs), harness::format_size_rate(l.mean),
                        harness::format_size_rate(l.sd), harness::format_size_rate(l.floor),
                        harness::format_size_rate(l.limit), l.decided_by,
                        old != nullptr ? harness::format_size_rate(old->limit) : "-",
                        old != nullptr ? percent_change(old->limit, l.limit) : "new"});
    }
    print_aligned(out, rows, 2);
}

}  // namespace

int calibrate_command(const std::vector<std::string>& args) {
    po::options_description options("memsoak calibrate SUITE|SCENARIO... [options]");
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
    options.add_options()
        ("help,h", "show this help")
        ("input", po::value<std::vector<std::string>>(), "suite or scenario files")
        ("seeds", po::value<std::string>(), "fixed-engine runs per scenario, seeds from --first-seed on (default 30)")
        ("first-seed", po::value<std::string>(), "the first seed (default 1000: apart from the scenarios' own)")
        ("ledger", po::value<std::string>(), "the budget ledger (default: budgets.json beside the first scenario)")
        ("out,o", po::value<std::string>(), "the calibration file to update (default: the ledger's \"calibration\")")
        ("false-alarm-rate", po::value<std::string>(),
         "the chance per run that the fixed engine exceeds a limit (default: the file's, else 0.001)")
        ("jobs,j", po::value<std::string>(), "runs at a time, each in its own process (default 2)")
        ("work-dir", po::value<std::string>(), "keep the runs' reports here (default: a temporary folder, removed)")
        ("quiet,q", "print nothing but errors");
    // clang-format on
    po::positional_options_description positional;
    positional.add("input", -1);
    if (wants_help(args)) {
        std::cout << options
                  << "\nRuns each scenario with every fix over many seeds and writes, per scenario, allocator and\n"
                     "metric, the null distribution of the judged growth rate and the limit set above it\n"
                     "(docs/budgets.md). Entries of other scenarios and allocators in the file are kept.\n"
                     "Exit codes: 0 written, 2 bad usage or input, 3 a run crashed or an internal error.\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    if (!vm.count("input")) throw UsageError("missing the suite or scenario files to calibrate");
    const std::size_t seeds = whole_number_option(vm, "seeds", kDefaultSeeds, 2, kMaxSeeds);
    const std::uint64_t first_seed = whole_number_option(vm, "first-seed", kDefaultFirstSeed, 0, 1ULL << 62);
    const std::size_t jobs = whole_number_option(vm, "jobs", 2, 1, 64);
    const bool quiet = vm.count("quiet") > 0;

    const std::vector<fs::path> files = scenario_files(vm["input"].as<std::vector<std::string>>());
    const fs::path ledger_file =
        vm.count("ledger") ? fs::path(vm["ledger"].as<std::string>()) : default_ledger_for(files.front());
    const harness::Ledger ledger = harness::load_ledger(ledger_file);
    fs::path out = vm.count("out") ? fs::path(vm["out"].as<std::string>()) : ledger.calibration_file;
    if (out.empty()) {
        throw UsageError(fmt::format("{} names no calibration file ($.calibration): give --out", ledger_file.string()));
    }
    harness::CalibrationFile calibration;
    if (fs::exists(out)) calibration = harness::load_calibration(out);
    if (vm.count("false-alarm-rate"))
        calibration.false_alarm_rate = parse_probability(vm["false-alarm-rate"].as<std::string>());

    // Every input checked before the first run.
    std::vector<std::pair<harness::Scenario, std::vector<std::string>>> plan;
    for (const fs::path& file : files) {
        harness::Scenario scenario = harness::load_scenario(file);
        std::vector<std::string> metrics = harness::calibrated_metrics(ledger, scenario.budgets);
        if (metrics.empty()) {
            if (!quiet) std::cout << fmt::format("  {}: no calibrated limits, skipped\n", scenario.name);
            continue;
        }
        plan.emplace_back(std::move(scenario), std::move(metrics));
    }

    const bool keep = vm.count("work-dir") > 0;
    const fs::path work = keep ? fs::path(vm["work-dir"].as<std::string>()) : make_work_dir();
    std::vector<std::uint64_t> seed_list(seeds);
    for (std::size_t i = 0; i < seeds; ++i) seed_list[i] = first_seed + i;
    try {
        for (const auto& [scenario, metrics] : plan) {
            harness::Suite suite;
            suite.file = scenario.file;
            suite.name = scenario.name;
            suite.scenarios = {scenario.file};
            harness::SuiteOptions suite_options;
            suite_options.executable = harness::current_executable();
            suite_options.out_dir = work / scenario.name;
            suite_options.run_args = {"--calibrating", "--ledger", ledger_file.string()};
            suite_options.seeds = seed_list;
            const auto entries = harness::run_suite_parallel(suite, suite_options, jobs, &g_stop_requested);
            if (g_stop_requested.load()) throw harness::Error("interrupted: the calibration file was not changed");
            harness::ScenarioCalibration entry = calibrate_scenario(scenario, metrics, entries, calibration);
            if (!quiet) print_calibration(std::cout, entry, calibration.find(entry.scenario, entry.allocator));
            calibration.put(std::move(entry));
        }
    } catch (...) {
        if (!keep) fs::remove_all(work);
        throw;
    }
    if (!keep) fs::remove_all(work);

    harness::RunResult identity;
    stamp_tool(identity);
    calibration.tool_version = identity.info.tool_version;
    calibration.git_commit = identity.info.git_commit;
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
    calibration.created_at = stamp;
    reports::write_file_atomically(out, harness::to_json(calibration).dump(2) + "\n");
    if (!quiet) std::cout << fmt::format("calibration written to {}\n", out.string());
    return kExitPass;
}

}  // namespace memsoak::cli
