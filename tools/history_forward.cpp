// memsoak history in the soak binaries: handed to the memsoak-history executable beside this one.
//
// The history store links SQLite and libpq, and libpq brings 23 shared libraries (TLS, Kerberos, LDAP) whose
// loading adds about 6 MiB to the resident set of every process that links them. A memory soak tool measures its
// own process: memsoak, memsoak-tcmalloc and memsoak-glibc stay free of them, and `memsoak history` runs the
// sibling that has them, with the same arguments.

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "cli.hpp"

namespace memsoak::cli {

int history_command(const std::vector<std::string>& args) {
    namespace fs = std::filesystem;
    const fs::path sibling = fs::read_symlink("/proc/self/exe").parent_path() / "memsoak-history";
    std::vector<std::string> words{sibling.string(), "history"};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    argv.reserve(words.size() + 1);
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    ::execv(sibling.c_str(), argv.data());
    throw UsageError(
        fmt::format("the history commands run in {}, which cannot be started: {} (build the "
                    "memsoak-history target, or install it beside memsoak)",
                    sibling.string(), std::strerror(errno)));
}

}  // namespace memsoak::cli
