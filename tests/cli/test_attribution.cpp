// Growth sites end to end (issue 15): memsoak-tcmalloc --heap-sample names the line of an injected leak with its
// rate, signature and collapsed stacks, and keeps tcmalloc's notices off stderr; the default build re-runs a
// failing scenario under memsoak-tcmalloc and puts the sites into the report, the summary, the HTML and the JUnit
// failure text; and says so when memsoak-tcmalloc is not beside it.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/files.hpp"
#include "support/json_files.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kScenarios = std::string(MEMSOAK_SOURCE_DIR) + "/scenarios";
const fs::path kTcmallocBinary = fs::path(MEMSOAK_BINARY).parent_path() / "memsoak-tcmalloc";
// 1 MiB per analysis, 4 analyses an hour: a leak of 4 MiB/h at a line the test reads from the source.
const std::string kLeak = "analyze:per_call:1MiB";
constexpr double kLeakRate = 4.0 * 1024 * 1024;

// Sets PATH for the children this test starts (to take addr2line away) and puts it back; the test is
// single-threaded.
class ScopedPath {
public:
    explicit ScopedPath(const char* path) {
        if (path == nullptr) return;
        if (const char* old = std::getenv("PATH")) saved_ = old;
        active_ = true;
        ::setenv("PATH", path, 1);
    }
    ~ScopedPath() {
        if (active_) ::setenv("PATH", saved_.c_str(), 1);
    }
    ScopedPath(const ScopedPath&) = delete;
    ScopedPath& operator=(const ScopedPath&) = delete;

private:
    std::string saved_;
    bool active_ = false;
};

// The line of the per-call leak's allocation in engine/src/leak_injector.cpp, read from the source so that an
// edit above it does not break the test.
int per_call_leak_line() {
    std::ifstream in(std::string(MEMSOAK_SOURCE_DIR) + "/engine/src/leak_injector.cpp");
    bool in_function = false;
    int number = 0;
    for (std::string line; std::getline(in, line);) {
        ++number;
        if (line.find("void LeakInjector::leak_per_call(") != std::string::npos) in_function = true;
        if (in_function && line.find("make_unique_for_overwrite") != std::string::npos) return number;
    }
    return -1;
}

// What every sampled report of the injected leak must say.
void expect_leak_site(const json& heap) {
    ASSERT_EQ(heap["mode"], "sampled") << heap.dump(1);
    EXPECT_FALSE(heap.contains("error")) << heap.dump(1);
    EXPECT_EQ(heap["sample_period_bytes"], 524288.0);
    EXPECT_GE(heap["reads"].get<int>(), 80);  // every 15 minutes from 1h to 24h
    ASSERT_FALSE(heap["sites"].empty());
    const json& top = heap["sites"][0];
    EXPECT_EQ(top["function"], "memsoak::engine::LeakInjector::leak_per_call") << heap["sites"].dump(1);
    EXPECT_EQ(top["file"], "engine/src/leak_injector.cpp");
    EXPECT_EQ(top["line"], per_call_leak_line());
    EXPECT_NEAR(top["rate_bytes_per_hour"].get<double>(), kLeakRate, 0.2 * kLeakRate) << top.dump();
    EXPECT_EQ(top["signature"].get<std::string>().size(), 16u);
    ASSERT_EQ(top["callers"].size(), top["caller_locations"].size());
    for (const json& site : heap["sites"]) {
        EXPECT_EQ(site["function"].get<std::string>().find("memsoak::harness::HeapSampler"), std::string::npos)
            << "the sampler's own snapshots listed as a growth site: " << site.dump();
    }
    ASSERT_FALSE(heap["stacks"].empty());
    // Root first: the program's entry, then main, down to the allocation.
    const std::vector<std::string> frames = heap["stacks"][0]["frames"];
    EXPECT_NE(std::find_if(frames.begin(), frames.end(),
                           [](const std::string& f) { return f.starts_with("main (memsoak_main.cpp:"); }),
              frames.end())
        << heap["stacks"][0].dump();
    EXPECT_EQ(frames.back().find("memsoak::"), std::string::npos) << "the leaf is the allocator's";
}

TEST(HeapSample, TheTopSiteOfAnInjectedLeakIsItsLineWithItsRate) {
    if (!fs::exists(kTcmallocBinary)) GTEST_SKIP() << "no memsoak-tcmalloc in this build";
    TempDir dir;
    const ProcessResult r = run_program(kTcmallocBinary,
                                        {"run", kScenarios + "/production-day.json", "--seed", "1", "--inject", kLeak,
                                         "--heap-sample", "--no-probe", "--out", dir.file("day.json")},
                                        dir.file("stderr.txt"));
    ASSERT_EQ(r.exit_code, 1) << r.output << read_text(dir.file("stderr.txt"));
    EXPECT_EQ(read_text(dir.file("stderr.txt")), "") << "stderr carries only memsoak's own messages";
    EXPECT_NE(r.output.find("growth sites, sampled every 512.0 KiB (93 reads over 23h):"), std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("memsoak::engine::LeakInjector::leak_per_call (engine/src/leak_injector.cpp:" +
                            std::to_string(per_call_leak_line()) + ")"),
              std::string::npos)
        << r.output;

    const json heap = read_json(dir.file("day.json"))["heap_profile"];
    expect_leak_site(heap);
    EXPECT_FALSE(heap.contains("source"));  // this run's own heap, not a re-run's
    ASSERT_EQ(heap["collapsed_file"], dir.file("day.growth.collapsed"));
    const std::string collapsed = read_text(dir.file("day.growth.collapsed"));
    EXPECT_NE(collapsed.find("memsoak::engine::LeakInjector::leak_per_call (leak_injector.cpp:"), std::string::npos);
    EXPECT_EQ(collapsed.find("HeapSampler"), std::string::npos) << "the sampler's own stacks in the flame graph";
}

// The fixed engine's sampled heap grows by less than the noise: no site is listed, and nothing is symbolized.
TEST(HeapSample, TheFixedDayListsNoSite) {
    if (!fs::exists(kTcmallocBinary)) GTEST_SKIP() << "no memsoak-tcmalloc in this build";
    TempDir dir;
    const ProcessResult r = run_program(kTcmallocBinary, {"run", kScenarios + "/production-day.json", "--heap-sample",
                                                          "--out", dir.file("day.json")});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("no allocation site grew beyond the sampling noise (sites are looked for from 4 sample "
                            "periods, 2.0 MiB, of growth in all)"),
              std::string::npos)
        << r.output;
    const json heap = read_json(dir.file("day.json"))["heap_profile"];
    EXPECT_FALSE(heap.contains("error")) << heap.dump(1);
    EXPECT_TRUE(heap["sites"].empty()) << heap["sites"].dump(1);
    EXPECT_LT(heap["total_growth_bytes"].get<double>(), 2.0 * 1024 * 1024);
    EXPECT_FALSE(fs::exists(dir.file("day.growth.collapsed")));
}

// 120 MiB kept in an hour: tcmalloc's heap profiler would dump on its own at 100 MiB in use, announced on stderr.
TEST(HeapProfile, TcmallocsNoticesGoToTheLogNotToStderr) {
    if (!fs::exists(kTcmallocBinary)) GTEST_SKIP() << "no memsoak-tcmalloc in this build";
    TempDir dir;
    const ProcessResult r =
        run_program(kTcmallocBinary,
                    {"run", kScenarios + "/gui-hour.json", "--inject", "tick:per_call:2MiB", "--heap-profile=30m",
                     "--heap-profile-dir", dir.file("h"), "--no-probe", "--no-attribution", "--quiet"},
                    dir.file("stderr.txt"));
    ASSERT_EQ(r.exit_code, 1) << read_text(dir.file("stderr.txt"));
    EXPECT_EQ(read_text(dir.file("stderr.txt")), "");
    const std::string log = read_text(dir.file("h/tcmalloc.log"));
    EXPECT_NE(log.find("Dumping heap profile to " + dir.file("h/gui-hour.0001.heap")), std::string::npos) << log;
    EXPECT_EQ(log.find("currently in use"), std::string::npos) << "tcmalloc dumped on its own: " << log;
    EXPECT_FALSE(fs::exists(dir.file("h/gui-hour.0004.heap")));  // 0, 30m, 1h and nothing else
}

// The failing day's sampled run, by `executable`, with `path_variable` as its PATH when given.
ProcessResult run_failing_day(const fs::path& executable, const TempDir& dir, const std::string& name,
                              const char* path_variable = nullptr) {
    const ScopedPath path(path_variable);
    return run_program(executable, {"run", kScenarios + "/production-day.json", "--seed", "1", "--inject", kLeak,
                                    "--heap-sample", "--no-probe", "--quiet", "--out", dir.file(name + ".json")});
}

// memsoak-tcmalloc carries its symbol index (section .memsoak_symbols): its sites are named without addr2line.
TEST(HeapSample, TheSymbolIndexNamesTheSitesWithoutAddr2line) {
    if (!fs::exists(kTcmallocBinary)) GTEST_SKIP() << "no memsoak-tcmalloc in this build";
    TempDir dir;
    const ProcessResult r = run_failing_day(kTcmallocBinary, dir, "day", "/nonexistent");
    ASSERT_EQ(r.exit_code, 1) << r.output;
    expect_leak_site(read_json(dir.file("day.json"))["heap_profile"]);
}

// A copy of memsoak-tcmalloc without the section, or with another build's index in it: addr2line names the same
// site with the same signature; without addr2line either, the report says what to install.
TEST(HeapSample, WithoutItsOwnSymbolIndexAddr2lineNamesTheSameSite) {
    if (!fs::exists(kTcmallocBinary)) GTEST_SKIP() << "no memsoak-tcmalloc in this build";
    TempDir dir;
    ASSERT_EQ(run_failing_day(kTcmallocBinary, dir, "indexed").exit_code, 1);
    const json indexed = read_json(dir.file("indexed.json"))["heap_profile"];
    ASSERT_FALSE(indexed["sites"].empty()) << indexed.dump(1);

    const std::string without = dir.file("memsoak-tcmalloc-without-index");
    const std::string command = "objcopy --remove-section .memsoak_symbols " + kTcmallocBinary.string() + " " + without;
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    ASSERT_EQ(run_failing_day(without, dir, "without").exit_code, 1);
    const json plain = read_json(dir.file("without.json"))["heap_profile"];
    expect_leak_site(plain);
    EXPECT_EQ(plain["sites"][0]["signature"], indexed["sites"][0]["signature"]);

    ASSERT_EQ(run_failing_day(without, dir, "no-addr2line", "/nonexistent").exit_code, 1);
    const json failed = read_json(dir.file("no-addr2line.json"))["heap_profile"];
    EXPECT_EQ(failed["error"],
              "the sampled heap could not be symbolized: cannot run addr2line: not found (install "
              "the binutils package)")
        << failed.dump(1);

    // Another build's index: the build-id recorded after the magic differs from the executable's own.
    std::string bytes = read_text(kTcmallocBinary.string());
    const std::size_t magic = bytes.rfind("MSYMIDX1");
    ASSERT_NE(magic, std::string::npos);
    bytes[magic + 16] = static_cast<char>(bytes[magic + 16] ^ 0xff);  // the build-id's first byte
    const std::string other = dir.file("memsoak-tcmalloc-other-index");
    std::ofstream(other, std::ios::binary) << bytes;
    fs::permissions(other, fs::perms::owner_all);
    ASSERT_EQ(run_failing_day(other, dir, "other").exit_code, 1);
    const json fallback = read_json(dir.file("other.json"))["heap_profile"];
    expect_leak_site(fallback);
    EXPECT_EQ(fallback["sites"][0]["signature"], indexed["sites"][0]["signature"]);
    ASSERT_EQ(run_failing_day(other, dir, "other-no-addr2line", "/nonexistent").exit_code, 1);
    EXPECT_TRUE(read_json(dir.file("other-no-addr2line.json"))["heap_profile"].contains("error"))
        << "another build's index was used";
}

TEST(HeapSample, WithoutTcmallocTheOptionIsAUsageError) {
    const ProcessResult r = run_memsoak({"run", kScenarios + "/gui-hour.json", "--heap-sample"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("memsoak run: --heap-sample needs tcmalloc's sampled heap: run memsoak-tcmalloc"),
              std::string::npos)
        << r.output;
}

// The default build: a whole-process failure that no component explains is re-run under memsoak-tcmalloc.
TEST(Attribution, AnUnexplainedFailureIsReRunUnderTcmallocAndItsSitesReachEveryFormat) {
    if (!fs::exists(kTcmallocBinary)) GTEST_SKIP() << "no memsoak-tcmalloc in this build";
    TempDir dir;
    const ProcessResult r =
        run_memsoak({"run", kScenarios + "/production-day.json", "--seed", "1", "--inject", kLeak, "--no-probe",
                     "--out", dir.file("day.json"), "--html", dir.file("day.html"), "--junit", dir.file("day.xml")});
    ASSERT_EQ(r.exit_code, 1) << r.output;
    const json report = read_json(dir.file("day.json"));
    if (report["allocator"] == "tcmalloc") GTEST_SKIP() << "the binary under test is the tcmalloc build";
    const json& heap = report["heap_profile"];
    expect_leak_site(heap);
    EXPECT_EQ(heap["source"], kTcmallocBinary.string());
    EXPECT_NE(heap["trigger"].get<std::string>().find("no engine component explains the growth"), std::string::npos);
    EXPECT_TRUE(fs::exists(dir.file("day.growth.collapsed")));

    const std::string place = "memsoak::engine::LeakInjector::leak_per_call (engine/src/leak_injector.cpp:" +
                              std::to_string(per_call_leak_line()) + ")";
    EXPECT_NE(r.output.find("re-run of the same scenario and seed under " + kTcmallocBinary.string()),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find(place), std::string::npos) << r.output;
    EXPECT_NE(read_text(dir.file("day.xml")).find("grows at " + place), std::string::npos);
    const std::string html = read_text(dir.file("day.html"));
    EXPECT_NE(html.find("<svg class=\"flame\""), std::string::npos);
    EXPECT_NE(html.find("memsoak::engine::LeakInjector::leak_per_call (leak_injector.cpp:"), std::string::npos);
}

TEST(Attribution, SaysSoWhenMemsoakTcmallocIsNotBesideIt) {
    // Sanitizer builds have no memsoak-tcmalloc, and do not re-run (their allocator is the sanitizer's).
    if (!fs::exists(kTcmallocBinary)) GTEST_SKIP() << "no re-run in this build";
    TempDir dir;
    const fs::path alone = dir.file("memsoak");
    fs::copy_file(MEMSOAK_BINARY, alone);
    const ProcessResult r = run_program(alone, {"run", kScenarios + "/production-day.json", "--seed", "1", "--inject",
                                                kLeak, "--no-probe", "--out", dir.file("day.json")});
    ASSERT_EQ(r.exit_code, 1) << r.output;
    const json report = read_json(dir.file("day.json"));
    if (report["allocator"] != "mimalloc" && report["allocator"] != "glibc") {
        GTEST_SKIP() << "no re-run under " << report["allocator"];
    }
    const std::string expected = "no growth sites: memsoak-tcmalloc was not found beside " + alone.string();
    EXPECT_EQ(report["heap_profile"]["error"].get<std::string>().rfind(expected, 0), 0u) << report["heap_profile"];
    EXPECT_NE(r.output.find(expected), std::string::npos) << r.output;
}

TEST(Attribution, AComponentsRetentionOrNoAttributionIsNotReRun) {
    if (!fs::exists(kTcmallocBinary)) GTEST_SKIP() << "no re-run in this build";
    TempDir dir;
    // issue-1: the status display keeps every frame, a component explains the growth.
    ProcessResult r = run_memsoak(
        {"run", kScenarios + "/gui-hour.json", "--leak", "issue-1", "--no-probe", "--out", dir.file("issue.json")});
    ASSERT_EQ(r.exit_code, 1) << r.output;
    EXPECT_FALSE(read_json(dir.file("issue.json")).contains("heap_profile"));
    r = run_memsoak({"run", kScenarios + "/production-day.json", "--seed", "1", "--inject", kLeak, "--no-probe",
                     "--no-attribution", "--out", dir.file("off.json")});
    ASSERT_EQ(r.exit_code, 1) << r.output;
    EXPECT_FALSE(read_json(dir.file("off.json")).contains("heap_profile"));
}

}  // namespace
}  // namespace memsoak::testing
