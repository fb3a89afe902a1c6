// memsoak compare: a candidate's reports against a baseline's, limit by limit; exit 1 when something regressed.

#include <charconv>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "cli.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/units.hpp"
#include "memsoak/reports/atomic_file.hpp"
#include "memsoak/reports/compare.hpp"
#include "memsoak/reports/error.hpp"
#include "memsoak/reports/html.hpp"
#include "memsoak/reports/junit.hpp"
#include "memsoak/reports/markdown.hpp"

#include <unistd.h>

namespace po = boost::program_options;

namespace memsoak::cli {
namespace {

// A non-negative decimal number making up the whole text.
std::optional<double> parse_number(std::string_view text) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    // from_chars reads "inf" and "nan": a tolerance that nothing can exceed would pass every regression.
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || !(value >= 0) ||
        !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

// "10%", "10" or "2.5%": a percentage, returned as a fraction.
double parse_percent(const std::string& text) {
    const std::string_view number = text.ends_with('%') ? std::string_view(text).substr(0, text.size() - 1) : text;
    const auto value = parse_number(number);
    // Beyond 1000% (eleven times the baseline) a tolerance no longer compares anything.
    if (!value || *value > 1000) {
        throw UsageError(
            fmt::format("--relative-tolerance: expected a percentage from 0% to 1000% such as \"10%\", "
                        "got \"{}\"",
                        text));
    }
    return *value / 100;
}

double parse_count(const std::string& text) {
    const auto value = parse_number(text);
    if (!value) throw UsageError(fmt::format("--count-tolerance: expected a count such as \"10\", got \"{}\"", text));
    return *value;
}

// A size or a size rate through the harness's parser (which throws harness::Error), as a usage error.
double parse_quantity(const po::variables_map& vm, const char* name, double (*parse)(std::string_view)) {
    try {
        return parse(vm[name].as<std::string>());
    } catch (const harness::Error& e) {
        throw UsageError(fmt::format("--{}: {}", name, e.what()));
    }
}

}  // namespace

int compare_command(const std::vector<std::string>& args) {
    po::options_description options("memsoak compare BASELINE CANDIDATE [options]");
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
    options.add_options()
        ("help,h", "show this help")
        ("baseline", po::value<std::string>(), "a report, or a folder of reports (e.g. reports/baselines)")
        ("candidate", po::value<std::string>(), "a report, or a folder of reports")
        ("peak-tolerance", po::value<std::string>()->default_value("1 MiB"),
         "a peak in bytes may rise this much before it regresses")
        ("count-tolerance", po::value<std::string>()->default_value("10"),
         "a peak count (items limits) may rise this much")
        ("growth-tolerance", po::value<std::string>()->default_value("64 KiB/h"),
         "the gap between the two growth slopes' 95% intervals that counts as a regression (at least the peak "
         "tolerance spread over the hours judged)")
        ("relative-tolerance", po::value<std::string>()->default_value("10%"),
         "each tolerance is at least this fraction of the baseline's value")
        ("html", po::value<std::string>(), "also write the comparison as an HTML page here")
        ("junit", po::value<std::string>(), "also write JUnit XML here: a testcase per limit, a failure per regression")
        ("markdown", po::value<std::string>(), "also write a Markdown summary here (regressions and improvements)")
        ("json", po::value<std::string>(), "also write the comparison as JSON here (every limit, change in percent)")
        ("allow-unpaired", "a report with no counterpart on the other side is listed but does not fail the comparison")
        ("quiet,q", "print nothing but errors");
    // clang-format on
    po::positional_options_description positional;
    positional.add("baseline", 1).add("candidate", 1);
    if (wants_help(args)) {
        std::cout
            << options
            << "\nCompares each scenario's limits in CANDIDATE with BASELINE: two reports, or two folders of\n"
               "reports paired by scenario, seed and allocator; a scenario's reports of other seeds are compared\n"
               "across seeds, tolerances widened by the baseline's spread. A report left unpaired fails the\n"
               "comparison unless --allow-unpaired. A peak regresses when it rises by more than\n"
               "max(tolerance, relative x baseline); a growth rate when the candidate's 95% interval lies\n"
               "above the baseline's by more than max(growth tolerance, relative x baseline slope, peak\n"
               "tolerance / hours judged); a verdict when it goes from pass to fail. See docs/reports.md.\n"
               "Exit codes: 0 nothing regressed, 1 a regression or an unpaired report, 2 bad usage or input.\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    if (!vm.count("baseline") || !vm.count("candidate")) {
        throw UsageError("name the baseline and the candidate (two reports or two folders)");
    }
    // A rendering must not replace a report being compared.
    check_outputs_spare_inputs(output_files(vm),
                               files_named_by({vm["baseline"].as<std::string>(), vm["candidate"].as<std::string>()}));
    reports::CompareOptions compare_options;
    compare_options.peak_tolerance_bytes = parse_quantity(vm, "peak-tolerance", harness::parse_size);
    compare_options.items_tolerance = parse_count(vm["count-tolerance"].as<std::string>());
    compare_options.growth_tolerance_per_hour = parse_quantity(vm, "growth-tolerance", harness::parse_size_rate);
    compare_options.relative_tolerance = parse_percent(vm["relative-tolerance"].as<std::string>());
    compare_options.allow_unpaired = vm.count("allow-unpaired") > 0;

    // An unreadable or mismatched report is bad input (exit 2): the reports library says so by its error's kind.
    const reports::Comparison comparison =
        reports::compare_paths(vm["baseline"].as<std::string>(), vm["candidate"].as<std::string>(), compare_options);
    if (vm.count("html")) {
        reports::write_file_atomically(vm["html"].as<std::string>(), reports::render_comparison_html(comparison));
    }
    if (vm.count("junit")) {
        reports::write_file_atomically(vm["junit"].as<std::string>(), reports::render_comparison_junit(comparison));
    }
    if (vm.count("markdown")) {
        reports::write_file_atomically(vm["markdown"].as<std::string>(),
                                       reports::render_comparison_markdown(comparison));
    }
    if (vm.count("json")) {
        reports::write_file_atomically(vm["json"].as<std::string>(),
                                       reports::comparison_to_json(comparison).dump(2) + "\n");
    }
    if (!vm.count("quiet")) {
        reports::print_comparison(std::cout, comparison,
                                  reports::TerminalStyle{reports::should_use_color(STDOUT_FILENO)});
    }
    return comparison.passed() ? kExitPass : kExitBudgetFailed;
}

}  // namespace memsoak::cli
