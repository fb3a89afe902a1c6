#include "cli.hpp"

#include "memsoak/harness/calibration.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/samplers.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <csignal>
#include <fmt/format.h>

#include "memsoak/harness/error.hpp"
#include "memsoak/harness/units.hpp"
#include "memsoak_version.hpp"

namespace po = boost::program_options;

namespace memsoak::cli {

std::atomic<bool> g_stop_requested{false};
std::atomic<int> g_stop_signal{0};

namespace {

// An output file must be writable where it is named, checked before any work: a typo must not cost a soak, nor
// leave some outputs written and others not.
void check_output_file(std::string_view option, const std::filesystem::path& file) {
    const std::filesystem::path folder = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    if (!std::filesystem::is_directory(folder)) {
        throw UsageError(fmt::format("--{} {}: the folder {} does not exist", option, file.string(), folder.string()));
    }
    if (std::filesystem::is_directory(file)) {
        throw UsageError(fmt::format("--{} {}: expected a file name, got a folder", option, file.string()));
    }
}

}  // namespace

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& options,
                        const po::positional_options_description& positional) {
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    po::notify(vm);
    for (const char* output : {"out", "html", "junit", "markdown"}) {
        if (vm.count(output)) check_output_file(output, vm[output].as<std::string>());
    }
    return vm;
}

bool wants_help(const std::vector<std::string>& args) {
    for (const auto& a : args) {
        if (a == "--help" || a == "-h") return true;
    }
    return false;
}

std::filesystem::path default_ledger_for(const std::filesystem::path& scenario) {
    return scenario.parent_path() / "budgets.json";
}

std::vector<harness::Layer> parse_layers(const std::string& text) {
    std::vector<harness::Layer> layers;
    // Sampling off, the workload alone: the baseline against which the harness's overhead is measured.
    if (text == "none") return layers;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string name = text.substr(start, comma - start);
        if (name == "os") layers.push_back(harness::Layer::os);
        else if (name == "allocator") layers.push_back(harness::Layer::allocator);
        else if (name == "engine") layers.push_back(harness::Layer::engine);
        else throw UsageError(fmt::format("--measure: unknown layer \"{}\"; expected a comma-separated list of "
                                          "os, allocator, engine, or none alone", name));
        start = comma + 1;
    }
    return layers;
}

void apply_calibration(harness::Ledger& ledger, const harness::Scenario& scenario) {
    if (harness::calibrated_metrics(ledger, scenario.budgets).empty()) return;
    // A sanitizer replaces the allocator and inflates memory: no calibration applies; the limits read "not
    // measured" and say why.
    if (harness::allocator_name() == "sanitizer") return;
    if (ledger.calibration_file.empty()) {
        throw harness::Error(fmt::format("{}: $.calibration: missing; expected the calibration file of the ledger's "
                                         "\"calibrated\" limits (memsoak calibrate writes it)",
                                         ledger.file));
    }
    harness::resolve_calibrated_limits(ledger, scenario, harness::allocator_name(),
                                       harness::load_calibration(ledger.calibration_file));
}

void stamp_tool(harness::RunResult& result) {
    result.info.tool_version = MEMSOAK_VERSION;
    result.info.git_commit = resolve_commit();
    result.info.build_type = MEMSOAK_BUILD_TYPE;
}

int exit_code_for(const harness::RunResult& result) {
    if (result.info.interrupted) return 128 + (g_stop_signal.load() != 0 ? g_stop_signal.load() : SIGINT);
    return result.verdict == harness::Verdict::fail ? kExitBudgetFailed : kExitPass;
}

// boost's lexical_cast reads "-1" as 2^64 - 1 for an unsigned option, so the seed is read here: digits only.
std::uint64_t parse_seed(const std::string& text) {
    std::uint64_t seed = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seed);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
        throw UsageError(fmt::format("--seed: expected a non-negative integer below 2^64, got \"{}\"", text));
    }
    return seed;
}

std::uint64_t parse_whole_number(const std::string& option, const std::string& text, std::uint64_t least,
                                 std::uint64_t most) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < least || value > most) {
        throw UsageError(fmt::format("--{}: expected a whole number from {} to {}, got \"{}\"", option, least, most,
                                     text));
    }
    return value;
}

double parse_max_rss(const std::string& text) {
    double bytes = 0;
    try {
        bytes = harness::parse_size(text);
    } catch (const harness::Error& e) {
        throw UsageError(fmt::format("--max-rss: {}", e.what()));
    }
    // At least a byte: "0.1 B" would otherwise stop every run at its first sample, as "0" would.
    if (!(bytes >= 1)) throw UsageError(fmt::format("--max-rss: expected a positive size, got \"{}\"", text));
    // "100" read as 100 bytes would stop every run at its first sample too: whoever typed it meant MiB or GiB.
    const std::size_t last = text.find_last_not_of(" \t");
    if (last != std::string::npos && (std::isdigit(static_cast<unsigned char>(text[last])) || text[last] == '.')) {
        throw UsageError(fmt::format("--max-rss: \"{}\" has no unit; expected a size with one, such as \"512 MiB\" "
                                     "or \"2 GiB\"",
                                     text));
    }
    return bytes;
}

std::string finished_run_line(std::string_view command, const harness::SuiteEntry& entry, std::size_t finished,
                              std::size_t count) {
    std::string outcome(harness::to_string(entry.outcome));
    if (entry.signal != 0) {
        outcome += fmt::format(" (signal {})", entry.signal);
    } else if (entry.exit_code > 0) {
        outcome += fmt::format(" (exit {})", entry.exit_code);
    }
    return fmt::format("memsoak {}: [{}/{}] {}: {}, {:.2f} s", command, finished, count, entry.name, outcome,
                       entry.wall_seconds);
}

void print_aligned(std::ostream& out, const std::vector<std::vector<std::string>>& rows, std::size_t indent) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        widths.resize(std::max(widths.size(), row.size()), 0);
        for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
    }
    for (const auto& row : rows) {
        std::string line(indent, ' ');
        for (std::size_t c = 0; c < row.size(); ++c) {
            line += row[c];
            if (c + 1 < row.size()) line.append(widths[c] - row[c].size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << line << '\n';
    }
}

}  // namespace memsoak::cli
