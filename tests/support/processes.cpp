#include "support/processes.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/files.hpp"

namespace memsoak::testing {
namespace {

ExitStatus decode(int status) {
    ExitStatus result;
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    return result;
}

[[noreturn]] void fail_system(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

// A file the child writes to, created or truncated; closed on exec in every other child.
int create_for_child(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail_system("cannot create " + file.string());
    return fd;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& output_file,
                           const std::filesystem::path& stderr_file) {
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const int output_fd = create_for_child(output_file);
    int error_fd = output_fd;
    if (!stderr_file.empty()) {
        try {
            error_fd = create_for_child(stderr_file);
        } catch (...) {
            ::close(output_fd);
            throw;
        }
    }
    pid_ = ::fork();
    if (pid_ == 0) {
        // Only async-signal-safe calls until exec: the test binary may have threads.
        ::dup2(output_fd, STDOUT_FILENO);
        ::dup2(error_fd, STDERR_FILENO);
        ::execv(args[0], args.data());
        _exit(127);
    }
    const int fork_errno = errno;
    ::close(output_fd);
    if (error_fd != output_fd) ::close(error_fd);
    if (pid_ < 0) {
        errno = fork_errno;
        fail_system("fork");
    }
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0 && !try_wait()) {
        ::kill(pid_, SIGKILL);
        wait();
    }
}

void ChildProcess::send(int signal) const {
    if (status_) return;
    if (::kill(pid_, signal) != 0) fail_system("kill");
}

ExitStatus ChildProcess::wait() {
    if (status_) return *status_;
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
        if (errno != EINTR) fail_system("waitpid");
    }
    status_ = decode(status);
    return *status_;
}

std::optional<ExitStatus> ChildProcess::try_wait() {
    if (status_) return status_;
    int status = 0;
    const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
    if (reaped < 0) fail_system("waitpid");
    if (reaped == pid_) status_ = decode(status);
    return status_;
}

bool catches_signal(pid_t pid, int signal) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("SigCgt:", 0) != 0) continue;
        const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
        return (mask >> (signal - 1)) & 1U;
    }
    return false;
}

double cpu_seconds(pid_t pid) {
    const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    // The command name in field 2 may contain spaces; the fields after its closing parenthesis do not.
    const std::size_t name_end = stat.rfind(')');
    if (name_end == std::string::npos) return 0;
    std::istringstream fields(stat.substr(name_end + 1));
    std::string skipped;
    for (int field = 3; field < 14; ++field) fields >> skipped;
    unsigned long long user_ticks = 0;
    unsigned long long system_ticks = 0;
    fields >> user_ticks >> system_ticks;
    return static_cast<double>(user_ticks + system_ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::vector<pid_t> children_of(pid_t pid) {
    const std::string id = std::to_string(pid);
    std::ifstream list("/proc/" + id + "/task/" + id + "/children");
    std::vector<pid_t> children;
    for (pid_t child = 0; list >> child;) children.push_back(child);
    return children;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit,
                std::chrono::microseconds poll) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(poll);
    }
    return true;
}

ProcessResult run_program(const std::filesystem::path& program, const std::vector<std::string>& args,
                          const std::filesystem::path& stderr_file) {
    std::string capture = (std::filesystem::temp_directory_path() / "memsoak-test-output-XXXXXX").string();
    const int capture_fd = ::mkstemp(capture.data());
    if (capture_fd < 0) fail_system("mkstemp " + capture);
    ::close(capture_fd);
    std::vector<std::string> argv{program.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess child(argv, capture, stderr_file);
    ProcessResult result;
    static_cast<ExitStatus&>(result) = child.wait();
    result.output = read_text(capture);
    ::unlink(capture.c_str());
    return result;
}

ProcessResult run_memsoak(const std::vector<std::string>& args) { return run_program(MEMSOAK_BINARY, args); }

}  // namespace memsoak::testing
