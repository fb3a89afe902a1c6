#pragma once
// Child processes for tests: run the memsoak binary under test to its end and keep what it printed, or start a
// program without waiting for it, signal it, reap it, and read what the kernel says about it in /proc (which
// signals it handles, which children it has).

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace memsoak::testing {

// How a child ended: exit_code for a normal exit, signal when a signal killed it.
struct ExitStatus {
    int exit_code = -1;  // -1 when killed by a signal
    int signal = 0;      // 0 unless killed by a signal
};

// One running program. Its standard output and error both go to `output_file`, or its standard error alone to
// `stderr_file` when one is given (each created or truncated).
// The destructor kills (SIGKILL) and reaps a child still running, so a failing test leaves no orphan behind.
class ChildProcess {
public:
    ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& output_file,
                 const std::filesystem::path& stderr_file = {});
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    // Does nothing once the child has been reaped: its pid may belong to another process by then.
    void send(int signal) const;
    // Blocks until the child ends.
    ExitStatus wait();
    // The status if the child has ended, without blocking.
    std::optional<ExitStatus> try_wait();

private:
    pid_t pid_ = -1;
    std::optional<ExitStatus> status_;
};

// Whether `pid` has a handler installed for `signal` (the SigCgt mask of /proc/PID/status).
bool catches_signal(pid_t pid, int signal);

// CPU time `pid` has used so far, user and system, in seconds (/proc/PID/stat); 0 once it is gone.
double cpu_seconds(pid_t pid);

// The direct children of `pid` (/proc/PID/task/PID/children).
std::vector<pid_t> children_of(pid_t pid);

// Polls `condition` every `poll` until it holds (true) or `limit` has passed (false). The limit is a safety net
// so that a broken build fails instead of hanging; no test asserts how long anything took.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit,
                std::chrono::microseconds poll = std::chrono::milliseconds(1));

// How a program that ran to its end ended, and what it printed.
struct ProcessResult : ExitStatus {
    std::string output;  // standard output and error, interleaved
};

// Runs `program` with `args` to its end and captures its standard output and error together, or standard error
// alone into `stderr_file` when one is given.
ProcessResult run_program(const std::filesystem::path& program, const std::vector<std::string>& args,
                          const std::filesystem::path& stderr_file = {});
// Runs the memsoak binary under test (MEMSOAK_BINARY) with `args`.
ProcessResult run_memsoak(const std::vector<std::string>& args);

}  // namespace memsoak::testing
