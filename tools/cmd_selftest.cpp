// memsoak selftest: every study leak switched on must fail its budget, switched off must pass, over seeds; A/A
// runs of the fixed engine measure the false-alarm rate. Prints the matrix and writes it as JSON.

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/orchestration/power.hpp"
#include "memsoak/harness/orchestration/selftest.hpp"
#include "memsoak/harness/soak/heap_profile.hpp"
#include "memsoak/harness/units.hpp"
#include "memsoak/reports/atomic_file.hpp"
#include "memsoak/reports/json_report.hpp"
#include "memsoak/reports/selftest_report.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace memsoak::cli {
namespace {

// --short: the CI form, well under a minute on two cores.
constexpr std::size_t kShortSeeds = 3;
constexpr std::size_t kShortAaRuns = 10;
// The most runs any count option asks for.
constexpr std::size_t kMaxRuns = 100'000;

std::size_t checked_count(const po::variables_map& vm, const std::string& option, std::size_t fallback,
                          std::size_t least) {
    return whole_number_option(vm, option, fallback, least, kMaxRuns);
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

// Splits "a,b,c" on commas; empty items are refused by the callers' parsers.
std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = text.find(',', start);
        items.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return items;
}

constexpr const char* kDefaultPowerRates = "1KiB/h,2KiB/h,4KiB/h,8KiB/h,16KiB/h,64KiB/h,256KiB/h,1MiB/h";
constexpr const char* kDefaultPowerShapes = "per_call,staircase,mmap";
constexpr const char* kPowerActions = "tick, analyze, refresh_chart, toggle_indicator, trade, log, gui_pump";

std::vector<engine::LeakShape> parse_power_shapes(const std::string& text) {
    std::vector<engine::LeakShape> shapes;
    for (const std::string& item : split_list(text)) {
        if (item != "per_call" && item != "staircase" && item != "mmap") {
            throw UsageError(fmt::format("--power-shapes: expected per_call, staircase or mmap, got \"{}\"", item));
        }
        const engine::LeakShape shape = engine::parse_leak_shape(item);
        if (std::find(shapes.begin(), shapes.end(), shape) == shapes.end()) shapes.push_back(shape);
    }
    return shapes;
}

std::vector<double> parse_power_rates(const std::string& text) {
    std::vector<double> rates;
    for (const std::string& item : split_list(text)) {
        double rate = 0;
        try {
            rate = harness::parse_size_rate(item);
        } catch (const harness::Error& e) {
            throw UsageError(fmt::format("--power-rates: {}", e.what()));
        }
        if (!(rate > 0)) {
            throw UsageError(
                fmt::format("--power-rates: expected a positive growth rate such as \"64KiB/h\", got "
                            "\"{}\"",
                            item));
        }
        rates.push_back(rate);
    }
    std::sort(rates.begin(), rates.end());
    rates.erase(std::unique(rates.begin(), rates.end()), rates.end());
    return rates;
}

std::vector<std::string> parse_power_actions(const std::string& text) {
    static const std::vector<std::string> known{"tick",  "analyze", "refresh_chart", "toggle_indicator",
                                                "trade", "log",     "gui_pump"};
    std::vector<std::string> actions;
    for (const std::string& item : split_list(text)) {
        if (std::find(known.begin(), known.end(), item) == known.end()) {
            throw UsageError(fmt::format("--power-actions: expected some of {}, got \"{}\"", kPowerActions, item));
        }
        if (std::find(actions.begin(), actions.end(), item) == actions.end()) actions.push_back(item);
    }
    return actions;
}

// --power-scenarios: files, or names of scenarios in the folder ("production-day" or "production-day.json").
std::vector<fs::path> parse_power_scenarios(const std::string& text, const fs::path& folder) {
    std::vector<fs::path> files;
    for (const std::string& item : split_list(text)) {
        if (item.empty()) throw UsageError("--power-scenarios: expected scenario names or files, got an empty item");
        fs::path file = item;
        if (!fs::is_regular_file(file)) {
            file = folder / item;
            if (file.extension() != ".json") file += ".json";
        }
        if (!fs::is_regular_file(file)) {
            throw UsageError(
                fmt::format("--power-scenarios: no scenario \"{}\" (looked for {} and {})", item, item, file.string()));
        }
        files.push_back(file);
    }
    return files;
}

po::options_description selftest_options() {
    po::options_description options("memsoak selftest [options]");
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
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
        ("power", "measure the detection power of the whole-process limits instead (see below)")
        ("power-seeds", po::value<std::string>(), "--power: seeds per rate, 2000.. (default 20)")
        ("power-scenarios", po::value<std::string>(),
         "--power: scenario names or files, comma-separated (default: the scenarios of nightly.json)")
        ("power-shapes", po::value<std::string>(), "--power: leak shapes, of per_call,staircase,mmap (default all)")
        ("power-rates", po::value<std::string>(),
         "--power: leak rates, comma-separated (default 1KiB/h,2KiB/h,4KiB/h,8KiB/h,16KiB/h,64KiB/h,256KiB/h,1MiB/h)")
        ("power-actions", po::value<std::string>(),
         "--power: only these actions, comma-separated (default: every action the scenario runs to its end)")
        ("aa-suite", po::value<std::string>(),
         "A/A runs of every scenario of this suite instead, --aa-runs times each (seeds 3000..); any failed "
         "budget is a false alarm")
        ("quiet,q", "print nothing but errors");
    // clang-format on
    return options;
}

const char* const kSelftestHelp =
    "\nFor each study issue, runs its scenario with the leak switched on (it must fail, naming that\n"
    "issue) and fixed (it must pass) over seeds 1..N, plus A/A runs of the fixed engine (the next M\n"
    "seeds) for the false-alarm rate, and finds when each leak was first detected by judging\n"
    "growing prefixes of its series. Each run is a child process (docs/diagnosis.md).\n"
    "\n"
    "--power measures the smallest untracked leak each scenario's whole-process limits catch: for\n"
    "each scenario, shape and action it runs to its end (tick, analyze, refresh_chart,\n"
    "toggle_indicator, trade, log, gui_pump), the rates ascending are injected with\n"
    "--inject ACTION:SHAPE:BYTES (bytes per call = rate / calls per hour, at least 1, whole 4 KiB\n"
    "pages for mmap; the table gives the true rate) over N seeds; a seed is caught when its run fails\n"
    "a limit on an os.* or allocator.* metric. The detection limit is the smallest rate caught in at\n"
    "least 95% of seeds with every larger one caught too. After two rates caught in every seed the\n"
    "larger ones are not run. Each scenario also runs an 8 MiB bounded fill (tick:bounded), complete\n"
    "by a quarter of the run, which must pass. --power (or --aa-suite) alone runs only that study:\n"
    "add --issue to run the leak matrix of those issues as well (without its own A/A runs when\n"
    "--aa-suite is given). --aa-suite SUITE --aa-runs M runs each scenario of SUITE with M seeds\n"
    "(3000..); \"0 false alarms in 200 nightly runs\" is --aa-suite scenarios/nightly.json --aa-runs 200.\n"
    "Exit codes: 0 every leak caught and nothing else failed (--power: every bounded fill passed;\n"
    "the power table itself is a measurement, not a gate), 1 otherwise, 2 bad usage or input,\n"
    "3 internal error or a power run that crashed, 130/143 interrupted.\n";

// What the command line asks for, checked before any run.
struct SelftestPlan {
    bool matrix = true;     // the leak matrix (and its A/A runs)
    bool aa_suite = false;  // A/A runs of a whole suite
    bool power = false;     // the detection-power study
    std::size_t seeds = 0;
    std::size_t aa_runs = 0;
    harness::SelftestOptions selftest;
    harness::PowerOptions power_options;
    std::filesystem::path aa_suite_file;
    bool temporary = true;  // the work folder is made here and removed when everything passed
    bool quiet = false;
    bool progress = false;  // a progress line redrawn on the terminal
    bool lines = false;     // CI logs: a line per finished run instead
};

// What the studies found, over all of them.
struct SelftestTally {
    bool passed = true;
    bool interrupted = false;
    bool errors = false;
    nlohmann::json document = {{"schema_version", harness::kSelftestSchemaVersion}};
};

// --issue: only these study issues; each must be one.
void keep_wanted_issues(std::vector<harness::SelftestCase>& cases, const std::vector<std::string>& wanted) {
    for (const std::string& issue : wanted) {
        if (std::none_of(cases.begin(), cases.end(),
                         [&](const harness::SelftestCase& c) { return c.issue == issue; })) {
            throw UsageError(
                fmt::format("--issue {}: expected one of issue-1, issue-2, issue-3, issue-4, issue-5", issue));
        }
    }
    std::erase_if(cases, [&](const harness::SelftestCase& c) {
        return std::find(wanted.begin(), wanted.end(), c.issue) == wanted.end();
    });
}

// The leak matrix's options: cases, seeds, A/A seeds, the children's arguments.
harness::SelftestOptions matrix_options(const po::variables_map& vm, std::size_t seeds, std::size_t aa_runs,
                                        bool aa_suite) {
    harness::SelftestOptions selftest;
    bool engine_measured = true;
    if (vm.count("measure")) {
        const std::string layers = vm["measure"].as<std::string>();
        const std::vector<harness::Layer> parsed = parse_layers(layers);
        engine_measured = std::find(parsed.begin(), parsed.end(), harness::Layer::engine) != parsed.end();
        selftest.run_args = {"--measure", layers};
    }
    // Thousands of runs fail on purpose here: their growth sites are not what is measured.
    selftest.run_args.push_back("--no-attribution");
    const fs::path folder = vm["scenarios"].as<std::string>();
    selftest.cases = harness::default_selftest_cases(folder, engine_measured);
    if (vm.count("issue")) keep_wanted_issues(selftest.cases, vm["issue"].as<std::vector<std::string>>());
    selftest.aa_scenario = harness::default_aa_scenario(folder);
    selftest.seeds = seed_range(1, seeds);
    // With --aa-suite the suite's A/A runs replace the single A/A scenario's.
    selftest.aa_seeds = aa_suite ? std::vector<std::uint64_t>{} : seed_range(seeds + 1, aa_runs);
    selftest.parallel = checked_count(vm, "jobs", 2, 1);
    selftest.detection_prefixes = checked_count(vm, "prefixes", 50, 1);
    selftest.executable = harness::current_executable();
    selftest.load_report = [](const fs::path& file) { return reports::load_report(file); };
    return selftest;
}

// The power study's inputs, all checked before any run; the children run as the matrix's do.
harness::PowerOptions power_study_options(const po::variables_map& vm, const harness::SelftestOptions& selftest) {
    const fs::path folder = vm["scenarios"].as<std::string>();
    const auto text_or = [&](const char* option, const char* fallback) {
        return vm.count(option) ? vm[option].as<std::string>() : std::string(fallback);
    };
    harness::PowerOptions power;
    power.seeds = seed_range(2000, checked_count(vm, "power-seeds", 20, 1));
    power.shapes = parse_power_shapes(text_or("power-shapes", kDefaultPowerShapes));
    power.rates = parse_power_rates(text_or("power-rates", kDefaultPowerRates));
    if (vm.count("power-actions")) power.actions = parse_power_actions(vm["power-actions"].as<std::string>());
    power.scenarios = vm.count("power-scenarios")
                          ? parse_power_scenarios(vm["power-scenarios"].as<std::string>(), folder)
                          : harness::load_suite(folder / "nightly.json").scenarios;
    power.run_args = selftest.run_args;
    power.parallel = selftest.parallel;
    power.executable = selftest.executable;
    power.load_report = selftest.load_report;
    power.keep_reports = vm.count("work-dir") > 0;
    return power;
}

SelftestPlan plan_selftest(const po::variables_map& vm) {
    SelftestPlan plan;
    plan.power = vm.count("power") > 0;
    plan.aa_suite = vm.count("aa-suite") > 0;
    // --power and --aa-suite are studies of their own; the leak matrix runs with them only when --issue asks.
    plan.matrix = !(plan.power || plan.aa_suite) || vm.count("issue") > 0;
    for (const char* option : {"power-seeds", "power-scenarios", "power-shapes", "power-rates", "power-actions"}) {
        if (vm.count(option) && !plan.power) throw UsageError(fmt::format("--{}: only with --power", option));
    }
    const bool short_form = vm.count("short") > 0;
    plan.seeds = checked_count(vm, "seeds", short_form ? kShortSeeds : 10, 1);
    plan.aa_runs = checked_count(vm, "aa-runs", short_form ? kShortAaRuns : 50, 0);
    plan.selftest = matrix_options(vm, plan.seeds, plan.aa_runs, plan.aa_suite);
    if (plan.power) plan.power_options = power_study_options(vm, plan.selftest);
    if (plan.aa_suite) {
        plan.aa_suite_file = vm["aa-suite"].as<std::string>();
        harness::load_suite(plan.aa_suite_file);  // a bad suite is bad input before any run
    }
    plan.temporary = !vm.count("work-dir");
    plan.selftest.work_dir = plan.temporary ? make_temp_work_dir() : fs::path(vm["work-dir"].as<std::string>());
    plan.power_options.work_dir = plan.selftest.work_dir / "power";
    plan.quiet = vm.count("quiet") > 0;
    plan.progress = !plan.quiet && ::isatty(STDERR_FILENO);
    plan.lines = !plan.quiet && !::isatty(STDERR_FILENO);
    return plan;
}

void clear_progress_line(const SelftestPlan& plan) {
    if (plan.progress) std::fprintf(stderr, "\r%40s\r", "");
}

void run_leak_matrix(SelftestPlan& plan, SelftestTally& tally) {
    harness::SelftestOptions& selftest = plan.selftest;
    selftest.on_progress = [progress = plan.progress](std::size_t started, std::size_t total) {
        if (progress) std::fprintf(stderr, "\rselftest: run %zu of %zu   ", started, total);
    };
    if (plan.lines) {
        selftest.on_finished = [](const harness::SuiteEntry& entry, std::size_t finished, std::size_t total) {
            std::cerr << finished_run_line("selftest", entry, finished, total) << std::endl;
        };
    }
    if (!plan.quiet) {
        std::cout << fmt::format(
            "memsoak selftest: {} issues x {} seeds, leak on and fixed, and {} A/A runs ({} "
            "at a time)\n\n",
            selftest.cases.size(), plan.seeds, selftest.aa_seeds.size(), selftest.parallel);
    }
    const harness::SelftestResult result = harness::run_selftest(selftest, &g_stop_requested);
    clear_progress_line(plan);
    tally.document = reports::selftest_to_json(result, selftest);
    tally.passed = result.passed();
    tally.interrupted = result.interrupted;
    if (!plan.quiet) reports::print_selftest(std::cout, result);
}

void run_aa_suite_study(const SelftestPlan& plan, SelftestTally& tally) {
    const std::vector<std::uint64_t> aa_seeds = seed_range(3000, plan.aa_runs);
    if (!plan.quiet) {
        std::cout << fmt::format("memsoak selftest: A/A runs of {}: every scenario x {} seeds ({} at a time)\n",
                                 plan.aa_suite_file.string(), aa_seeds.size(), plan.selftest.parallel);
    }
    harness::SuiteOptions suite_options;
    suite_options.executable = plan.selftest.executable;
    suite_options.out_dir = plan.selftest.work_dir / "aa-suite";
    suite_options.run_args = plan.selftest.run_args;
    std::size_t started = 0;
    suite_options.on_start = [&started, progress = plan.progress](const harness::SuiteJob&, std::size_t, std::size_t) {
        ++started;  // called under run_suite_parallel's lock
        if (progress) std::fprintf(stderr, "\rselftest: A/A run %zu   ", started);
    };
    if (plan.lines) {
        suite_options.on_finish = [](const harness::SuiteEntry& entry, std::size_t finished, std::size_t count) {
            std::cerr << finished_run_line("selftest A/A", entry, finished, count) << std::endl;
        };
    }
    const harness::AaSuiteResult result =
        harness::run_aa_suite(plan.aa_suite_file, aa_seeds, suite_options, plan.selftest.parallel, &g_stop_requested);
    clear_progress_line(plan);
    tally.document["aa_suite"] = reports::aa_suite_to_json(result, aa_seeds);
    tally.passed = tally.passed && result.false_alarms == 0 && result.errors == 0 && !result.interrupted;
    tally.errors = tally.errors || result.errors > 0;
    tally.interrupted = tally.interrupted || result.interrupted;
    if (!plan.quiet) reports::print_aa_suite(std::cout, result, plan.aa_suite_file);
}

void run_power_study(SelftestPlan& plan, SelftestTally& tally) {
    harness::PowerOptions& power = plan.power_options;
    if (!plan.quiet) {
        std::cout << fmt::format(
            "memsoak selftest --power: {} scenarios x {} shapes x {} rates x {} seeds ({} at a "
            "time)\n",
            power.scenarios.size(), power.shapes.size(), power.rates.size(), power.seeds.size(), power.parallel);
        power.on_step = [](const std::string& line) { std::cout << "  " << line << std::endl; };
    }
    harness::PowerResult result;
    try {
        result = harness::run_power(power, &g_stop_requested);
    } catch (const harness::Error& e) {
        throw UsageError(e.what());
    }
    tally.document["power"] = reports::power_to_json(result, power);
    tally.passed = tally.passed && result.fills_passed();
    tally.errors = tally.errors || result.errors() > 0;
    tally.interrupted = tally.interrupted || result.interrupted;
    if (!plan.quiet) {
        std::cout << '\n';
        reports::print_power(std::cout, result, power.seeds.size());
    }
}

// Writes --out, removes a temporary work folder when everything passed (or says where the logs are), and returns
// the exit code.
int finish_selftest(const po::variables_map& vm, const SelftestPlan& plan, const SelftestTally& tally) {
    if (vm.count("out")) reports::write_file_atomically(vm["out"].as<std::string>(), tally.document.dump(1) + "\n");
    if (plan.temporary && tally.passed && !tally.errors) {
        std::error_code ec;
        fs::remove_all(plan.selftest.work_dir, ec);
    } else if (!plan.quiet) {
        std::cout << "reports and logs: " << plan.selftest.work_dir.string() << '\n';
    }
    if (tally.interrupted && g_stop_requested.load()) return 128 + g_stop_signal.load();
    if (tally.errors) return kExitInternal;
    return tally.passed ? kExitPass : kExitBudgetFailed;
}

}  // namespace

int selftest_command(const std::vector<std::string>& args) {
    const po::options_description options = selftest_options();
    if (wants_help(args)) {
        std::cout << options << kSelftestHelp;
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, {});
    SelftestPlan plan = plan_selftest(vm);
    SelftestTally tally;
    if (plan.matrix) run_leak_matrix(plan, tally);
    if (plan.aa_suite && !tally.interrupted) run_aa_suite_study(plan, tally);
    if (plan.power && !tally.interrupted) run_power_study(plan, tally);
    return finish_selftest(vm, plan, tally);
}

}  // namespace memsoak::cli
