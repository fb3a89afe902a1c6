#include "heap_attribution.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>

#include <fmt/format.h>

#include "cli.hpp"
#include "memsoak/harness/analysis/diagnosis.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/soak/heap_profile.hpp"
#include "memsoak/harness/soak/heap_sample.hpp"
#include "memsoak/harness/soak/samplers.hpp"
#include "memsoak/reports/json_report.hpp"

extern char** environ;

namespace fs = std::filesystem;

namespace memsoak::cli {
namespace {

// Set in a process whose tcmalloc environment memsoak set: it is not re-executed again.
constexpr const char* kReexecMarker = "MEMSOAK_TCMALLOC_ENVIRONMENT";

// tcmalloc's environment for a run of memsoak-tcmalloc: the sampling period (0: none), none of its own notices on
// stderr (it reports allocations above 1 GiB, and its heap profiler dumps every 1 GiB allocated or 100 MiB of
// growth, each announced), and the marker that it is set.
std::vector<std::pair<std::string, std::string>> tcmalloc_environment(std::size_t period) {
    return {{harness::kSampleParameterVariable, std::to_string(period)},
            {"TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD", "1152921504606846976"},
            {"HEAP_PROFILE_ALLOCATION_INTERVAL", "0"},
            {"HEAP_PROFILE_INUSE_INTERVAL", "0"},
            {kReexecMarker, "1"}};
}

bool has_failed_process_limit(const harness::RunResult& result, std::string& which) {
    for (const harness::BudgetResult& budget : result.budgets) {
        for (const harness::LimitResult& limit : budget.limits) {
            if (limit.verdict == harness::Verdict::fail && harness::is_process_metric(limit.metric)) {
                which = fmt::format("budget {} failed on {}", budget.budget, limit.metric);
                return true;
            }
        }
    }
    return false;
}

std::string tail_of(const fs::path& file, std::size_t lines) {
    std::ifstream in(file);
    std::vector<std::string> kept;
    for (std::string line; std::getline(in, line);) {
        kept.push_back(line);
        if (kept.size() > lines) kept.erase(kept.begin());
    }
    std::string out;
    for (const std::string& line : kept) out += (out.empty() ? "" : " | ") + line;
    return out;
}

}  // namespace

void ensure_tcmalloc_environment(std::size_t period, const std::vector<std::string>& run_args) {
    if (std::getenv(kReexecMarker) == nullptr) {
        for (const auto& [name, value] : tcmalloc_environment(period)) ::setenv(name.c_str(), value.c_str(), 1);
        const fs::path self = harness::current_executable();
        std::vector<std::string> args{self.string(), "run"};
        args.insert(args.end(), run_args.begin(), run_args.end());
        std::vector<char*> argv;
        for (std::string& arg : args) argv.push_back(arg.data());
        argv.push_back(nullptr);
        std::fflush(nullptr);
        ::execv(self.c_str(), argv.data());
        throw harness::Error(fmt::format("cannot re-execute {} with {} set: {}", self.string(),
                                         harness::kSampleParameterVariable, std::strerror(errno)));
    }
    if (period == 0) return;
    if (const std::size_t active = harness::heap_sample_period(); active != period) {
        throw UsageError(
            fmt::format("--heap-sample: tcmalloc samples every {} bytes, not {} (is {} set to something "
                        "else, or the period out of tcmalloc's range?)",
                        active, period, harness::kSampleParameterVariable));
    }
}

std::string attribution_trigger(const harness::RunResult& result) {
    const std::string& allocator = result.info.allocator;
    if (allocator == "tcmalloc" || allocator == "sanitizer" || result.heap_profile) return "";
    if (result.info.interrupted || !result.info.stop_reason.empty()) return "";
    std::string failed;
    if (!has_failed_process_limit(result, failed)) return "";
    if (!result.diagnosis) return "";
    const harness::GrowthClass kind = result.diagnosis->kind;
    if (kind != harness::GrowthClass::untracked_leak && kind != harness::GrowthClass::heap_growth) return "";
    return fmt::format("{} and no engine component explains the growth ({})", failed, harness::to_string(kind));
}

fs::path collapsed_file_for(const fs::path& report) {
    fs::path out = report;
    out.replace_extension(".growth.collapsed");
    return out;
}

harness::HeapProfileFindings rerun_under_tcmalloc(const AttributionRerun& rerun) {
    harness::HeapProfileFindings findings;
    findings.mode = "sampled";
    findings.total_growth_bytes = std::numeric_limits<double>::quiet_NaN();
    fs::path self;
    try {
        self = harness::current_executable();
    } catch (const harness::Error& e) {
        findings.error = e.what();
        return findings;
    }
    const fs::path sibling = self.parent_path() / "memsoak-tcmalloc";
    findings.source = sibling.string();
    if (::access(sibling.c_str(), X_OK) != 0) {
        findings.error = fmt::format(
            "no growth sites: memsoak-tcmalloc was not found beside {} (build it, or run "
            "memsoak-tcmalloc run --heap-sample yourself)",
            self.string());
        return findings;
    }
    char pattern[] = "/tmp/memsoak-attribution-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    if (made == nullptr) {
        findings.error = fmt::format("no growth sites: cannot create a temporary folder: {}", std::strerror(errno));
        return findings;
    }
    const fs::path work = made;
    const fs::path report = work / "rerun.json";
    const fs::path log = work / "rerun.log";
    std::vector<std::string> args{sibling.string(),
                                  "run",
                                  rerun.scenario.string(),
                                  "--seed",
                                  std::to_string(rerun.seed),
                                  "--ledger",
                                  rerun.ledger.string(),
                                  "--measure",
                                  rerun.measure,
                                  "--heap-sample",
                                  "--no-probe",
                                  "--quiet",
                                  "--out",
                                  report.string()};
    for (const std::string& leak : rerun.leaks) args.insert(args.end(), {"--leak", leak});
    for (const std::string& injection : rerun.injections) args.insert(args.end(), {"--inject", injection});
    if (rerun.collapsed_file) args.insert(args.end(), {"--collapsed", rerun.collapsed_file->string()});
    if (rerun.max_rss) args.insert(args.end(), {"--max-rss", *rerun.max_rss});

    std::vector<std::string> environment;
    for (char** variable = environ; *variable != nullptr; ++variable) environment.emplace_back(*variable);
    for (const auto& [name, value] : tcmalloc_environment(harness::kDefaultHeapSamplePeriod)) {
        environment.push_back(name + "=" + value);
    }
    std::vector<char*> argv, envp;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    for (std::string& variable : environment) envp.push_back(variable.data());
    envp.push_back(nullptr);

    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const pid_t pid = log_fd < 0 ? -1 : ::fork();
    if (pid == 0) {
        // In the child: only async-signal-safe calls until exec.
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
        ::execve(sibling.c_str(), argv.data(), envp.data());
        _exit(127);
    }
    if (log_fd >= 0) ::close(log_fd);
    int status = 0;
    if (pid < 0) {
        findings.error = fmt::format("no growth sites: cannot start {}: {}", sibling.string(), std::strerror(errno));
    } else {
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (code != kExitPass && code != kExitBudgetFailed) {
            findings.error =
                fmt::format("no growth sites: the re-run under {} ended with {} {}: {}", sibling.string(),
                            code < 0 ? "signal" : "exit", code < 0 ? WTERMSIG(status) : code, tail_of(log, 3));
        } else {
            try {
                harness::RunResult again = reports::load_report(report);
                if (again.heap_profile) {
                    findings = *again.heap_profile;
                } else {
                    findings.error = "no growth sites: the re-run's report has no sampled heap";
                }
                findings.source = sibling.string();
            } catch (const std::exception& e) {
                findings.error = fmt::format("no growth sites: the re-run's report: {}", e.what());
            }
        }
    }
    std::error_code ec;
    fs::remove_all(work, ec);
    return findings;
}

}  // namespace memsoak::cli
