#include "memsoak/reports/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "memsoak/reports/error.hpp"

namespace memsoak::reports {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const fs::path& target, std::string_view what, int error) {
    throw Error(fmt::format("{}: {}: {}", target.string(), what, std::strerror(error)), ErrorKind::io);
}

// A sibling of the target that no other writer picks: the process id tells processes apart and the counter
// tells threads and calls apart; O_EXCL catches the rest (a stale file left by a killed process of the same id).
fs::path temporary_name(const fs::path& folder, const fs::path& target) {
    static std::atomic<unsigned> counter{0};
    return folder / fmt::format(".{}.{}.{}.tmp", target.filename().string(), ::getpid(), counter++);
}

// Removes the temporary file unless released: every exit path before the rename cleans up after itself.
class TemporaryFile {
public:
    TemporaryFile(const fs::path& folder, const fs::path& target) {
        // Stale temporaries of a crashed writer with our process id are the only collisions; a few names suffice.
        constexpr int kAttempts = 16;
        for (int attempt = 0; attempt < kAttempts && fd_ < 0; ++attempt) {
            path_ = temporary_name(folder, target);
            fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd_ < 0 && errno != EEXIST) break;
        }
        if (fd_ < 0) {
            const int error = errno;  // saved before formatting the message, which may allocate
            fail(target, fmt::format("cannot create a temporary file in {}", folder.string()), error);
        }
    }
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;

    ~TemporaryFile() {
        if (fd_ >= 0) ::close(fd_);
        if (!released_) ::unlink(path_.c_str());
    }

    int fd() const { return fd_; }
    const fs::path& path() const { return path_; }

    // Closes the descriptor; returns 0 or the errno of a failed close (which can report a deferred write error).
    int close() {
        const int rc = ::close(fd_);
        fd_ = -1;
        return rc == 0 ? 0 : errno;
    }

    // After a successful rename the temporary name no longer exists: there is nothing to remove.
    void release() { released_ = true; }

private:
    fs::path path_;
    int fd_ = -1;
    bool released_ = false;
};

void write_all(int fd, std::string_view content, const fs::path& target) {
    while (!content.empty()) {
        const ssize_t written = ::write(fd, content.data(), content.size());
        if (written < 0) {
            if (errno == EINTR) continue;
            fail(target, "cannot write the temporary file", errno);
        }
        content.remove_prefix(static_cast<std::size_t>(written));
    }
}

}  // namespace

void write_file_atomically(const std::filesystem::path& target, std::string_view content) {
    const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
    // The rename below would replace a FIFO or a device node as readily as a file: only a regular file is ours.
    struct stat status {};
    if (::stat(target.c_str(), &status) == 0 && !S_ISREG(status.st_mode)) {
        throw Error(fmt::format("{}: not a regular file; memsoak replaces only regular files", target.string()),
                    ErrorKind::io);
    }
    // An output may lie in a folder the command creates (--html out/index.html beside --out-dir out).
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) {
        throw Error(fmt::format("{}: cannot create the folder {}: {}", target.string(), folder.string(), ec.message()),
                    ErrorKind::io);
    }
    TemporaryFile temporary(folder, target);
    write_all(temporary.fd(), content, target);
    if (::fsync(temporary.fd()) != 0) fail(target, "cannot flush the temporary file to disk", errno);
    if (const int error = temporary.close(); error != 0) fail(target, "cannot write the temporary file", error);
    if (::rename(temporary.path().c_str(), target.c_str()) != 0) {
        fail(target, "cannot replace it with the temporary file", errno);
    }
    temporary.release();

    // Without this the rename may not survive a power loss, though the new content already did.
    const int folder_fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (folder_fd < 0) {
        const int error = errno;
        fail(target, fmt::format("cannot open the folder {} to flush it", folder.string()), error);
    }
    const int sync_error = ::fsync(folder_fd) == 0 ? 0 : errno;
    ::close(folder_fd);
    if (sync_error != 0) fail(target, fmt::format("cannot flush the folder {} to disk", folder.string()), sync_error);
}

}  // namespace memsoak::reports
