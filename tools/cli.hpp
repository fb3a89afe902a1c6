#pragma once
// What the memsoak commands share: exit codes, option parsing helpers, the stop flag set by signals.
// Each command lives in its own cmd_*.cpp and is listed in memsoak_main.cpp.

#include <atomic>
#include <filesystem>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "memsoak/harness/ledger.hpp"
#include "memsoak/harness/result.hpp"
#include "memsoak/harness/scenario.hpp"

namespace memsoak::cli {

// Exit codes (README "Exit codes").
inline constexpr int kExitPass = 0;
inline constexpr int kExitBudgetFailed = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitInternal = 3;

// A usage error: printed with a pointer to the command's --help, exit 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Set by SIGINT/SIGTERM (memsoak_main.cpp); soak loops check it between events and stop with a partial report.
extern std::atomic<bool> g_stop_requested;
extern std::atomic<int> g_stop_signal;

// Parses a command's arguments, then checks that each output file option present (--out, --html, --junit,
// --markdown) names a file in an existing folder: refused before any work, as a usage error.
boost::program_options::variables_map parse(const std::vector<std::string>& args,
                                            const boost::program_options::options_description& options,
                                            const boost::program_options::positional_options_description& positional);
bool wants_help(const std::vector<std::string>& args);

// budgets.json beside the scenario: where a scenario's ledger is unless --ledger says otherwise.
std::filesystem::path default_ledger_for(const std::filesystem::path& scenario);
// "os,allocator" -> layers; throws UsageError naming the bad layer.
std::vector<harness::Layer> parse_layers(const std::string& text);
// --seed N: digits only, below 2^64; throws UsageError naming the option.
std::uint64_t parse_seed(const std::string& text);
// --OPTION N: digits only, from `least` to `most`; throws UsageError "--OPTION: expected a whole number from L to M,
// got ...". Read as text: boost would read "-1" as 2^64 - 1 for an unsigned option.
std::uint64_t parse_whole_number(const std::string& option, const std::string& text, std::uint64_t least,
                                 std::uint64_t most);
// --max-rss SIZE: a positive size in bytes; throws UsageError naming the option.
double parse_max_rss(const std::string& text);
// Sets the ledger's "calibrated" limits for this scenario under the running allocator from the ledger's
// calibration file (harness/calibration.hpp); throws harness::Error when it is missing or stale. Under a sanitizer
// nothing is applied and those limits are judged not_measured.
void apply_calibration(harness::Ledger& ledger, const harness::Scenario& scenario);
// The tool's identity (version, commit, build type) in a result.
void stamp_tool(harness::RunResult& result);
// 0 pass, 1 a budget failed, 128+signal when interrupted.
int exit_code_for(const harness::RunResult& result);
// Prints rows as columns as wide as their widest cell, two spaces apart, each line after `indent` spaces and
// without trailing blanks.
void print_aligned(std::ostream& out, const std::vector<std::vector<std::string>>& rows, std::size_t indent = 0);

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
