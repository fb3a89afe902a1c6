// Which commit a report was made from, found when the run starts: a CI checkout built without .git (or an image
// built from a tarball) has no commit at configure time, but its environment names one.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "cli.hpp"
#include "memsoak_version.hpp"

namespace memsoak::cli {
namespace {

// A commit hash as git prints it: 7 to 40 hex digits.
bool looks_like_commit(const std::string& text) {
    return text.size() >= 7 && text.size() <= 40 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string environment(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? std::string(value) : std::string();
}

// HEAD of the work tree around the current folder, when there is one and git is installed.
std::string git_head() {
    std::error_code ec;
    bool inside = false;
    for (std::filesystem::path dir = std::filesystem::current_path(ec); !ec && !dir.empty(); dir = dir.parent_path()) {
        if (std::filesystem::exists(dir / ".git", ec)) {
            inside = true;
            break;
        }
        if (dir == dir.root_path()) break;
    }
    if (!inside) return "";
    FILE* pipe = ::popen("git rev-parse --short=12 HEAD 2>/dev/null", "r");
    if (pipe == nullptr) return "";
    char buffer[64] = {};
    const std::size_t read = std::fread(buffer, 1, sizeof buffer - 1, pipe);
    const int status = ::pclose(pipe);
    std::string head(buffer, read);
    while (!head.empty() && (head.back() == '\n' || head.back() == '\r')) head.pop_back();
    return status == 0 && looks_like_commit(head) ? head : "";
}

}  // namespace

std::string resolve_commit() {
    // Not const, so that the returned strings are moved.
    if (std::string forced = environment("MEMSOAK_COMMIT"); !forced.empty()) return forced;
    if (std::string head = git_head(); !head.empty()) return head;
    // GitHub Actions names the full hash; reports keep git's 12-digit short form.
    if (const std::string sha = environment("GITHUB_SHA"); looks_like_commit(sha)) return sha.substr(0, 12);
    return MEMSOAK_GIT_COMMIT;
}

}  // namespace memsoak::cli
