#pragma once
// Runs the memsoak binary under test as a child process and captures what it printed.

#include <string>
#include <vector>

namespace memsoak::testing {

struct ProcessResult {
    int exit_code = -1;  // -1 when killed by a signal
    int signal = 0;
    std::string output;  // standard output and error, interleaved
};

ProcessResult run_memsoak(const std::vector<std::string>& args);

// A fresh folder under the system temp dir, removed by the destructor.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

std::string read_text(const std::string& path);
void write_text(const std::string& path, const std::string& text);

}  // namespace memsoak::testing
