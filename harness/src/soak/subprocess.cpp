#include "memsoak/harness/soak/subprocess.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "memsoak/harness/error.hpp"

namespace memsoak::harness {
namespace {

// Temporary files for the child's standard input and error output: unlike pipes, they cannot fill up and block
// it while this process reads its standard output.
struct TemporaryFile {
    std::FILE* file = std::tmpfile();
    TemporaryFile() = default;
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;
    ~TemporaryFile() {
        if (file != nullptr) std::fclose(file);
    }
};

int wait_for(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return status;
}

}  // namespace

std::string run_program(const std::vector<std::string>& argv, std::string_view input, std::string_view package,
                        std::string_view description) {
    TemporaryFile in, errors;
    if (in.file == nullptr || errors.file == nullptr ||
        std::fwrite(input.data(), 1, input.size(), in.file) != input.size() || std::fflush(in.file) != 0) {
        throw Error(fmt::format("cannot run {}: no temporary file", argv.front()));
    }
    std::rewind(in.file);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    int output[2];
    if (::pipe2(output, O_CLOEXEC) != 0) {
        throw Error(fmt::format("cannot run {}: {}", argv.front(), std::strerror(errno)));
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int saved = errno;
        ::close(output[0]);
        ::close(output[1]);
        throw Error(fmt::format("cannot run {}: {}", argv.front(), std::strerror(saved)));
    }
    if (pid == 0) {
        // In the child: only async-signal-safe calls until exec.
        ::dup2(::fileno(in.file), STDIN_FILENO);
        ::dup2(output[1], STDOUT_FILENO);
        ::dup2(::fileno(errors.file), STDERR_FILENO);
        ::execvp(args[0], args.data());
        _exit(127);
    }
    ::close(output[1]);
    std::string text;
    char buffer[1 << 16];
    while (true) {
        const ssize_t length = ::read(output[0], buffer, sizeof buffer);
        if (length > 0) {
            text.append(buffer, static_cast<std::size_t>(length));
        } else if (length == 0 || errno != EINTR) {
            break;
        }
    }
    ::close(output[0]);
    const int status = wait_for(pid);
    std::string messages;
    std::rewind(errors.file);
    while (std::fgets(buffer, sizeof buffer, errors.file) != nullptr) messages += buffer;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        throw Error(fmt::format("cannot run {}: not found (install the {} package)", argv.front(), package));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        while (!messages.empty() && messages.back() == '\n') messages.pop_back();
        throw Error(fmt::format("{} failed: {}", description, messages.empty() ? "no message" : messages));
    }
    return text;
}

}  // namespace memsoak::harness
