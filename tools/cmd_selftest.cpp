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
#include "memsoak/harness/power.hpp"
#include "memsoak/harness/selftest.hpp"
#include "memsoak/harness/units.hpp"
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
    return parse_whole_number(option, vm[option].as<std::string>(), least, kMaxRuns);
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
            throw UsageError(fmt::format("--power-rates: expected a positive growth rate such as \"64KiB/h\", got "
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
    static const std::vector<std::string> known{"tick", "analyze", "refresh_chart", "toggle_indicator",
                                                "trade", "log", "gui_pump"};
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
            throw UsageError(fmt::format("--power-scenarios: no scenario \"{}\" (looked for {} and {})", item, item,
                                         file.string()));
        }
        files.push_back(file);
    }
    return files;
}

std::string format_limit(const harness::PowerCell& cell) {
    return cell.detection_limit_per_hour ? harness::format_size_rate(*cell.detection_limit_per_hour) : "none";
}

void print_power(std::ostream& out, const harness::PowerResult& result, std::size_t seeds) {
    // One row per scenario and shape: the worst (largest, "none" worst of all) limit over its actions.
    std::vector<std::vector<std::string>> rows{{"scenario", "shape", "detection limit (worst action)", "per action"}};
    for (std::size_t i = 0; i < result.cells.size();) {
        std::size_t j = i;
        const harness::PowerCell* worst = nullptr;
        std::vector<std::string> per_action;
        for (; j < result.cells.size() && result.cells[j].scenario == result.cells[i].scenario &&
               result.cells[j].shape == result.cells[i].shape;
             ++j) {
            const harness::PowerCell& cell = result.cells[j];
            per_action.push_back(fmt::format("{} {}", cell.action, format_limit(cell)));
            const bool worse = worst == nullptr ||
                               (worst->detection_limit_per_hour &&
                                (!cell.detection_limit_per_hour ||
                                 *cell.detection_limit_per_hour > *worst->detection_limit_per_hour));
            if (worse) worst = &cell;
        }
        rows.push_back({result.cells[i].scenario.stem().string(),
                        std::string(engine::to_string(result.cells[i].shape)),
                        fmt::format("{} ({})", format_limit(*worst), worst->action),
                        fmt::format("{}", fmt::join(per_action, ", "))});
        i = j;
    }
    for (const harness::PowerFill& fill : result.fills) {
        rows.push_back({fill.scenario.stem().string(), "bounded",
                        fill.bytes_per_tick ? fmt::format("8 MiB fill: {}/{} passed", fill.passed, fill.runs)
                                            : std::string("8 MiB fill: not run (no tick to the end)"),
                        fill.bytes_per_tick ? fmt::format("tick:bounded:{}:{}", *fill.bytes_per_tick, fill.capacity)
                                            : std::string()});
    }
    print_aligned(out, rows);
    out << fmt::format("\nA rate is caught when at least {} of {} seeds fail a whole-process limit (os.* or\n"
                       "allocator.*); the limit is the smallest true rate caught with every larger one caught too.\n",
                       harness::power_required(seeds), seeds);
    // Per cell: the rates, their true values and what was caught.
    for (const harness::PowerCell& cell : result.cells) {
        std::vector<std::string> steps;
        for (const harness::PowerRate& rate : cell.rates) {
            if (rate.run) {
                steps.push_back(fmt::format("{} {}/{}", harness::format_size_rate(rate.true_per_hour), rate.caught,
                                            rate.runs));
            } else if (!rate.same_as_previous) {
                steps.push_back(fmt::format("{} not run", harness::format_size_rate(rate.true_per_hour)));
            }
        }
        out << fmt::format("  {} {} {} ({:.4g} calls/h): {}\n", cell.scenario.stem().string(),
                           engine::to_string(cell.shape), cell.action, cell.calls_per_hour, fmt::join(steps, ", "));
        for (const std::string& problem : cell.problems) out << "    problem: " << problem << '\n';
    }
    bool not_run = false;
    for (const harness::PowerCell& cell : result.cells) {
        for (const harness::PowerRate& rate : cell.rates) not_run = not_run || (!rate.run && !rate.same_as_previous);
    }
    if (not_run) {
        out << "(\"not run\": two smaller rates were caught in every seed, so larger ones are assumed caught)\n";
    }
    for (const harness::PowerFill& fill : result.fills) {
        for (const std::string& problem : fill.problems) {
            out << fmt::format("  {} fill problem: {}\n", fill.scenario.stem().string(), problem);
        }
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
    if (wants_help(args)) {
        std::cout << options
                  << "\nFor each study issue, runs its scenario with the leak switched on (it must fail, naming that\n"
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
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, {});
    const bool power = vm.count("power") > 0;
    const bool aa_suite = vm.count("aa-suite") > 0;
    // --power and --aa-suite are studies of their own; the leak matrix runs with them only when --issue asks.
    const bool matrix = !(power || aa_suite) || vm.count("issue") > 0;
    for (const char* option : {"power-seeds", "power-scenarios", "power-shapes", "power-rates", "power-actions"}) {
        if (vm.count(option) && !power) throw UsageError(fmt::format("--{}: only with --power", option));
    }
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
    // Thousands of runs fail on purpose here: their growth sites are not what is measured.
    selftest.run_args.push_back("--no-attribution");
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
    // With --aa-suite the suite's A/A runs replace the single A/A scenario's.
    selftest.aa_seeds = aa_suite ? std::vector<std::uint64_t>{} : seed_range(seeds + 1, aa_runs);
    selftest.parallel = checked_count(vm, "jobs", 2, 1);
    selftest.detection_prefixes = checked_count(vm, "prefixes", 50, 1);
    selftest.executable = harness::current_executable();
    selftest.load_report = [](const fs::path& file) { return reports::load_report(file); };

    // The power study's inputs, all checked before any run.
    harness::PowerOptions power_options;
    if (power) {
        power_options.seeds = seed_range(2000, checked_count(vm, "power-seeds", 20, 1));
        power_options.shapes = parse_power_shapes(vm.count("power-shapes") ? vm["power-shapes"].as<std::string>()
                                                                             : std::string(kDefaultPowerShapes));
        power_options.rates = parse_power_rates(vm.count("power-rates") ? vm["power-rates"].as<std::string>()
                                                                         : std::string(kDefaultPowerRates));
        if (vm.count("power-actions")) power_options.actions = parse_power_actions(vm["power-actions"].as<std::string>());
        if (vm.count("power-scenarios")) {
            power_options.scenarios = parse_power_scenarios(vm["power-scenarios"].as<std::string>(), folder);
        } else {
            power_options.scenarios = harness::load_suite(folder / "nightly.json").scenarios;
        }
        power_options.run_args = selftest.run_args;
        power_options.parallel = selftest.parallel;
        power_options.executable = selftest.executable;
        power_options.load_report = selftest.load_report;
        power_options.keep_reports = vm.count("work-dir") > 0;
    }
    fs::path aa_suite_file;
    if (aa_suite) {
        aa_suite_file = vm["aa-suite"].as<std::string>();
        harness::load_suite(aa_suite_file);  // a bad suite is bad input before any run
    }

    const bool temporary = !vm.count("work-dir");
    selftest.work_dir = temporary ? make_temp_work_dir() : fs::path(vm["work-dir"].as<std::string>());
    power_options.work_dir = selftest.work_dir / "power";

    const bool quiet = vm.count("quiet") > 0;
    const bool progress = !quiet && ::isatty(STDERR_FILENO);
    selftest.on_progress = [progress](std::size_t started, std::size_t total) {
        if (progress) std::fprintf(stderr, "\rselftest: run %zu of %zu   ", started, total);
    };
    const bool lines = !quiet && !::isatty(STDERR_FILENO);  // CI logs: a line per run instead of a redrawn one
    if (lines) {
        selftest.on_finished = [](const harness::SuiteEntry& entry, std::size_t finished, std::size_t total) {
            std::cerr << finished_run_line("selftest", entry, finished, total) << std::endl;
        };
    }
    bool passed = true;
    bool interrupted = false;
    bool errors = false;
    nlohmann::json document = {{"schema_version", harness::kSelftestSchemaVersion}};

    if (matrix) {
        if (!quiet) {
            std::cout << fmt::format("memsoak selftest: {} issues x {} seeds, leak on and fixed, and {} A/A runs ({} "
                                     "at a time)\n\n",
                                     selftest.cases.size(), seeds, selftest.aa_seeds.size(), selftest.parallel);
        }
        const harness::SelftestResult result = harness::run_selftest(selftest, &g_stop_requested);
        if (progress) std::fprintf(stderr, "\r%40s\r", "");
        document = harness::selftest_to_json(result, selftest);
        passed = result.passed();
        interrupted = result.interrupted;
        if (!quiet) {
            print_matrix(std::cout, result);
            print_problems(std::cout, result);
            std::cout << '\n'
                      << (passed ? fmt::format("selftest: PASS: every leak caught, every fixed run passed, no false "
                                               "alarm in {} A/A runs\n",
                                               result.aa_runs)
                                 : std::string("selftest: FAIL\n"));
        }
    }

    if (aa_suite && !interrupted) {
        const std::vector<std::uint64_t> aa_seeds = seed_range(3000, aa_runs);
        if (!quiet) {
            std::cout << fmt::format("memsoak selftest: A/A runs of {}: every scenario x {} seeds ({} at a time)\n",
                                     aa_suite_file.string(), aa_seeds.size(), selftest.parallel);
        }
        harness::SuiteOptions suite_options;
        suite_options.executable = selftest.executable;
        suite_options.out_dir = selftest.work_dir / "aa-suite";
        suite_options.run_args = selftest.run_args;
        std::size_t started = 0;
        suite_options.on_start = [&](const harness::SuiteJob&, std::size_t, std::size_t) {
            ++started;  // called under run_suite_parallel's lock
            if (progress) std::fprintf(stderr, "\rselftest: A/A run %zu   ", started);
        };
        if (lines) {
            suite_options.on_finish = [](const harness::SuiteEntry& entry, std::size_t finished, std::size_t count) {
                std::cerr << finished_run_line("selftest A/A", entry, finished, count) << std::endl;
            };
        }
        const harness::AaSuiteResult result =
            harness::run_aa_suite(aa_suite_file, aa_seeds, suite_options, selftest.parallel, &g_stop_requested);
        if (progress) std::fprintf(stderr, "\r%40s\r", "");
        document["aa_suite"] = harness::aa_suite_to_json(result, aa_seeds);
        passed = passed && result.false_alarms == 0 && result.errors == 0 && !result.interrupted;
        errors = errors || result.errors > 0;
        interrupted = interrupted || result.interrupted;
        if (!quiet) {
            std::cout << fmt::format("A/A {}: {} runs, {} false alarm{}, {} error{}\n", aa_suite_file.filename().string(),
                                     result.runs, result.false_alarms, result.false_alarms == 1 ? "" : "s",
                                     result.errors, result.errors == 1 ? "" : "s");
            for (const harness::SuiteEntry& entry : result.entries) {
                std::cout << fmt::format("  {} seed {}: {}; log {}\n", entry.scenario.filename().string(),
                                         entry.seed.value_or(0), harness::to_string(entry.outcome), entry.log.string());
            }
            std::cout << '\n';
        }
    }

    if (power && !interrupted) {
        if (!quiet) {
            std::cout << fmt::format("memsoak selftest --power: {} scenarios x {} shapes x {} rates x {} seeds ({} at a "
                                     "time)\n",
                                     power_options.scenarios.size(), power_options.shapes.size(),
                                     power_options.rates.size(), power_options.seeds.size(), power_options.parallel);
            power_options.on_step = [](const std::string& line) { std::cout << "  " << line << std::endl; };
        }
        harness::PowerResult result;
        try {
            result = harness::run_power(power_options, &g_stop_requested);
        } catch (const harness::Error& e) {
            throw UsageError(e.what());
        }
        document["power"] = harness::power_to_json(result, power_options);
        passed = passed && result.fills_passed();
        errors = errors || result.errors() > 0;
        interrupted = interrupted || result.interrupted;
        if (!quiet) {
            std::cout << '\n';
            print_power(std::cout, result, power_options.seeds.size());
            std::cout << '\n'
                      << (result.fills_passed() ? std::string("power: every bounded fill passed\n")
                                                : std::string("power: FAIL: a bounded fill raised a false alarm\n"));
            if (result.errors() > 0) std::cout << fmt::format("power: {} runs errored\n", result.errors());
        }
    }

    if (vm.count("out")) reports::write_file_atomically(vm["out"].as<std::string>(), document.dump(1) + "\n");
    if (temporary && passed && !errors) {
        std::error_code ec;
        fs::remove_all(selftest.work_dir, ec);
    } else if (!quiet) {
        std::cout << "reports and logs: " << selftest.work_dir.string() << '\n';
    }
    if (interrupted && g_stop_requested.load()) return 128 + g_stop_signal.load();
    if (errors) return kExitInternal;
    return passed ? kExitPass : kExitBudgetFailed;
}

}  // namespace memsoak::cli
