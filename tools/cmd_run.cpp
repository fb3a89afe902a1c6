// memsoak run: one scenario in virtual time, judged against its budgets.

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "cli.hpp"
#include "heap_attribution.hpp"
#include "memsoak/engine/error.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/inputs/ledger.hpp"
#include "memsoak/harness/inputs/scenario.hpp"
#include "memsoak/harness/soak/engine_target.hpp"
#include "memsoak/harness/soak/heap_profile.hpp"
#include "memsoak/harness/soak/heap_sample.hpp"
#include "memsoak/harness/soak/runner.hpp"
#include "memsoak/harness/soak/samplers.hpp"
#include "memsoak/harness/units.hpp"
#include "memsoak/reports/atomic_file.hpp"
#include "memsoak/reports/html.hpp"
#include "memsoak/reports/json_report.hpp"
#include "memsoak/reports/junit.hpp"
#include "memsoak/reports/markdown.hpp"
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
        std::fprintf(stderr, "\r[%s%s] %5.1f%%  %s of %s  %.0fx  RSS %s   ",
                     std::string(static_cast<std::size_t>(filled), '#').c_str(),
                     std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(), fraction * 100,
                     engine::format_duration(p.elapsed).c_str(), engine::format_duration(p.total).c_str(), acceleration,
                     harness::format_bytes(p.rss_bytes).c_str());
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

// Checked before the run, not when the report is written: a soak of hours must not end in "cannot write".
// --heap-profile and --heap-profile-dir, checked before the run: a usage error must not cost a soak.
harness::HeapProfileRequest heap_profile_request(const po::variables_map& vm, const harness::Scenario& scenario,
                                                 const std::optional<fs::path>& out) {
    if (!harness::heap_profiler_available()) {
        throw UsageError(
            fmt::format("--heap-profile needs tcmalloc's heap profiler: run memsoak-tcmalloc (this "
                        "memsoak's allocator is {})",
                        harness::allocator_name()));
    }
    harness::HeapProfileRequest request;
    const std::string interval = vm["heap-profile"].as<std::string>();
    try {
        request.interval = engine::parse_duration(interval);
    } catch (const engine::Error& e) {
        throw UsageError(fmt::format("--heap-profile: {}", e.what()));
    }
    if (request.interval.count() <= 0) {
        throw UsageError(fmt::format("--heap-profile: expected a positive interval, got \"{}\"", interval));
    }
    // Each profile is a file of up to megabytes: a typo such as "1us" must not fill the disk.
    constexpr std::int64_t kMaxHeapProfiles = 1000;
    const engine::VirtualDuration profiled = scenario.duration - scenario.warmup;
    if (profiled / request.interval > kMaxHeapProfiles) {
        const engine::VirtualDuration shortest((profiled.count() + kMaxHeapProfiles - 1) / kMaxHeapProfiles);
        throw UsageError(
            fmt::format("--heap-profile: expected an interval of at least {} (at most {} profiles over "
                        "the {} after the warm-up), got \"{}\"",
                        engine::format_duration(shortest), kMaxHeapProfiles, engine::format_duration(profiled),
                        interval));
    }
    request.prefix = scenario.name;
    if (vm.count("heap-profile-dir")) {
        request.directory = vm["heap-profile-dir"].as<std::string>();
    } else if (out) {
        request.directory = fs::path(*out).replace_extension(".heap");
    } else {
        request.directory = scenario.name + ".heap";
    }
    return request;
}

po::options_description run_options_description() {
    po::options_description options("memsoak run SCENARIO [options]");
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
    options.add_options()
        ("help,h", "show this help")
        ("scenario", po::value<std::string>(), "the scenario file (JSON)")
        ("seed", po::value<std::string>(), "override the scenario's seed (a non-negative integer)")
        ("leak", po::value<std::vector<std::string>>()->composing(),
         "switch a study issue back to its leaky behaviour: issue-1 .. issue-5 (repeatable)")
        ("inject", po::value<std::vector<std::string>>()->composing(),
         "inject a leak outside the study's components, ACTION:SHAPE:BYTES[:CAPACITY][@UNTIL], e.g. "
         "toggle_indicator:per_call:48KiB, log:bounded:256:5MiB, analyze:mmap:64KiB, "
         "toggle_indicator:staircase:4KiB@35m; shapes per_call, staircase, bounded, mmap (repeatable; "
         "docs/engine.md)")
        ("measure", po::value<std::string>()->default_value("os,allocator,engine"),
         "layers to sample, comma-separated: os, allocator, engine; or none (the engine's work alone, for timing: "
         "docs/performance.md)")
        ("ledger", po::value<std::string>(), "the budget ledger (default: budgets.json beside the scenario)")
        ("out,o", po::value<std::string>(), "write the JSON report here (atomically)")
        ("html", po::value<std::string>(), "also write a self-contained HTML page here (charts, verdicts)")
        ("junit", po::value<std::string>(), "also write JUnit XML here: a testcase per budget")
        ("markdown", po::value<std::string>(), "also write a Markdown summary here (CI job summary, PR comment)")
        ("max-rss", po::value<std::string>(), "stop the run when the resident set exceeds this size, e.g. \"2 GiB\"")
        ("heap-profile", po::value<std::string>()->implicit_value("5m"),
         "memsoak-tcmalloc only: a heap profile every INTERVAL of virtual time after the warm-up "
         "(--heap-profile=INTERVAL; default 5m, the study's memory_snapshot_interval), and the allocation sites "
         "that grew between the first and the last")
        ("heap-profile-dir", po::value<std::string>(),
         "the folder for the heap profiles (default: the report's name with .heap, e.g. day.heap for --out "
         "day.json; without --out, SCENARIO-NAME.heap)")
        ("heap-sample", po::value<std::string>()->implicit_value("512KiB"),
         "memsoak-tcmalloc only: sample about one allocation per PERIOD bytes (--heap-sample=PERIOD; default "
         "512KiB), read the sampled heap at each purged checkpoint after the warm-up, and list the file:line sites "
         "that grew, with a leak signature each")
        ("collapsed", po::value<std::string>(),
         "with --heap-sample: write the growing call stacks here, collapsed (flamegraph.pl, speedscope; default: "
         "the report's name with .growth.collapsed)")
        ("no-attribution", "when a whole-process limit fails and no engine component explains it, do not re-run "
         "the scenario under memsoak-tcmalloc for its growth sites")
        ("no-probe", "when a whole-process limit fails, do not probe each action's retained bytes")
        ("calibrating", "a calibration run (memsoak calibrate): the ledger's calibrated limits are not applied")
        ("quiet,q", "print nothing but errors");
    // clang-format on
    return options;
}

const char* const kRunHelp =
    "\nRuns one scenario in virtual time and judges its budgets.\n"
    "Exit codes: 0 every budget passed, 1 a budget failed, 2 bad usage or input, 3 internal error,\n"
    "130/143 interrupted by SIGINT/SIGTERM (a partial report is still written).\n";

// The scenario, ledger, seed, leaks, injections and layers the command line names; checked by prepare_run.
RunRequest run_request(const po::variables_map& vm) {
    if (!vm.count("scenario") && vm.count("heap-profile")) {
        throw UsageError(
            fmt::format("missing the scenario file (--heap-profile took \"{}\" for its interval: give the "
                        "scenario first, or write --heap-profile=INTERVAL)",
                        vm["heap-profile"].as<std::string>()));
    }
    if (!vm.count("scenario")) throw UsageError("missing the scenario file");
    RunRequest request;
    request.scenario_file = vm["scenario"].as<std::string>();
    if (vm.count("ledger")) request.ledger_file = vm["ledger"].as<std::string>();
    if (vm.count("seed")) request.seed = parse_seed(vm["seed"].as<std::string>());
    if (vm.count("leak")) request.leaks = vm["leak"].as<std::vector<std::string>>();
    if (vm.count("inject")) request.injections = vm["inject"].as<std::vector<std::string>>();
    request.layers = parse_layers(vm["measure"].as<std::string>());
    request.calibrating = vm.count("calibrating") > 0;
    return request;
}

// --heap-sample=PERIOD, under memsoak-tcmalloc only: its sampling period set in the environment (the process
// re-executes itself when it was not).
void enable_heap_sampling(const po::variables_map& vm, const std::vector<std::string>& args,
                          harness::RunOptions& run_options) {
    if (vm.count("heap-profile")) throw UsageError("--heap-sample: not with --heap-profile (one profiler a run)");
    const std::string text = vm["heap-sample"].as<std::string>();
    double period = 0;
    try {
        period = harness::parse_size(text);
    } catch (const harness::Error& e) {
        throw UsageError(fmt::format("--heap-sample: {}", e.what()));
    }
    if (!(period >= 1 && period <= 1024.0 * 1024 * 1024)) {
        throw UsageError(fmt::format("--heap-sample: expected a period from 1 byte to 1 GiB, got \"{}\"", text));
    }
    if (harness::allocator_name() != "tcmalloc") {
        throw UsageError(
            fmt::format("--heap-sample needs tcmalloc's sampled heap: run memsoak-tcmalloc (this "
                        "memsoak's allocator is {})",
                        harness::allocator_name()));
    }
    ensure_tcmalloc_environment(static_cast<std::size_t>(period), args);
    run_options.heap_sample = true;
}

// --heap-profile, checked and set up before the run (it names its files after the scenario).
void enable_heap_profiling(const po::variables_map& vm, const std::vector<std::string>& args,
                           const harness::Scenario& scenario, const std::optional<fs::path>& out,
                           harness::RunOptions& run_options) {
    if (!vm.count("heap-profile")) return;
    run_options.heap_profile = heap_profile_request(vm, scenario, out);
    ensure_tcmalloc_environment(0, args);  // its automatic dumps off: they would print on stderr
}

// Where the collapsed growth stacks go: --collapsed, else beside --out; nowhere without either.
std::optional<fs::path> collapsed_output(const po::variables_map& vm, const std::optional<fs::path>& out) {
    if (vm.count("collapsed")) return fs::path(vm["collapsed"].as<std::string>());
    if (out) return collapsed_file_for(*out);
    return std::nullopt;
}

// Every file this run writes, the collapsed stacks included, checked together before any work.
void check_run_outputs(const po::variables_map& vm, const std::optional<fs::path>& collapsed,
                       const std::vector<fs::path>& inputs) {
    std::vector<OutputFile> outputs = output_files(vm);
    if (collapsed) {
        outputs.push_back({"collapsed", *collapsed});
        check_output_files(outputs);
    }
    check_outputs_spare_inputs(outputs, inputs);
}

// The line that allocates what stays, when no component explains a whole-process failure: virtual time makes the
// same scenario and seed reproduce it under memsoak-tcmalloc in seconds.
void attribute_unexplained_growth(const po::variables_map& vm, const RunSetup& setup, const RunRequest& request,
                                  const std::optional<fs::path>& out, const std::optional<fs::path>& collapsed,
                                  harness::RunResult& result) {
    if (vm.count("no-attribution") || vm.count("calibrating")) return;
    const std::string trigger = attribution_trigger(result);
    if (trigger.empty()) return;
    AttributionRerun rerun;
    rerun.scenario = request.scenario_file;
    rerun.seed = setup.scenario.seed;
    rerun.leaks = request.leaks;
    if (vm.count("inject")) rerun.injections = vm["inject"].as<std::vector<std::string>>();
    rerun.ledger = setup.inputs.at(1);  // prepare_run lists the scenario, then its ledger
    rerun.measure = vm["measure"].as<std::string>();
    if (vm.count("max-rss")) rerun.max_rss = vm["max-rss"].as<std::string>();
    if (out) rerun.collapsed_file = collapsed;
    result.heap_profile = rerun_under_tcmalloc(rerun);
    result.heap_profile->trigger = trigger;
}

// The JSON report and the other formats, each rendered from the same result.
void write_run_reports(const po::variables_map& vm, const std::optional<fs::path>& out,
                       const harness::RunResult& result) {
    if (out) reports::write_file_atomically(*out, reports::to_json(result).dump(1) + "\n");
    const std::pair<const char*, std::string (*)(const harness::RunResult&)> renderings[] = {
        {"html", reports::render_run_html},
        {"junit", reports::render_run_junit},
        {"markdown", reports::render_run_markdown}};
    for (const auto& [option, render] : renderings) {
        if (vm.count(option)) reports::write_file_atomically(vm[option].as<std::string>(), render(result));
    }
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
    const po::options_description options = run_options_description();
    po::positional_options_description positional;
    positional.add("scenario", 1);
    if (wants_help(args)) {
        std::cout << options << kRunHelp;
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    const RunRequest request = run_request(vm);
    harness::RunOptions run_options;
    run_options.layers = request.layers;
    run_options.leaks = request.leaks;
    if (vm.count("max-rss")) run_options.max_rss_bytes = parse_max_rss(vm["max-rss"].as<std::string>());
    if (vm.count("heap-profile-dir") && !vm.count("heap-profile")) {
        throw UsageError("--heap-profile-dir: only with --heap-profile");
    }
    // --heap-sample before the inputs are read and the engine is built: the re-executed process does that again,
    // and building it twice cost the sampled run ~0.06 s of CPU (a tenth of the production day's).
    if (vm.count("heap-sample")) {
        enable_heap_sampling(vm, args, run_options);
    } else if (vm.count("collapsed")) {
        throw UsageError("--collapsed: only with --heap-sample");
    }
    RunSetup setup = prepare_run(request);
    std::optional<fs::path> out;
    if (vm.count("out")) out = vm["out"].as<std::string>();
    enable_heap_profiling(vm, args, setup.scenario, out, run_options);
    const std::optional<fs::path> collapsed = collapsed_output(vm, out);
    check_run_outputs(vm, collapsed, setup.inputs);
    if (vm.count("no-probe")) run_options.probe_on_failure = false;
    run_options.injected = setup.injected;
    const bool quiet = vm.count("quiet") > 0;
    ProgressLine progress(!quiet && ::isatty(STDERR_FILENO));
    run_options.on_progress = [&progress](const harness::Progress& p) { progress.update(p); };
    run_options.stop_requested = &g_stop_requested;

    harness::RunResult result = harness::run_scenario(setup.scenario, setup.ledger, *setup.target, run_options);
    progress.finish();
    stamp_tool(result);
    if (run_options.heap_sample && result.heap_profile && collapsed && !result.heap_collapsed.empty()) {
        reports::write_file_atomically(*collapsed, result.heap_collapsed);
        result.heap_profile->collapsed_file = collapsed->string();
    }
    attribute_unexplained_growth(vm, setup, request, out, collapsed, result);
    write_run_reports(vm, out, result);
    if (!quiet) {
        reports::print_summary(std::cout, result, reports::TerminalStyle{reports::should_use_color(STDOUT_FILENO)});
    }
    return exit_code_for(result);
}

}  // namespace memsoak::cli
