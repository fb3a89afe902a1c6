#include "memsoak/harness/orchestration/suite.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "memsoak/engine/input_file.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/inputs/scenario.hpp"

namespace memsoak::harness {
namespace {

using Json = nlohmann::json;

// Runs one child with its output in `log`; returns its wait status.
int run_child(const std::filesystem::path& executable, const std::vector<std::string>& args,
              const std::filesystem::path& log, const std::atomic<bool>* stop_requested) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(executable.c_str()));
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);

    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) throw Error(fmt::format("{}: cannot create log: {}", log.string(), std::strerror(errno)));
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(log_fd);
        throw Error(fmt::format("cannot start {}: {}", executable.string(), std::strerror(errno)));
    }
    if (pid == 0) {
        // In the child: only async-signal-safe calls until exec.
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
        ::execv(executable.c_str(), argv.data());
        _exit(127);
    }
    ::close(log_fd);
    // A supervisor's SIGINT or SIGTERM (CI's timeout, systemd, docker stop) reaches this process only: pass the
    // stop on to the child, so that it stops at its next event and writes its partial report instead of running
    // to its end. The flag is polled every 10 ms rather than waited on: a signal landing between a check and a
    // blocking waitpid would otherwise go unnoticed until the child ended on its own.
    constexpr timespec kPollInterval{0, 10'000'000};
    bool stop_passed_on = false;
    int status = 0;
    while (true) {
        if (!stop_passed_on && stop_requested != nullptr && stop_requested->load()) {
            ::kill(pid, SIGTERM);
            stop_passed_on = true;
        }
        const pid_t reaped = ::waitpid(pid, &status, stop_passed_on ? 0 : WNOHANG);
        if (reaped == pid) return status;
        if (reaped < 0 && errno != EINTR) {
            throw Error(fmt::format("waiting for {}: {}", executable.string(), std::strerror(errno)));
        }
        if (reaped == 0) ::nanosleep(&kPollInterval, nullptr);
    }
}

Outcome outcome_of_exit(int code) {
    switch (code) {
        case 0: return Outcome::pass;
        case 1: return Outcome::fail;
        case 2: return Outcome::bad_input;
        case 130:
        case 143: return Outcome::interrupted;
        default: return Outcome::internal_error;
    }
}

}  // namespace

std::vector<SuiteEntry> run_suite(const Suite& suite, const SuiteOptions& options,
                                  const std::atomic<bool>* stop_requested) {
    const std::vector<SuiteJob> jobs = select_shard(plan_suite(suite, options.seeds), options.shard);
    std::error_code ec;
    std::filesystem::create_directories(options.out_dir, ec);
    if (ec) throw Error(fmt::format("{}: cannot create folder: {}", options.out_dir.string(), ec.message()));

    std::vector<SuiteEntry> entries;
    for (std::size_t position = 0; position < jobs.size(); ++position) {
        if (stop_requested != nullptr && stop_requested->load()) break;
        const SuiteJob& job = jobs[position];
        if (options.on_start) options.on_start(job, position, jobs.size());
        SuiteEntry entry;
        entry.job_index = job.index;
        entry.name = job.name;
        entry.seed = job.seed;
        entry.scenario = job.scenario;
        entry.report = options.out_dir / (job.name + ".json");
        entry.log = options.out_dir / (job.name + ".log");
        std::filesystem::remove(entry.report, ec);  // a stale report must not pass for this run's

        std::vector<std::string> args{"run", job.scenario.string(), "--out", entry.report.string(), "--quiet"};
        if (job.seed) args.insert(args.end(), {"--seed", std::to_string(*job.seed)});
        args.insert(args.end(), options.run_args.begin(), options.run_args.end());
        const auto start = std::chrono::steady_clock::now();
        const int status = run_child(options.executable, args, entry.log, stop_requested);
        entry.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (WIFSIGNALED(status)) {
            entry.signal = WTERMSIG(status);
            entry.outcome = entry.signal == SIGINT || entry.signal == SIGTERM ? Outcome::interrupted : Outcome::crashed;
        } else {
            entry.exit_code = WEXITSTATUS(status);
            entry.outcome = outcome_of_exit(entry.exit_code);
        }
        if (!std::filesystem::exists(entry.report, ec)) entry.report.clear();
        entries.push_back(std::move(entry));
        if (options.on_finish) options.on_finish(entries.back(), entries.size(), jobs.size());
    }
    return entries;
}

std::vector<SuiteEntry> run_suite_parallel(const Suite& suite, const SuiteOptions& options, std::size_t parallel,
                                           const std::atomic<bool>* stop_requested) {
    parallel = std::max<std::size_t>(parallel, 1);
    std::vector<SuiteEntry> entries;
    std::mutex mutex;  // guards entries, failure and the start callback
    std::exception_ptr failure;
    const std::size_t planned = plan_suite(suite, options.seeds).size();
    std::size_t finished = 0;
    const auto worker = [&](std::size_t index) {
        try {
            SuiteOptions shard_options = options;
            shard_options.shard = Shard{index, parallel};
            shard_options.on_start = [&](const SuiteJob& job, std::size_t position, std::size_t count) {
                const std::lock_guard lock(mutex);
                if (options.on_start) options.on_start(job, position, count);
            };
            shard_options.on_finish = [&](const SuiteEntry& entry, std::size_t, std::size_t) {
                const std::lock_guard lock(mutex);
                ++finished;
                if (options.on_finish) options.on_finish(entry, finished, planned);
            };
            std::vector<SuiteEntry> done = run_suite(suite, shard_options, stop_requested);
            const std::lock_guard lock(mutex);
            entries.insert(entries.end(), std::make_move_iterator(done.begin()), std::make_move_iterator(done.end()));
        } catch (...) {
            const std::lock_guard lock(mutex);
            if (!failure) failure = std::current_exception();
        }
    };
    std::vector<std::thread> threads;
    for (std::size_t k = 1; k <= parallel; ++k) threads.emplace_back(worker, k);
    for (std::thread& thread : threads) thread.join();
    if (failure) std::rethrow_exception(failure);
    std::sort(entries.begin(), entries.end(),
              [](const SuiteEntry& a, const SuiteEntry& b) { return a.job_index < b.job_index; });
    return entries;
}

std::string_view to_string(Outcome outcome) {
    switch (outcome) {
#define MEMSOAK_CASE(name) \
    case Outcome::name: return #name;
        MEMSOAK_OUTCOMES(MEMSOAK_CASE)
#undef MEMSOAK_CASE
    }
    return "unknown";
}

std::optional<Outcome> parse_outcome(std::string_view text) {
#define MEMSOAK_CASE(name) \
    if (text == #name) return Outcome::name;
    MEMSOAK_OUTCOMES(MEMSOAK_CASE)
#undef MEMSOAK_CASE
    return std::nullopt;
}

int suite_exit_code(const std::vector<SuiteEntry>& entries) {
    int code = 0;
    auto worse = [&code](int candidate, int rank_candidate) {
        // Ranks: pass 0 < fail 1 < bad input 2 < internal/crash 3 < interrupted 4.
        static constexpr auto rank = [](int c) { return c == 130 ? 4 : c; };
        if (rank_candidate > rank(code)) code = candidate;
    };
    for (const SuiteEntry& entry : entries) {
        switch (entry.outcome) {
            case Outcome::pass: break;
            case Outcome::fail: worse(1, 1); break;
            case Outcome::bad_input: worse(2, 2); break;
            case Outcome::internal_error:
            case Outcome::crashed: worse(3, 3); break;
            case Outcome::interrupted: worse(130, 4); break;
        }
    }
    return code;
}

}  // namespace memsoak::harness
