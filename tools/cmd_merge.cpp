// memsoak merge: the output folders of a sharded suite joined into one, with the suite's exit code.

#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli.hpp"
#include "memsoak/reports/atomic_file.hpp"
#include "memsoak/reports/error.hpp"
#include "memsoak/reports/html.hpp"
#include "memsoak/reports/junit.hpp"
#include "memsoak/reports/markdown.hpp"
#include "memsoak/reports/merge.hpp"
#include "memsoak/reports/suite_report.hpp"
#include "memsoak/reports/terminal.hpp"

#include <unistd.h>

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace memsoak::cli {

int merge_command(const std::vector<std::string>& args) {
    po::options_description options("memsoak merge OUT_DIR SHARD_DIR... [options]");
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
    options.add_options()
        ("help,h", "show this help")
        ("out-dir", po::value<std::string>(), "the merged folder (created when missing)")
        ("shard-dir", po::value<std::vector<std::string>>(), "the --out-dir of each `memsoak suite --shard I/N`")
        ("html", po::value<std::string>(), "also write one HTML page for the whole suite here")
        ("junit", po::value<std::string>(), "also write JUnit XML here: a testsuite per run, a testcase per budget")
        ("markdown", po::value<std::string>(), "also write a Markdown summary here (CI job summary, PR comment)")
        ("quiet,q", "print nothing but errors");
    // clang-format on
    po::positional_options_description positional;
    positional.add("out-dir", 1).add("shard-dir", -1);
    if (wants_help(args)) {
        std::cout << options
                  << "\nCopies every run's report and log from the shard folders into OUT_DIR, writes its\n"
                     "suite-report.json and prints the suite's summary. Shards of one suite run only: same suite,\n"
                     "seeds and shard count; a missing shard is reported and counts as a crash.\n"
                     "Exit codes: as for suite (0 pass, 1 a budget failed, 2 bad usage or input, 3 a crash or a\n"
                     "missing shard, 130 interrupted).\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    if (!vm.count("out-dir") || !vm.count("shard-dir")) {
        throw UsageError("name the output folder and at least one shard folder");
    }
    const fs::path out_dir = vm["out-dir"].as<std::string>();
    std::vector<fs::path> shard_dirs;
    for (const std::string& dir : vm["shard-dir"].as<std::vector<std::string>>()) shard_dirs.emplace_back(dir);
    if (out_dir.empty()) throw UsageError("expected an output folder name, got an empty path");
    if (fs::exists(out_dir) && !fs::is_directory(out_dir)) {
        throw UsageError(fmt::format("{}: expected an output folder or a new name, got a file", out_dir.string()));
    }
    // Renderings must replace neither a shard's file nor one the merge copies into the output folder.
    std::vector<fs::path> inputs = files_named_by(shard_dirs);
    for (std::size_t i = 0, shard_files = inputs.size(); i < shard_files; ++i) {
        inputs.push_back(out_dir / inputs[i].filename());
    }
    check_outputs_spare_inputs(output_files(vm), inputs);

    // Shards that do not fit together are bad input (exit 2): the reports library says so by its error's kind.
    reports::SuiteReport merged = reports::merge_shards(shard_dirs, out_dir);
    if (!vm.count("quiet") && !::isatty(STDERR_FILENO)) {
        // CI logs: a line per merged run, as suite prints them, before the reports are read back and rendered.
        std::size_t done = 0;
        for (const reports::SuiteRun& run : merged.runs) {
            std::cerr << finished_run_line("merge", run.entry, ++done, merged.runs.size()) << std::endl;
        }
    }
    reports::load_run_reports(merged, out_dir);
    if (vm.count("html")) {
        const fs::path page = vm["html"].as<std::string>();
        const fs::path links = fs::proximate(out_dir, fs::absolute(page).parent_path());
        reports::write_file_atomically(page, reports::render_suite_html(merged, links == "." ? "" : links.string()));
    }
    if (vm.count("junit")) {
        reports::write_file_atomically(vm["junit"].as<std::string>(), reports::render_suite_junit(merged));
    }
    if (vm.count("markdown")) {
        reports::write_file_atomically(vm["markdown"].as<std::string>(), reports::render_suite_markdown(merged));
    }
    if (!vm.count("quiet")) {
        reports::print_suite_summary(std::cout, merged, out_dir,
                                     reports::TerminalStyle{reports::should_use_color(STDOUT_FILENO)});
    }
    return reports::suite_report_exit_code(merged);
}

}  // namespace memsoak::cli
