#pragma once
// What the memsoak commands share: exit codes, option parsing helpers, the stop flag set by signals.
// Each command lives in its own cmd_*.cpp and is listed in memsoak_main.cpp.

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "memsoak/engine/config.hpp"
#include "memsoak/engine/error.hpp"
#include "memsoak/harness/inputs/ledger.hpp"
#include "memsoak/harness/inputs/scenario.hpp"
#include "memsoak/harness/orchestration/suite.hpp"
#include "memsoak/harness/result.hpp"
#include "memsoak/harness/target.hpp"

namespace memsoak::cli {

// Exit codes (README "Exit codes").
inline constexpr int kExitPass = 0;
inline constexpr int kExitBudgetFailed = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitInternal = 3;

// A usage error: memsoak's one error type (engine/error.hpp) of kind usage, printed with a pointer to the
// command's --help, exit 2.
struct UsageError : engine::Error {
    explicit UsageError(const std::string& message) : engine::Error(message, engine::ErrorKind::usage) {}
};

// The one mapping of errors to exit codes: usage and bad input 2, I/O and internal errors 3.
int exit_code_for(engine::ErrorKind kind);
// Prints the exception in flight (call it in a catch block) as its kind is printed, for `command` ("run"), and
// returns its exit code: a usage error (or a Boost.Program_options one) with a pointer to --help, bad input and I/O
// as "memsoak: error: ...", anything that is not memsoak's Error as an internal error.
int report_current_error(const std::string& command, std::ostream& err);
// A report that a child memsoak of this command wrote: one it cannot read is memsoak's own fault (exit 3), not
// the user's input.
harness::RunResult load_child_report(const std::filesystem::path& file);

// Set by SIGINT/SIGTERM (memsoak_main.cpp); soak loops check it between events and stop with a partial report.
extern std::atomic<bool> g_stop_requested;
extern std::atomic<int> g_stop_signal;

// Parses a command's arguments, then checks every output file option present (--out, --html, --junit,
// --markdown, --json) with check_output_files: refused before any work, as a usage error.
boost::program_options::variables_map parse(const std::vector<std::string>& args,
                                            const boost::program_options::options_description& options,
                                            const boost::program_options::positional_options_description& positional);
bool wants_help(const std::vector<std::string>& args);

// An output a command will write: the option that names it ("out") and its path.
struct OutputFile {
    std::string option;
    std::filesystem::path path;
};
// Outputs never destroy what they name (docs/reliability.md, "Outputs"): each is a non-empty path that names
// nothing or a regular file (never a folder, FIFO, device or socket); its nearest existing folder is a writable
// folder (missing folders below it are created when it is written); no two outputs name one file. Throws
// UsageError naming the option.
void check_output_files(const std::vector<OutputFile>& outputs);
// An output naming one of the command's inputs (the scenario, its ledger, a report being compared) would replace
// it: throws UsageError naming both.
void check_outputs_spare_inputs(const std::vector<OutputFile>& outputs,
                                const std::vector<std::filesystem::path>& inputs);
// The files that `paths` name: each regular file, and the regular files directly inside each folder.
std::vector<std::filesystem::path> files_named_by(const std::vector<std::filesystem::path>& paths);
// The output file options present in `vm` (out, html, junit, markdown, json).
std::vector<OutputFile> output_files(const boost::program_options::variables_map& vm);

// budgets.json beside the scenario: where a scenario's ledger is unless --ledger says otherwise.
std::filesystem::path default_ledger_for(const std::filesystem::path& scenario);
// "os,allocator" -> layers; throws UsageError naming the bad layer.
std::vector<harness::Layer> parse_layers(const std::string& text);
// --OPTION N: digits only, from `least` to `most`; throws UsageError "--OPTION: expected a whole number from L to M,
// got ...". Every integer option is read with it, as text: boost would read "-1" as 2^64 - 1 for an unsigned option.
// `option` is the name without dashes ("seeds").
std::uint64_t parse_whole_number(const std::string& option, const std::string& text, std::uint64_t least,
                                 std::uint64_t most);
// parse_whole_number of --OPTION when given, else `fallback`.
std::uint64_t whole_number_option(const boost::program_options::variables_map& vm, const std::string& option,
                                  std::uint64_t fallback, std::uint64_t least, std::uint64_t most);
// --seed N: a whole number from 0 to 2^64 - 1.
std::uint64_t parse_seed(const std::string& text);
// --max-rss SIZE: a positive size with its unit ("512 MiB"); a bare number is refused, not read as bytes. Throws
// UsageError naming the option.
double parse_max_rss(const std::string& text);
// Sets the ledger's "calibrated" limits for this scenario under the running allocator from the ledger's
// calibration file (harness/analysis/calibration.hpp); throws harness::Error when it is missing or stale. Under a
// sanitizer nothing is applied and those limits are judged not_measured.
void apply_calibration(harness::Ledger& ledger, const harness::Scenario& scenario);
// What a memsoak JSON file holds, from its content: a ledger's "budgets" is an object (a scenario's is a list; a
// document with "budgets" but neither "workload" nor "name" is a ledger too, so that its error is a ledger's), a
// suite lists "scenarios", a calibration file has a "false_alarm_rate"; anything else is read as a scenario, so
// that a scenario with a misspelt field is reported as one.
enum class FileKind { scenario, suite, ledger, calibration };
FileKind kind_of(const nlohmann::json& document);
std::string_view to_string(FileKind kind);

// What a run reads and checks before its first event. `run`, `suite` (every entry, before any runs), `fixcheck`,
// `probe` and `validate` share it, so that validate's "ok" means the run will start.
struct RunRequest {
    std::filesystem::path scenario_file;
    std::optional<std::filesystem::path> ledger_file;  // default: budgets.json beside the scenario
    std::optional<std::uint64_t> seed;                 // default: the scenario's
    std::vector<std::string> leaks;                    // study issues switched back on
    std::vector<std::string> injections;               // --inject values
    std::vector<harness::Layer> layers{harness::Layer::os, harness::Layer::allocator, harness::Layer::engine};
    bool calibrating = false;  // calibrated limits not applied
};
struct RunSetup {
    harness::Scenario scenario;
    harness::Ledger ledger;
    engine::Config config;
    std::vector<std::string> injected;          // every injected leak, in canonical form
    std::vector<std::filesystem::path> inputs;  // every file the run reads: none may be an output
    std::unique_ptr<harness::Target> target;    // the engine, built (a replay CSV read and checked)
};
RunSetup prepare_run(const RunRequest& request);
// prepare_run for every scenario of a suite, before any runs (a later entry's error must not come after the
// earlier entries' work); errors name the suite entry. Returns every file the suite's runs read.
std::vector<std::filesystem::path> check_suite_runs(const harness::Suite& suite, const RunRequest& request);

// The tool's identity (version, commit, build type) in a result.
void stamp_tool(harness::RunResult& result);
// The commit reports record: $MEMSOAK_COMMIT when set; else HEAD of the git work tree around the current folder;
// else the first 12 digits of $GITHUB_SHA; else the commit known when memsoak was configured ("unknown" without
// git then).
std::string resolve_commit();
// 0 pass, 1 a budget failed, 128+signal when interrupted.
int exit_code_for(const harness::RunResult& result);
// Prints rows as columns as wide as their widest cell, two spaces apart, each line after `indent` spaces and
// without trailing blanks.
void print_aligned(std::ostream& out, const std::vector<std::vector<std::string>>& rows, std::size_t indent = 0);

// "memsoak suite: [3/8] production-day-seed1: fail (exit 1), 2.14 s": one line per finished run, for logs read
// without a terminal (CI), where a progress line redrawn in place would print nothing until the end.
std::string finished_run_line(std::string_view command, const harness::SuiteEntry& entry, std::size_t finished,
                              std::size_t count);

// The commands. Each takes the arguments after its name.
int run_command(const std::vector<std::string>& args);
int suite_command(const std::vector<std::string>& args);
int list_command(const std::vector<std::string>& args);
int validate_command(const std::vector<std::string>& args);
int compare_command(const std::vector<std::string>& args);
int merge_command(const std::vector<std::string>& args);
int selftest_command(const std::vector<std::string>& args);
int fixcheck_command(const std::vector<std::string>& args);
int calibrate_command(const std::vector<std::string>& args);
int probe_command(const std::vector<std::string>& args);
int history_command(const std::vector<std::string>& args);

}  // namespace memsoak::cli
