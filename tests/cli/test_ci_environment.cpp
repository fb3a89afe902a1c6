// What the command line does in CI (issue 13): the commit every report records, progress lines in logs without a
// terminal, sizes that need their unit.

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/files.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::testing {
namespace {

namespace fs = std::filesystem;
const std::string kScenarios = std::string(MEMSOAK_SOURCE_DIR) + "/scenarios";

// Sets (or, with nullptr, removes) environment variables for the children started in its lifetime.
class ScopedEnvironment {
public:
    ScopedEnvironment(std::initializer_list<std::pair<const char*, const char*>> values) {
        for (const auto& [name, value] : values) {
            const char* old = std::getenv(name);
            saved_.push_back({name, old != nullptr ? std::optional<std::string>(old) : std::nullopt});
            if (value != nullptr)
                ::setenv(name, value, 1);
            else
                ::unsetenv(name);
        }
    }
    ~ScopedEnvironment() {
        for (const auto& [name, value] : saved_) {
            if (value)
                ::setenv(name.c_str(), value->c_str(), 1);
            else
                ::unsetenv(name.c_str());
        }
    }

private:
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// Runs the children from `folder`, as a CI job runs memsoak from its checkout.
class ScopedFolder {
public:
    explicit ScopedFolder(const fs::path& folder) : old_(fs::current_path()) { fs::current_path(folder); }
    ~ScopedFolder() { fs::current_path(old_); }

private:
    fs::path old_;
};

std::string commit_of_version(const ProcessResult& r) {
    std::smatch m;
    const std::regex pattern(R"(\(commit ([^,]+),)");
    return std::regex_search(r.output, m, pattern) ? m[1].str() : "(no commit in: " + r.output + ")";
}

TEST(CiEnvironment, TheCommitComesFromMemsoakCommitThenGitThenGithubSha) {
    TempDir outside_git;  // /tmp: no .git above it
    {
        ScopedEnvironment env{{"MEMSOAK_COMMIT", "feedc0de1234"}, {"GITHUB_SHA", nullptr}};
        EXPECT_EQ(commit_of_version(run_memsoak({"--version"})), "feedc0de1234");
    }
    {
        // A checkout without .git (debian:12 before git is installed): GitHub's own variable.
        ScopedEnvironment env{{"MEMSOAK_COMMIT", nullptr}, {"GITHUB_SHA", "5e1f0c0ffee0123456789abcdef0123456789abc"}};
        ScopedFolder folder(outside_git.path());
        EXPECT_EQ(commit_of_version(run_memsoak({"--version"})), "5e1f0c0ffee0");
    }
    {
        // In the source tree, git's HEAD wins over GITHUB_SHA.
        ScopedEnvironment env{{"MEMSOAK_COMMIT", nullptr}, {"GITHUB_SHA", "5e1f0c0ffee0123456789abcdef0123456789abc"}};
        ScopedFolder folder(MEMSOAK_SOURCE_DIR);
        const std::string commit = commit_of_version(run_memsoak({"--version"}));
        if (std::system("git --version >/dev/null 2>&1") == 0) {
            EXPECT_TRUE(std::regex_match(commit, std::regex("[0-9a-f]{12}"))) << commit;
            EXPECT_NE(commit, "5e1f0c0ffee0");
        }
    }
}

TEST(CiEnvironment, EveryReportRecordsTheResolvedCommit) {
    TempDir dir;
    ScopedEnvironment env{{"MEMSOAK_COMMIT", "feedc0de1234"}};
    const ProcessResult r = run_memsoak({"run", kScenarios + "/gui-hour.json", "--out", dir.file("r.json"), "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(nlohmann::json::parse(read_text(dir.file("r.json")))["tool"]["git_commit"], "feedc0de1234");
}

TEST(CiEnvironment, ABareNumberForMaxRssIsRefusedBeforeAnyRun) {
    const ProcessResult r = run_memsoak({"run", kScenarios + "/gui-hour.json", "--max-rss", "100"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("--max-rss: expected a size with its unit such as \"50 MiB\""), std::string::npos)
        << r.output;
    const ProcessResult suite = run_memsoak({"suite", kScenarios + "/nightly.json", "--max-rss=2048"});
    EXPECT_EQ(suite.exit_code, 2) << suite.output;
    EXPECT_NE(suite.output.find("expected a size with its unit"), std::string::npos) << suite.output;
}

TEST(CiEnvironment, ARunStoppedAtOnceSaysNotApplicableWithoutASuffix) {
    TempDir dir;
    const ProcessResult r = run_memsoak({"run", kScenarios + "/gui-hour.json", "--max-rss", "1 MiB"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_EQ(r.output.find("n/ax"), std::string::npos) << r.output;
}

// Without a terminal (a CI log), suite and merge print a line per finished run as they go.
TEST(CiEnvironment, SuiteAndMergePrintALinePerRunWithoutATerminal) {
    TempDir dir;
    write_text(dir.file("budgets.json"), read_text(uncalibrated_ledger()));
    write_text(dir.file("gui-hour.json"), read_text(kScenarios + "/gui-hour.json"));
    write_text(dir.file("suite.json"), R"({"schema_version": 1, "name": "one", "scenarios": ["gui-hour.json"]})");
    const ProcessResult suite = run_memsoak(
        {"suite", dir.file("suite.json"), "--seeds", "1,2", "--shard", "1/1", "--out-dir", dir.file("shard-1")});
    ASSERT_EQ(suite.exit_code, 0) << suite.output;
    const std::regex line(R"(memsoak suite: \[(\d)/2\] gui-hour-seed(\d): pass, \d+\.\d\d s\n)");
    std::vector<std::string> seen;
    for (std::sregex_iterator it(suite.output.begin(), suite.output.end(), line), end; it != end; ++it) {
        seen.push_back((*it)[1].str() + ":" + (*it)[2].str());
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"1:1", "2:2"})) << suite.output;

    const ProcessResult merge = run_memsoak({"merge", dir.file("merged"), dir.file("shard-1")});
    ASSERT_EQ(merge.exit_code, 0) << merge.output;
    EXPECT_NE(merge.output.find("memsoak merge: [1/2] gui-hour-seed1: pass"), std::string::npos) << merge.output;
    EXPECT_NE(merge.output.find("memsoak merge: [2/2] gui-hour-seed2: pass"), std::string::npos) << merge.output;
    // --quiet still prints nothing but errors.
    const ProcessResult quiet =
        run_memsoak({"suite", dir.file("suite.json"), "--seeds", "1", "--out-dir", dir.file("quiet"), "--quiet"});
    EXPECT_EQ(quiet.output, "") << quiet.output;
}

}  // namespace
}  // namespace memsoak::testing
