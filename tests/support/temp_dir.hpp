#pragma once
// A folder of the test's own under the system's temporary folder.

#include <filesystem>
#include <string>

namespace memsoak::testing {

// A fresh folder (mkdtemp, so parallel tests never share one), removed with its content by the destructor.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }
    // The same path as a string, for command lines: run_memsoak({"run", dir.file("report.json")}).
    std::string file(const std::filesystem::path& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

}  // namespace memsoak::testing
