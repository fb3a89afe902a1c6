// Hostile input, round two (docs/reliability.md, "Limits" and "Outputs"): what a careless or hostile user can
// name as an input or an output. Each class is refused with exit 2 before any work, the file or option named,
// nothing written or replaced, with a message of bounded length, quickly and in little memory.

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/files.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::reliability {
namespace {

using namespace memsoak::testing;

namespace fs = std::filesystem;

const fs::path kShippedLedger = uncalibrated_ledger();
const fs::path kBtcCsv = btc_candles_csv();

// A message must quote a short excerpt of a bad value, never the whole of it.
constexpr std::size_t kLongestMessage = 600;

class HostileInput : public ::testing::Test {
protected:
    void SetUp() override { write_text(dir_ / "budgets.json", read_text(kShippedLedger)); }

    // Refused with exit 2, a message naming `named` and of bounded length.
    ProcessResult expect_refused(const std::vector<std::string>& args, const std::string& named) const {
        const ProcessResult result = run_memsoak(args);
        EXPECT_EQ(result.exit_code, 2) << result.output;
        EXPECT_NE(result.output.find(named), std::string::npos) << result.output;
        EXPECT_LT(result.output.size(), kLongestMessage) << result.output;
        return result;
    }

    // A two-hour scenario with a tick, an analysis and the given extra workload items and top-level fields.
    fs::path scenario(const std::string& extra_items = "", const std::string& extra_fields = "",
                      const std::string& name = "s") const {
        const fs::path file = dir_ / (name + ".json");
        write_text(file, R"({"schema_version": 1, "name": ")" + name + R"(", "duration": "2h", "seed": 1,
            "sample_interval": "1m", "warmup": "0s", )" +
                             extra_fields + R"(
            "workload": [{"action": "tick", "every": "1h"}, {"action": "analyze", "every": "15m"})" +
                             extra_items + R"(], "budgets": ["process"]})");
        return file;
    }

    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    TempDir dir_;
};

bool names_a_fifo(const fs::path& file) {
    struct stat status {};
    return ::lstat(file.c_str(), &status) == 0 && S_ISFIFO(status.st_mode);
}

// --- 1. Outputs never destroy what they name ---

TEST_F(HostileInput, AnOutputNamingAFifoIsRefusedAndTheFifoStays) {
    const fs::path s = scenario();
    ASSERT_EQ(::mkfifo(path("pipe").c_str(), 0600), 0);
    for (const char* option : {"--out", "--html", "--junit", "--markdown"}) {
        expect_refused({"run", s.string(), option, path("pipe"), "--quiet"}, std::string(option) + " " + path("pipe"));
        EXPECT_TRUE(names_a_fifo(dir_ / "pipe")) << option << " replaced the FIFO";
    }
}

TEST_F(HostileInput, AnOutputThroughALinkToADeviceIsRefused) {
    // A link, not /dev/null itself: were the check to fail, the rename would replace the link and not the device.
    const fs::path s = scenario();
    fs::create_symlink("/dev/null", dir_ / "null");
    const ProcessResult result = expect_refused({"run", s.string(), "--out", path("null")}, "--out " + path("null"));
    EXPECT_NE(result.output.find("a character device"), std::string::npos) << result.output;
    EXPECT_TRUE(fs::is_symlink(dir_ / "null"));
}

TEST_F(HostileInput, AnOutputNamingASocketIsRefused) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string socket_path = path("sock");
    ASSERT_LT(socket_path.size(), sizeof address.sun_path);
    socket_path.copy(address.sun_path, socket_path.size());
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    const ProcessResult result = expect_refused({"run", scenario().string(), "--out", socket_path}, "a socket");
    ::close(fd);
    EXPECT_TRUE(fs::is_socket(socket_path));
}

TEST_F(HostileInput, AnOutputNamingTheScenarioOrItsLedgerIsRefusedAndTheyStay) {
    const fs::path s = scenario();
    const std::string scenario_text = read_text(s);
    const std::string ledger_text = read_text(dir_ / "budgets.json");
    expect_refused({"run", s.string(), "--out", s.string()}, "an input of this command");
    expect_refused({"run", s.string(), "--html", path("budgets.json")}, "an input of this command");
    // The same file by another name.
    expect_refused({"run", s.string(), "--out", path("sub/../s.json")}, "an input of this command");
    EXPECT_EQ(read_text(s), scenario_text);
    EXPECT_EQ(read_text(dir_ / "budgets.json"), ledger_text);
}

TEST_F(HostileInput, AnOutputNamingTheReplayCsvIsRefused) {
    fs::copy_file(kBtcCsv, dir_ / "btc.csv");
    const fs::path s = scenario("", R"("engine": {"replay_csv": "btc.csv"},)");
    const std::string csv = read_text(dir_ / "btc.csv");
    expect_refused({"run", s.string(), "--markdown", path("btc.csv")}, "an input of this command");
    EXPECT_EQ(read_text(dir_ / "btc.csv"), csv);
}

TEST_F(HostileInput, TwoOutputsNamingOneFileAreRefused) {
    expect_refused({"run", scenario().string(), "--out", path("r.json"), "--html", path("r.json")},
                   "--out and --html name the same file");
    EXPECT_FALSE(fs::exists(dir_ / "r.json"));
}

TEST_F(HostileInput, AnEmptyOutputPathIsAUsageErrorBeforeTheRun) {
    // What $GITHUB_STEP_SUMMARY gives where it is unset.
    const auto start = std::chrono::steady_clock::now();
    expect_refused({"run", scenario().string(), "--markdown", ""},
                   "--markdown: expected a file name, got an empty path");
    expect_refused({"suite", path("none.json"), "--junit", ""}, "--junit: expected a file name, got an empty path");
    expect_refused({"compare", path("a"), path("b"), "--html", ""}, "--html: expected a file name, got an empty path");
    expect_refused({"merge", path("m"), path("a"), "--markdown", ""}, "--markdown: expected a file name");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30)) << "a safety net, not a timing";
}

TEST_F(HostileInput, AnOutputUnderAFileNamesTheFileNotAMissingFolder) {
    write_text(dir_ / "plain", "x");
    const ProcessResult result = expect_refused({"run", scenario().string(), "--out", path("plain/r.json")},
                                                path("plain") + " is a file, not a folder");
    EXPECT_EQ(read_text(dir_ / "plain"), "x");
}

TEST_F(HostileInput, OutputsMayLieInFoldersTheCommandCreates) {
    const ProcessResult result = run_memsoak(
        {"run", scenario().string(), "--out", path("new/deeper/r.json"), "--html", path("new/page/r.html"), "--quiet"});
    // Judged either way (under a sanitizer the RSS peak fails): what matters here is where the outputs went.
    EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.output;
    EXPECT_TRUE(fs::is_regular_file(dir_ / "new/deeper/r.json"));
    EXPECT_TRUE(fs::is_regular_file(dir_ / "new/page/r.html"));
}

TEST_F(HostileInput, SuiteOutputsInsideItsOutDirAndAnOutDirThatWouldReplaceItsScenarios) {
    scenario();
    write_text(dir_ / "suite.json", R"({"schema_version": 1, "name": "t", "scenarios": ["s.json"]})");
    const ProcessResult ok = run_memsoak({"suite", path("suite.json"), "--out-dir", path("out"), "--html",
                                          path("out/index.html"), "--junit", path("out/ci/junit.xml"), "--quiet"});
    EXPECT_TRUE(ok.exit_code == 0 || ok.exit_code == 1) << ok.output;  // judged either way, as above
    EXPECT_TRUE(fs::is_regular_file(dir_ / "out/index.html"));
    EXPECT_TRUE(fs::is_regular_file(dir_ / "out/ci/junit.xml"));
    // The scenarios' own folder as the out-dir: the run's report s.json would replace the scenario s.json.
    const std::string scenario_text = read_text(dir_ / "s.json");
    expect_refused({"suite", path("suite.json"), "--out-dir", dir_.path().string()}, "an input of this command");
    EXPECT_EQ(read_text(dir_ / "s.json"), scenario_text);
    expect_refused({"suite", path("suite.json"), "--out-dir", path("out2"), "--html", path("out2/s.json")},
                   "the suite writes s.json there itself");
}

TEST_F(HostileInput, CompareRenderingsMustNotReplaceAComparedReport) {
    const fs::path s = scenario();
    const int judged = run_memsoak({"run", s.string(), "--out", path("a.json"), "--quiet"}).exit_code;
    ASSERT_TRUE(judged == 0 || judged == 1) << judged;  // judged either way, as above
    const std::string report = read_text(dir_ / "a.json");
    expect_refused({"compare", path("a.json"), path("a.json"), "--html", path("a.json")}, "an input of this command");
    EXPECT_EQ(read_text(dir_ / "a.json"), report);
}

// --- 2 and 3. Bounded reading, no recursion that input depth controls ---

TEST_F(HostileInput, DeepNestingIsRefusedWithoutACrashOrAnEcho) {
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    const fs::path s = scenario("", R"("description": )" + deep + ",");
    for (const std::string command : {"validate", "run", "list"}) {
        const ProcessResult result =
            expect_refused({command, command == "list" ? dir_.path().string() : s.string()}, "$.description[");
        EXPECT_NE(result.output.find("nested deeper than 64 levels"), std::string::npos) << result.output;
    }
    write_text(dir_ / "deep-report.json", deep);
    expect_refused({"compare", path("deep-report.json"), path("deep-report.json")}, "nested deeper than 64 levels");
}

TEST_F(HostileInput, SpecialFilesAsInputsAreRefusedByTypeWithoutReading) {
    ASSERT_EQ(::mkfifo(path("pipe.json").c_str(), 0600), 0);
    // A FIFO with no writer: opening it for reading would block forever.
    expect_refused({"validate", path("pipe.json")}, path("pipe.json") + ": expected a regular file, got a FIFO");
    expect_refused({"run", "/dev/zero"}, "/dev/zero: expected a regular file, got a character device");
    expect_refused({"validate", "/dev/urandom"}, "/dev/urandom: expected a regular file, got a character device");
    expect_refused({"compare", "/dev/zero", "/dev/zero"}, "/dev/zero");
    const fs::path s = scenario("", R"("engine": {"replay_csv": "/dev/zero"},)");
    expect_refused({"validate", s.string()}, "/dev/zero: expected a regular file, got a character device");
}

TEST_F(HostileInput, HugeInputsAreRefusedBySizeBeforeTheyAreRead) {
    // Sparse files: their size is what the check reads; nothing of them is on disk.
    for (const auto& [name, size] :
         {std::pair<std::string, std::uintmax_t>{"big.json", 17u << 20}, {"big-report.json", 513u << 20}}) {
        std::ofstream(dir_ / name).put('{');
        fs::resize_file(dir_ / name, size);
    }
    expect_refused({"validate", path("big.json")}, "expected a file of at most 16.0 MiB");
    expect_refused({"compare", path("big-report.json"), path("big-report.json")},
                   "expected a file of at most 512.0 MiB");
    std::ofstream(dir_ / "big.csv").put('t');
    fs::resize_file(dir_ / "big.csv", 257u << 20);
    const fs::path s = scenario("", R"("engine": {"replay_csv": "big.csv"},)");
    expect_refused({"run", s.string()}, "expected a file of at most 256.0 MiB");
}

TEST_F(HostileInput, ALongBadValueIsQuotedAsAnExcerpt) {
    const std::string long_value(1'000'000, 'x');
    const fs::path s = dir_ / "long.json";
    write_text(s, R"({"schema_version": 1, "name": "long", "duration": ")" + long_value + R"(", "seed": 1,
        "sample_interval": "1m", "warmup": "0s", "workload": [{"action": "tick", "every": "1h"}],
        "budgets": ["process"]})");
    const ProcessResult result = expect_refused({"validate", s.string()}, "$.duration");
    EXPECT_NE(result.output.find("(1000002 bytes)"), std::string::npos) << result.output;
    // A CSV line without an end: read in chunks, refused at its length.
    write_text(dir_ / "one-line.csv", "timestamp,open,high,low,close,volume\n" + std::string(10'000'000, '7'));
    const fs::path replay = scenario("", R"("engine": {"replay_csv": "one-line.csv"},)", "replay");
    expect_refused({"validate", replay.string()}, "one-line.csv:2: expected a line of at most 4096 bytes");
}

// --- 4. Values bounded where they are read ---

TEST_F(HostileInput, SizesNeedAUnitAndStayFinite) {
    std::string ledger = read_text(kShippedLedger);
    const std::size_t at = ledger.find("\"50 MiB\"");
    ASSERT_NE(at, std::string::npos) << "the shipped ledger's RSS peak moved";
    write_text(dir_ / "budgets.json", ledger.substr(0, at) + "\"1e308 GB\"" + ledger.substr(at + 8));
    expect_refused({"validate", scenario().string()}, "expected a size of at most 1 TiB, got \"1e308 GB\"");
    write_text(dir_ / "budgets.json", ledger.substr(0, at) + "\"52428800\"" + ledger.substr(at + 8));
    expect_refused({"validate", scenario().string()}, "expected a size with its unit");
    write_text(dir_ / "budgets.json", ledger);
    expect_refused({"run", scenario().string(), "--max-rss", "100"}, "--max-rss: expected a size with its unit");
    expect_refused({"run", scenario().string(), "--max-rss", "1 B"}, "--max-rss: expected at least 1 MiB");
}

TEST_F(HostileInput, ToleranceThatNothingCanExceedIsRefused) {
    for (const std::string option : {"--relative-tolerance=inf", "--relative-tolerance=5000%", "--count-tolerance=inf",
                                     "--peak-tolerance=inf B"}) {
        expect_refused({"compare", path("a.json"), path("b.json"), option}, option.substr(0, option.find('=')));
    }
}

TEST_F(HostileInput, TimestampsStayWithinTheEnginesCalendar) {
    expect_refused({"validate", scenario("", R"("engine": {"start_timestamp": 9000000000},)").string()},
                   "$.engine.start_timestamp: expected Unix seconds within the years 1970 to 2199");
    write_text(dir_ / "late.csv",
               "timestamp,open,high,low,close,volume\n2261-01-01 00:00:00,1,1,1,1,1\n"
               "2261-01-01 01:00:00,1,1,1,1,1\n");
    expect_refused({"validate", scenario("", R"("engine": {"replay_csv": "late.csv"},)").string()},
                   "late.csv:2: column 'timestamp'");
    const fs::path long_run = dir_ / "long.json";
    write_text(long_run, R"({"schema_version": 1, "name": "long", "duration": "600w", "seed": 1,
        "sample_interval": "1d", "warmup": "0s", "workload": [{"action": "tick", "every": "1d"}], "budgets": ["process"]})");
    expect_refused({"validate", long_run.string()}, "$.duration: expected at most 3650d");
}

TEST_F(HostileInput, WorkThatWouldTakeHoursIsRefusedByValidateAndRun) {
    const fs::path day = dir_ / "day.json";
    write_text(day, R"({"schema_version": 1, "name": "day", "duration": "24h", "seed": 1, "sample_interval": "1m",
        "warmup": "0s", "workload": [{"action": "tick", "every": "1h"}, {"action": "analyze", "every": "1ms"}],
        "budgets": ["process"]})");
    for (const char* command : {"validate", "run"}) {
        const ProcessResult result = expect_refused({command, day.string()}, "$.workload[1]");
        EXPECT_NE(result.output.find("of engine work"), std::string::npos) << result.output;
    }
}

TEST_F(HostileInput, OverlappingFreezesAcrossItemsAndRandomFreezesAreRefused) {
    expect_refused({"validate", scenario(R"(, {"action": "gui_freeze", "at": ["1h"], "for": "10m"},
        {"action": "gui_freeze", "at": ["1h5m"], "for": "10m"})")
                                    .string()},
                   "$.workload[3]: expected one gui_freeze item");
    expect_refused({"validate", scenario(R"(, {"action": "gui_freeze", "rate": "1/h", "for": "10m"})").string()},
                   "$.workload[2].rate: expected \"every\" or \"at\" for gui_freeze");
}

TEST_F(HostileInput, DocumentedRequiredFieldsAreRequired) {
    write_text(dir_ / "noseed.json", R"({"schema_version": 1, "name": "n", "duration": "2h", "sample_interval": "1m",
        "warmup": "0s", "workload": [{"action": "tick", "every": "1h"}], "budgets": ["process"]})");
    expect_refused({"validate", path("noseed.json")}, "$.seed: missing");
    write_text(dir_ / "nowarmup.json", R"({"schema_version": 1, "name": "n", "duration": "2h", "seed": 1,
        "sample_interval": "1m", "workload": [{"action": "tick", "every": "1h"}], "budgets": ["process"]})");
    expect_refused({"validate", path("nowarmup.json")}, "$.warmup: missing");
}

// --- 5. validate runs the checks run, suite and fixcheck run; a suite checks every entry first ---

TEST_F(HostileInput, ValidateRefusesWhatRunRefuses) {
    fs::copy_file(kBtcCsv, dir_ / "btc.csv");
    // A missing replay CSV: found by run when the engine starts, now by validate too.
    expect_refused({"validate", scenario("", R"("engine": {"replay_csv": "missing.csv"},)").string()}, "missing.csv");
    // A ledger metric no layer has.
    std::string ledger = read_text(kShippedLedger);
    const std::size_t at = ledger.find("\"os.rss_bytes\"");
    ASSERT_NE(at, std::string::npos);
    write_text(dir_ / "budgets.json", ledger.substr(0, at) + "\"os.rss_byte\"" + ledger.substr(at + 14));
    for (const char* command : {"validate", "run"}) {
        expect_refused({command, scenario().string()}, "no such metric \"os.rss_byte\"");
    }
}

TEST_F(HostileInput, ASuiteChecksEveryEntryBeforeRunningAny) {
    scenario("", "", "a");
    write_text(dir_ / "b.json", "{ broken");
    write_text(dir_ / "suite.json", R"({"schema_version": 1, "name": "t", "scenarios": ["a.json", "b.json"]})");
    expect_refused({"suite", path("suite.json"), "--out-dir", path("out")}, path("suite.json") + ": $.scenarios[1]: ");
    EXPECT_FALSE(fs::exists(dir_ / "out")) << "the suite ran its first entry before refusing the second";
    // Itself, another suite and a ledger as entries.
    write_text(dir_ / "self.json", R"({"schema_version": 1, "name": "t", "scenarios": ["a.json", "self.json"]})");
    expect_refused({"suite", path("self.json"), "--out-dir", path("out")}, "expected a scenario file, got a suite");
    write_text(dir_ / "ledger-entry.json", R"({"schema_version": 1, "name": "t", "scenarios": ["budgets.json"]})");
    expect_refused({"suite", path("ledger-entry.json"), "--out-dir", path("out")},
                   "expected a scenario file, got a budget ledger");
    expect_refused({"validate", path("suite.json")}, "$.scenarios[1]");
    EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(HostileInput, FixcheckRefusesAnUnknownLeakAndAMissingLedgerUpFront) {
    expect_refused({"fixcheck", scenario().string(), "--leak", "issue-9"}, "issue-9");
    expect_refused({"fixcheck", scenario().string(), "--leak", "issue-1", "--ledger", path("none.json")},
                   path("none.json"));
}

// --- Messages that do not mislead ---

TEST_F(HostileInput, ALedgerWithABadBudgetsFieldIsReportedAsALedger) {
    write_text(dir_ / "ledger.json", R"({"schema_version": 1, "budgets": ["process"]})");
    expect_refused({"validate", path("ledger.json")}, path("ledger.json") + ":1:34: $.budgets: expected");
    const ProcessResult result = run_memsoak({"validate", path("ledger.json")});
    EXPECT_EQ(result.output.find("$.name"), std::string::npos) << "reported as a scenario: " << result.output;
}

TEST_F(HostileInput, AnErrorAtTheFirstByteIsAtLineOneColumnOne) {
    write_text(dir_ / "bad.json", "]\n\n\n");
    expect_refused({"validate", path("bad.json")}, path("bad.json") + ":1:1: invalid JSON");
}

}  // namespace
}  // namespace memsoak::reliability
