#include "memsoak/reports/atomic_file.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "memsoak/reports/error.hpp"
#include "support/errors.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::reports {
namespace {

using testing::kNoError;
using testing::message_of;
using testing::read_text;
using testing::TempDir;
using testing::write_text;

namespace fs = std::filesystem;

// A fresh folder per test.
class AtomicFile : public ::testing::Test {
protected:
    // A test that takes the folder's permissions away gives them back before TempDir removes it.
    void TearDown() override { fs::permissions(folder_.path(), fs::perms::owner_all); }

    std::set<std::string> entries() const {
        std::set<std::string> names;
        for (const auto& entry : fs::directory_iterator(folder_.path())) names.insert(entry.path().filename().string());
        return names;
    }

    static std::string error_of(const fs::path& target, std::string_view content) {
        return message_of<Error>([&] { write_file_atomically(target, content); });
    }

    TempDir folder_;
};

TEST_F(AtomicFile, WritesTheContentWithMode0644AndLeavesNoTemporary) {
    const fs::path target = folder_ / "report.json";
    write_file_atomically(target, "{\"verdict\": \"pass\"}\n");
    EXPECT_EQ(read_text(target), "{\"verdict\": \"pass\"}\n");
    EXPECT_EQ(entries(), std::set<std::string>{"report.json"});

    const mode_t umask_now = ::umask(0);
    ::umask(umask_now);
    struct stat info {};
    ASSERT_EQ(::stat(target.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0644u & ~umask_now);
}

TEST_F(AtomicFile, ReplacesAnExistingFileByRenameNotInPlace) {
    const fs::path target = folder_ / "report.json";
    write_text(target, "the old, longer content of the report");
    struct stat before {};
    ASSERT_EQ(::stat(target.c_str(), &before), 0);

    write_file_atomically(target, "new");

    EXPECT_EQ(read_text(target), "new");
    struct stat after {};
    ASSERT_EQ(::stat(target.c_str(), &after), 0);
    // A new inode: a reader holding the old file open keeps reading the old content, whole.
    EXPECT_NE(after.st_ino, before.st_ino);
    EXPECT_EQ(entries(), std::set<std::string>{"report.json"});
}

TEST_F(AtomicFile, CreatesMissingFolders) {
    // --html out/index.html beside --out-dir out: the folder may not exist yet.
    const fs::path target = folder_ / "missing" / "deeper" / "report.json";
    EXPECT_EQ(error_of(target, "x"), kNoError);
    EXPECT_EQ(read_text(target), "x");
}

TEST_F(AtomicFile, ReplacesNothingButARegularFile) {
    // A folder, or a FIFO: the rename would replace the FIFO as readily as a file.
    const fs::path folder = folder_ / "report.json";
    fs::create_directory(folder);
    write_text(folder / "kept", "kept");
    EXPECT_EQ(error_of(folder, "x"), folder.string() + ": not a regular file; memsoak replaces only regular files");
    EXPECT_EQ(read_text(folder / "kept"), "kept");
    const fs::path fifo = folder_ / "pipe";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_EQ(error_of(fifo, "x"), fifo.string() + ": not a regular file; memsoak replaces only regular files");
    EXPECT_TRUE(fs::is_fifo(fifo));
    EXPECT_EQ(entries(), (std::set<std::string>{"pipe", "report.json"})) << "a temporary was left behind";
}

TEST_F(AtomicFile, FailsInAnUnwritableFolderAndLeavesTheOldFile) {
    const fs::path target = folder_ / "report.json";
    write_text(target, "old");
    fs::permissions(folder_.path(), fs::perms::owner_read | fs::perms::owner_exec);
    if (::access(folder_.path().c_str(), W_OK) == 0) GTEST_SKIP() << "running with privileges that ignore permissions";
    EXPECT_EQ(error_of(target, "new"), target.string() + ": cannot create a temporary file in " +
                                           folder_.path().string() + ": Permission denied");
    EXPECT_EQ(read_text(target), "old");
    EXPECT_EQ(entries(), std::set<std::string>{"report.json"});
}

}  // namespace
}  // namespace memsoak::reports
