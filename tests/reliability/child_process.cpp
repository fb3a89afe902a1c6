#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace memsoak::reliability {
namespace {

ExitStatus decode(int status) {
    ExitStatus result;
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    return result;
}

[[noreturn]] void fail_system(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& output_file) {
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const int output_fd = ::open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (output_fd < 0) fail_system("cannot create " + output_file.string());
    pid_ = ::fork();
    if (pid_ < 0) {
        ::close(output_fd);
        fail_system("fork");
    }
    if (pid_ == 0) {
        // Only async-signal-safe calls until exec: the test binary may have threads.
        ::dup2(output_fd, STDOUT_FILENO);
        ::dup2(output_fd, STDERR_FILENO);
        ::execv(args[0], args.data());
        _exit(127);
    }
    ::close(output_fd);
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

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_text(const std::filesystem::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "memsoak-reliability-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) fail_system("mkdtemp");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

}  // namespace memsoak::reliability
