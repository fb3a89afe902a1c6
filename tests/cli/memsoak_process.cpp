#include "memsoak_process.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace memsoak::testing {

ProcessResult run_memsoak(const std::vector<std::string>& args) {
    char capture_path[] = "/tmp/memsoak-test-output-XXXXXX";
    const int capture_fd = ::mkstemp(capture_path);
    if (capture_fd < 0) throw std::runtime_error("mkstemp failed");
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(MEMSOAK_BINARY));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(capture_fd, STDOUT_FILENO);
        ::dup2(capture_fd, STDERR_FILENO);
        ::execv(MEMSOAK_BINARY, argv.data());
        _exit(127);
    }
    ::close(capture_fd);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ProcessResult result;
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    result.output = read_text(capture_path);
    ::unlink(capture_path);
    return result;
}

TempDir::TempDir() {
    char pattern[] = "/tmp/memsoak-test-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
}

}  // namespace memsoak::testing
