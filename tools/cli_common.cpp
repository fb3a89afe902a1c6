#include "cli.hpp"

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/json_input.hpp"
#include "memsoak/harness/analysis/calibration.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/soak/engine_target.hpp"
#include "memsoak/harness/soak/runner.hpp"
#include "memsoak/harness/soak/samplers.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <limits>

#include "memsoak/harness/units.hpp"
#include "memsoak/reports/json_report.hpp"
#include "memsoak_version.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace memsoak::cli {

std::atomic<bool> g_stop_requested{false};
std::atomic<int> g_stop_signal{0};

namespace {

std::string kind_of(const struct stat& status) {
    if (S_ISDIR(status.st_mode)) return "a folder";
    if (S_ISFIFO(status.st_mode)) return "a FIFO";
    if (S_ISCHR(status.st_mode)) return "a character device";
    if (S_ISBLK(status.st_mode)) return "a block device";
    if (S_ISSOCK(status.st_mode)) return "a socket";
    return "not a regular file";
}

// The folder nearest to `file` that exists: where its missing folders will be created.
fs::path nearest_existing_folder(const fs::path& file) {
    fs::path folder = file.parent_path();
    std::error_code ec;
    while (!folder.empty() && !fs::exists(folder, ec)) folder = folder.parent_path();
    return folder.empty() ? fs::path(".") : folder;
}

// An output file must be writable where it is named, checked before any work: a typo must not cost a soak, nor
// leave some outputs written and others not; and it must not replace anything but a regular file.
void check_output_file(const OutputFile& output) {
    const fs::path& file = output.path;
    if (file.empty()) throw UsageError(fmt::format("--{}: expected a file name, got an empty path", output.option));
    const std::string name = file.filename().string();
    if (name.empty() || name == "." || name == "..") {
        throw UsageError(fmt::format("--{} {}: expected a file name, got a folder", output.option, file.string()));
    }
    struct stat status {};
    if (::stat(file.c_str(), &status) == 0) {
        if (S_ISDIR(status.st_mode)) {
            throw UsageError(fmt::format("--{} {}: expected a file name, got a folder", output.option, file.string()));
        }
        if (!S_ISREG(status.st_mode)) {
            throw UsageError(
                fmt::format("--{} {}: expected a new name or a regular file to replace, got {} "
                            "(memsoak replaces only regular files)",
                            output.option, file.string(), kind_of(status)));
        }
    }
    const fs::path folder = nearest_existing_folder(file);
    if (::stat(folder.c_str(), &status) != 0 || !S_ISDIR(status.st_mode)) {
        throw UsageError(
            fmt::format("--{} {}: {} is a file, not a folder", output.option, file.string(), folder.string()));
    }
    if (::access(folder.c_str(), W_OK | X_OK) != 0) {
        throw UsageError(fmt::format("--{} {}: cannot write in the folder {}: {}", output.option, file.string(),
                                     folder.string(), std::strerror(errno)));
    }
}

// Two paths name one file: the same file on disk, or the same place once "..", "." and links are resolved.
bool same_file(const fs::path& a, const fs::path& b) {
    struct stat sa {
    }, sb{};
    if (::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0) {
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    }
    std::error_code ec_a, ec_b;
    const fs::path ca = fs::weakly_canonical(fs::absolute(a), ec_a);
    const fs::path cb = fs::weakly_canonical(fs::absolute(b), ec_b);
    return !ec_a && !ec_b && ca == cb;
}

}  // namespace

void check_output_files(const std::vector<OutputFile>& outputs) {
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        check_output_file(outputs[i]);
        for (std::size_t j = 0; j < i; ++j) {
            if (same_file(outputs[i].path, outputs[j].path)) {
                throw UsageError(fmt::format("--{} and --{} name the same file {}: one would replace the other",
                                             outputs[j].option, outputs[i].option, outputs[i].path.string()));
            }
        }
    }
}

void check_outputs_spare_inputs(const std::vector<OutputFile>& outputs, const std::vector<fs::path>& inputs) {
    for (const OutputFile& output : outputs) {
        for (const fs::path& input : inputs) {
            if (!input.empty() && same_file(output.path, input)) {
                throw UsageError(fmt::format("--{} {}: is {}, an input of this command; choose another file",
                                             output.option, output.path.string(), input.string()));
            }
        }
    }
}

std::vector<fs::path> files_named_by(const std::vector<fs::path>& paths) {
    std::vector<fs::path> files;
    for (const fs::path& path : paths) {
        std::error_code ec;
        if (fs::is_directory(path, ec)) {
            for (const auto& entry : fs::directory_iterator(path, ec)) {
                if (entry.is_regular_file(ec)) files.push_back(entry.path());
            }
        } else if (fs::is_regular_file(path, ec)) {
            files.push_back(path);
        }
    }
    return files;
}

std::vector<OutputFile> output_files(const po::variables_map& vm) {
    std::vector<OutputFile> outputs;
    for (const char* option : {"out", "html", "junit", "markdown", "json"}) {
        if (vm.count(option)) outputs.push_back({option, vm[option].as<std::string>()});
    }
    return outputs;
}

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& options,
                        const po::positional_options_description& positional) {
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    po::notify(vm);
    check_output_files(output_files(vm));
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
        const std::optional<harness::Layer> layer = harness::parse_layer(name);
        if (!layer) {
            throw UsageError(
                fmt::format("--measure: unknown layer \"{}\"; expected a comma-separated list of "
                            "os, allocator, engine, or none alone",
                            name));
        }
        layers.push_back(*layer);
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
        engine::json_input::reject(ledger.file, "$.calibration",
                                   "missing; expected the calibration file of the ledger's \"calibrated\" limits "
                                   "(memsoak calibrate writes it)");
    }
    harness::resolve_calibrated_limits(ledger, scenario, harness::allocator_name(),
                                       harness::load_calibration(ledger.calibration_file));
}

FileKind kind_of(const nlohmann::json& document) {
    if (!document.is_object()) return FileKind::scenario;
    // A ledger whose "budgets" has the wrong type is still a ledger: no scenario lacks "workload" and "name".
    if (document.contains("budgets") &&
        (document["budgets"].is_object() || (!document.contains("workload") && !document.contains("name")))) {
        return FileKind::ledger;
    }
    if (document.contains("false_alarm_rate")) return FileKind::calibration;
    if (document.contains("scenarios")) return FileKind::suite;
    return FileKind::scenario;
}

std::string_view to_string(FileKind kind) {
    switch (kind) {
        case FileKind::scenario: return "a scenario";
        case FileKind::suite: return "a suite";
        case FileKind::ledger: return "a budget ledger";
        case FileKind::calibration: return "a calibration file";
    }
    return "?";
}

RunSetup prepare_run(const RunRequest& request) {
    RunSetup setup;
    // Command-line values first: a typo must not be reported as a problem of a file.
    engine::Config injections;
    try {
        harness::apply_injections(injections, request.injections);
    } catch (const harness::Error& e) {
        throw UsageError(e.what());
    }
    harness::check_leak_names(request.leaks);

    setup.scenario = harness::load_scenario(request.scenario_file);
    harness::check_workload_for_engine(setup.scenario);
    if (request.seed) setup.scenario.seed = *request.seed;
    const fs::path ledger_file = request.ledger_file.value_or(default_ledger_for(request.scenario_file));
    setup.ledger = harness::load_ledger(ledger_file);
    setup.config =
        harness::engine_config_for_run(setup.scenario.engine, setup.scenario.file, request.scenario_file.parent_path(),
                                       setup.scenario.seed, request.leaks);
    setup.config.injected_leaks.insert(setup.config.injected_leaks.end(), injections.injected_leaks.begin(),
                                       injections.injected_leaks.end());
    // The scenario's own "inject" leaks are recorded too: the report says every leak that was put in.
    for (const engine::InjectedLeak& leak : setup.config.injected_leaks) {
        setup.injected.push_back(engine::to_string(leak));
    }
    setup.inputs = {request.scenario_file, ledger_file};
    if (!setup.ledger.calibration_file.empty()) setup.inputs.push_back(setup.ledger.calibration_file);
    if (!setup.config.replay_csv.empty()) setup.inputs.push_back(setup.config.replay_csv);
    // Built here, not when the run starts: a replay CSV is read and checked now.
    setup.target = harness::make_engine_target(setup.config);
    harness::RunOptions options;
    options.layers = request.layers;
    harness::check_run_setup(setup.scenario, setup.ledger, *setup.target, options);
    // After every other input check: a bad option or CSV is reported as such, not as a missing calibration.
    if (!request.calibrating) apply_calibration(setup.ledger, setup.scenario);
    return setup;
}

int exit_code_for(engine::ErrorKind kind) {
    switch (kind) {
        case engine::ErrorKind::usage:
        case engine::ErrorKind::bad_input: return kExitBadInput;
        case engine::ErrorKind::io:
        case engine::ErrorKind::internal: return kExitInternal;
    }
    return kExitInternal;
}

int report_current_error(const std::string& command, std::ostream& err) {
    const auto usage = [&](const char* message) {
        err << "memsoak " << command << ": " << message << "\n(see memsoak " << command << " --help)\n";
        return exit_code_for(engine::ErrorKind::usage);
    };
    try {
        throw;
    } catch (const po::error& e) {
        return usage(e.what());
    } catch (const engine::Error& e) {
        if (e.kind() == engine::ErrorKind::usage) return usage(e.what());
        err << (e.kind() == engine::ErrorKind::internal ? "memsoak: internal error: " : "memsoak: error: ") << e.what()
            << "\n";
        return exit_code_for(e.kind());
    } catch (const std::exception& e) {
        err << "memsoak: internal error: " << e.what() << "\n";
        return exit_code_for(engine::ErrorKind::internal);
    }
}

harness::RunResult load_child_report(const fs::path& file) {
    try {
        return reports::load_report(file);
    } catch (const engine::Error& e) {
        throw e.as(engine::ErrorKind::internal);
    }
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

namespace {

// The upper bound as people read it: 2^64 - 1 rather than its twenty digits.
std::string bound_text(std::uint64_t most) {
    return most == std::numeric_limits<std::uint64_t>::max() ? std::string("2^64 - 1") : std::to_string(most);
}

}  // namespace

// boost's lexical_cast reads "-1" as 2^64 - 1 for an unsigned option, so whole numbers are read here: digits only.
std::uint64_t parse_whole_number(const std::string& option, const std::string& text, std::uint64_t least,
                                 std::uint64_t most) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < least || value > most) {
        throw UsageError(fmt::format("--{}: expected a whole number from {} to {}, got \"{}\"", option, least,
                                     bound_text(most), text));
    }
    return value;
}

std::uint64_t whole_number_option(const boost::program_options::variables_map& vm, const std::string& option,
                                  std::uint64_t fallback, std::uint64_t least, std::uint64_t most) {
    if (!vm.count(option)) return fallback;
    return parse_whole_number(option, vm[option].as<std::string>(), least, most);
}

std::uint64_t parse_seed(const std::string& text) {
    return parse_whole_number("seed", text, 0, std::numeric_limits<std::uint64_t>::max());
}

double parse_max_rss(const std::string& text) {
    double bytes = 0;
    try {
        bytes = harness::parse_size(text);
    } catch (const harness::Error& e) {
        throw UsageError(fmt::format("--max-rss: {}", e.what()));
    }
    // memsoak and the engine take more than this at their start: a smaller limit would stop every run at its first
    // sample, which is a typo ("1 B"), not a limit.
    constexpr double kLeastMaxRss = 1024.0 * 1024.0;
    if (!(bytes >= kLeastMaxRss)) {
        throw UsageError(
            fmt::format("--max-rss: expected at least 1 MiB (memsoak itself takes more), got \"{}\"", text));
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
