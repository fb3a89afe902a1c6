// memsoak suite: every scenario of a suite (or one shard of it), each in its own process, then one summary.

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <limits>

#include <fmt/format.h>

#include "cli.hpp"
#include "memsoak/engine/input_file.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/inputs/ledger.hpp"
#include "memsoak/harness/orchestration/suite.hpp"
#include "memsoak/harness/soak/engine_target.hpp"
#include "memsoak/reports/atomic_file.hpp"
#include "memsoak/reports/error.hpp"
#include "memsoak/reports/html.hpp"
#include "memsoak/reports/junit.hpp"
#include "memsoak/reports/markdown.hpp"
#include "memsoak/reports/suite_report.hpp"
#include "memsoak/reports/terminal.hpp"

#include <unistd.h>

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace memsoak::cli {
namespace {

// "1,2,3" -> seeds; throws UsageError naming the bad entry.
std::vector<std::uint64_t> parse_seeds(const std::string& text) {
    std::vector<std::uint64_t> seeds;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string item = text.substr(start, comma - start);
        std::uint64_t seed = 0;
        try {
            seed = parse_whole_number("seeds", item, 0, std::numeric_limits<std::uint64_t>::max());
        } catch (const UsageError& e) {
            throw UsageError(
                fmt::format("{} in \"{}\" (a comma-separated list of seeds such as \"1,2,3\")", e.what(), text));
        }
        if (std::find(seeds.begin(), seeds.end(), seed) != seeds.end()) {
            throw UsageError(fmt::format("--seeds: expected distinct seeds, got {} twice in \"{}\"", seed, text));
        }
        seeds.push_back(seed);
        start = comma + 1;
    }
    return seeds;
}

// A reused --out-dir (the nightly job's memsoak-reports/) still holds the previous suite's reports: one that this
// run does not write again (a scenario dropped, a run interrupted) would pass for a fresh result with compare or a
// reader of the folder. Only what the previous suite report lists is removed; other files are left alone.
void remove_previous_run(const fs::path& out_dir) {
    if (!fs::exists(out_dir / reports::kSuiteReportFile)) return;
    reports::SuiteReport previous;
    try {
        previous = reports::load_suite_report(out_dir);
    } catch (const reports::Error& e) {
        throw harness::Error(
            fmt::format("{}; the folder holds an earlier suite's results that memsoak cannot read: "
                        "empty it or choose another --out-dir",
                        e.what()));
    }
    for (const reports::SuiteRun& run : previous.runs) {
        for (const fs::path& file : {run.entry.report, run.entry.log}) {
            // Listed by name only; anything else (a path) was not written by a suite and is not touched.
            if (!file.empty() && file == file.filename()) fs::remove(out_dir / file);
        }
    }
    fs::remove(out_dir / reports::kSuiteReportFile);
}

// "[3/8] production-day" on a terminal while a child runs; nothing when standard error is not a terminal.
class SuiteProgress {
public:
    explicit SuiteProgress(bool enabled) : enabled_(enabled) {}
    ~SuiteProgress() { finish(); }

    void start(const harness::SuiteJob& job, std::size_t position, std::size_t count) {
        if (!enabled_) return;
        std::fprintf(stderr, "\r\033[K[%zu/%zu] running %s", position + 1, count, job.name.c_str());
        drawn_ = true;
    }

    void finish() {
        if (drawn_) std::fprintf(stderr, "\r\033[K");
        drawn_ = false;
    }

private:
    bool enabled_;
    bool drawn_ = false;
};

// The folder and files a suite writes, checked before any run: the out-dir is a folder or a new name, no report
// or log it will hold is one of the suite's inputs (an out-dir that is the scenarios' folder would replace a
// scenario with its report), and --html/--junit/--markdown name none of them.
void check_suite_outputs(const po::variables_map& vm, const harness::Suite& suite, const harness::SuiteOptions& options,
                         const std::vector<fs::path>& inputs) {
    const fs::path& out_dir = options.out_dir;
    if (out_dir.empty()) throw UsageError("--out-dir: expected a folder name, got an empty path");
    if (const std::string kind = engine::describe_non_regular(out_dir); fs::exists(out_dir) && kind != "a folder") {
        throw UsageError(fmt::format("--out-dir {}: expected a folder or a new name, got {}", out_dir.string(),
                                     kind.empty() ? "a file" : kind));
    }
    std::vector<OutputFile> written{{"out-dir", out_dir / reports::kSuiteReportFile}};
    for (const harness::SuiteJob& job :
         harness::select_shard(harness::plan_suite(suite, options.seeds), options.shard)) {
        written.push_back({"out-dir", out_dir / (job.name + ".json")});
        written.push_back({"out-dir", out_dir / (job.name + ".log")});
    }
    check_outputs_spare_inputs(written, inputs);
    const std::vector<OutputFile> renderings = output_files(vm);
    check_outputs_spare_inputs(renderings, inputs);
    for (const OutputFile& rendering : renderings) {
        for (const OutputFile& file : written) {
            if (fs::weakly_canonical(fs::absolute(rendering.path)) == fs::weakly_canonical(fs::absolute(file.path))) {
                throw UsageError(fmt::format("--{} {}: the suite writes {} there itself; choose another file",
                                             rendering.option, rendering.path.string(), file.path.filename().string()));
            }
        }
    }
}

}  // namespace

std::vector<fs::path> check_suite_runs(const harness::Suite& suite, const RunRequest& request) {
    std::vector<fs::path> inputs{suite.file};
    for (std::size_t i = 0; i < suite.scenarios.size(); ++i) {
        RunRequest entry = request;
        entry.scenario_file = suite.scenarios[i];
        try {
            const FileKind kind = kind_of(harness::json_input::read_file(entry.scenario_file));
            if (kind != FileKind::scenario) {
                throw harness::Error(fmt::format("expected a scenario file, got {} ({})", to_string(kind),
                                                 entry.scenario_file.string()));
            }
            const RunSetup setup = prepare_run(entry);
            inputs.insert(inputs.end(), setup.inputs.begin(), setup.inputs.end());
        } catch (const engine::Error& e) {
            throw engine::Error(fmt::format("{}: $.scenarios[{}]: {}", suite.file, i, e.what()), e.kind());
        }
    }
    return inputs;
}

int suite_command(const std::vector<std::string>& args) {
    po::options_description options("memsoak suite SUITE [options]");
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
    options.add_options()
        ("help,h", "show this help")
        ("suite", po::value<std::string>(), "the suite file (JSON)")
        ("out-dir", po::value<std::string>()->default_value("memsoak-reports"),
         "folder for each run's report and log, and the suite's suite-report.json")
        ("shard", po::value<std::string>(),
         "run only shard I of N (\"I/N\", 1-based): the runs whose position k in the plan has k % N == I - 1")
        ("seeds", po::value<std::string>(),
         "run every scenario once per seed, e.g. \"1,2,3\" (passed as --seed; reports are NAME-seedN.json)")
        ("html", po::value<std::string>(), "also write one HTML page for the whole suite here")
        ("junit", po::value<std::string>(), "also write JUnit XML here: a testsuite per run, a testcase per budget")
        ("markdown", po::value<std::string>(), "also write a Markdown summary here (CI job summary, PR comment)")
        ("leak", po::value<std::vector<std::string>>()->composing(), "passed to every run (repeatable)")
        ("inject", po::value<std::vector<std::string>>()->composing(),
         "passed to every run (repeatable): ACTION:SHAPE:BYTES[:CAPACITY][@UNTIL], see memsoak run --help")
        ("measure", po::value<std::string>(), "passed to every run")
        ("ledger", po::value<std::string>(), "passed to every run")
        ("max-rss", po::value<std::string>(), "passed to every run")
        ("quiet,q", "print nothing but errors");
    // clang-format on
    po::positional_options_description positional;
    positional.add("suite", 1);
    if (wants_help(args)) {
        std::cout << options
                  << "\nRuns every scenario of a suite, each in its own process, then prints one "
                     "summary.\nSharding: N machines each run --shard I/N into their own folder; "
                     "memsoak merge joins the folders.\nExit codes: as for run; a crashed scenario "
                     "counts as 3.\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    if (!vm.count("suite")) throw UsageError("missing the suite file");
    const harness::Suite suite = harness::load_suite(vm["suite"].as<std::string>());

    harness::SuiteOptions suite_options;
    suite_options.executable = fs::read_symlink("/proc/self/exe");
    suite_options.out_dir = vm["out-dir"].as<std::string>();
    if (vm.count("shard")) {
        try {
            suite_options.shard = harness::parse_shard(vm["shard"].as<std::string>());
        } catch (const harness::Error& e) {
            throw UsageError(fmt::format("--shard: {}", e.what()));
        }
    }
    if (vm.count("seeds")) suite_options.seeds = parse_seeds(vm["seeds"].as<std::string>());
    for (const harness::SuiteJob& job : harness::plan_suite(suite, suite_options.seeds)) {
        if (job.name + ".json" == reports::kSuiteReportFile) {
            throw UsageError(fmt::format("scenario {} would overwrite the suite's {}; rename the scenario file",
                                         job.scenario.string(), reports::kSuiteReportFile));
        }
    }
    // What every run would refuse is refused here, before the output folder or any run: no half-made suite.
    RunRequest request;
    if (vm.count("leak")) request.leaks = vm["leak"].as<std::vector<std::string>>();
    if (vm.count("inject")) request.injections = vm["inject"].as<std::vector<std::string>>();
    if (vm.count("measure")) request.layers = parse_layers(vm["measure"].as<std::string>());
    if (vm.count("max-rss")) parse_max_rss(vm["max-rss"].as<std::string>());
    if (vm.count("ledger")) request.ledger_file = vm["ledger"].as<std::string>();
    // The command line's own values first, named as such rather than as a problem of the suite's first entry.
    harness::check_leak_names(request.leaks);
    try {
        engine::Config unused;
        harness::apply_injections(unused, request.injections);
    } catch (const harness::Error& e) {
        throw UsageError(e.what());
    }
    if (request.ledger_file) harness::load_ledger(*request.ledger_file);
    std::vector<fs::path> inputs = check_suite_runs(suite, request);
    check_suite_outputs(vm, suite, suite_options, inputs);
    if (vm.count("leak")) {
        for (const auto& leak : vm["leak"].as<std::vector<std::string>>()) {
            suite_options.run_args.insert(suite_options.run_args.end(), {"--leak", leak});
        }
    }
    if (vm.count("inject")) {
        for (const auto& injection : vm["inject"].as<std::vector<std::string>>()) {
            suite_options.run_args.insert(suite_options.run_args.end(), {"--inject", injection});
        }
    }
    for (const char* passed : {"measure", "ledger", "max-rss"}) {
        if (vm.count(passed)) {
            suite_options.run_args.insert(suite_options.run_args.end(),
                                          {std::string("--") + passed, vm[passed].as<std::string>()});
        }
    }
    const bool quiet = vm.count("quiet") > 0;
    const bool terminal = ::isatty(STDERR_FILENO);
    SuiteProgress progress(!quiet && terminal);
    suite_options.on_start = [&progress](const harness::SuiteJob& job, std::size_t position, std::size_t count) {
        progress.start(job, position, count);
    };
    if (!quiet && !terminal) {
        suite_options.on_finish = [](const harness::SuiteEntry& entry, std::size_t finished, std::size_t count) {
            std::cerr << finished_run_line("suite", entry, finished, count) << std::endl;
        };
    }
    remove_previous_run(suite_options.out_dir);
    const auto entries = harness::run_suite(suite, suite_options, &g_stop_requested);
    progress.finish();

    reports::SuiteReport report = reports::make_suite_report(suite, suite_options, entries);
    report.interrupted = g_stop_requested.load();
    reports::write_file_atomically(suite_options.out_dir / reports::kSuiteReportFile,
                                   reports::suite_report_to_json(report).dump(1) + "\n");
    reports::load_run_reports(report, suite_options.out_dir);
    if (vm.count("html")) {
        const fs::path page = vm["html"].as<std::string>();
        const fs::path links = fs::proximate(suite_options.out_dir, fs::absolute(page).parent_path());
        reports::write_file_atomically(page, reports::render_suite_html(report, links == "." ? "" : links.string()));
    }
    if (vm.count("junit")) {
        reports::write_file_atomically(vm["junit"].as<std::string>(), reports::render_suite_junit(report));
    }
    if (vm.count("markdown")) {
        reports::write_file_atomically(vm["markdown"].as<std::string>(), reports::render_suite_markdown(report));
    }
    if (!quiet) {
        reports::print_suite_summary(std::cout, report, suite_options.out_dir,
                                     reports::TerminalStyle{reports::should_use_color(STDOUT_FILENO)});
    }
    // Stopped by SIGINT or SIGTERM, perhaps between two runs: the suite did not run whole, whatever its runs say.
    if (g_stop_requested.load()) return 128 + (g_stop_signal.load() != 0 ? g_stop_signal.load() : SIGINT);
    return reports::suite_report_exit_code(report);
}

}  // namespace memsoak::cli
