#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "memsoak/harness/soak/samplers.hpp"

extern char** environ;

namespace memsoak::harness {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// Keeps the compiler from eliding an allocation whose contents are never read (new/delete pairs may be removed).
void* volatile allocation_sink;

std::vector<double> take_sample(Sampler& sampler) {
    std::vector<double> values(sampler.metrics().size());
    sampler.sample(values);
    return values;
}

double value_of(const Sampler& sampler, const std::vector<double>& values, const std::string& metric) {
    const auto& metrics = sampler.metrics();
    const auto found = std::find(metrics.begin(), metrics.end(), metric);
    EXPECT_NE(found, metrics.end()) << metric;
    return found == metrics.end() ? std::nan("") : values[static_cast<std::size_t>(found - metrics.begin())];
}

TEST(OsSampler, SeesSixtyFourTouchedMebibytes) {
    const std::unique_ptr<Sampler> sampler = make_os_sampler();
    EXPECT_EQ(sampler->layer(), Layer::os);
    const std::vector<std::string> metrics{"os.rss_bytes", "os.rss_anon_bytes", "os.rss_file_bytes",
                                           "os.rss_peak_bytes"};
    EXPECT_EQ(sampler->metrics(), metrics);

    const std::vector<double> before = take_sample(*sampler);
    std::vector<char> touched(64 * 1024 * 1024, 1);  // written, so every page is resident
    allocation_sink = touched.data();
    const std::vector<double> after = take_sample(*sampler);

    const double rss = value_of(*sampler, after, "os.rss_bytes");
    EXPECT_GE(rss - value_of(*sampler, before, "os.rss_bytes"), 60 * kMiB);
    EXPECT_GE(value_of(*sampler, after, "os.rss_anon_bytes") - value_of(*sampler, before, "os.rss_anon_bytes"),
              60 * kMiB);
    EXPECT_EQ(value_of(*sampler, after, "os.rss_anon_bytes") + value_of(*sampler, after, "os.rss_file_bytes"), rss);
    EXPECT_GT(value_of(*sampler, after, "os.rss_file_bytes"), 0);    // the executable's own pages at least
    EXPECT_GE(value_of(*sampler, after, "os.rss_peak_bytes"), rss);  // the peak includes every sample
}

// The kernel's high-water mark (ru_maxrss, VmHWM) is kept from approximate per-CPU counters, while statm sums
// them exactly (Linux 6.18): alone it read below the resident set at every sample of a production day.
TEST(OsSampler, PeakIsNeverBelowAnyResidentSampleSeen) {
    const std::unique_ptr<Sampler> sampler = make_os_sampler();
    double highest_rss = 0;
    std::vector<std::unique_ptr<char[]>> blocks;
    for (int step = 0; step < 24; ++step) {
        auto block = std::make_unique<char[]>(4 * 1024 * 1024);
        std::memset(block.get(), step + 1, 4 * 1024 * 1024);  // written, so resident
        allocation_sink = block.get();
        blocks.push_back(std::move(block));
        const std::vector<double> values = take_sample(*sampler);
        const double rss = value_of(*sampler, values, "os.rss_bytes");
        highest_rss = std::max(highest_rss, rss);
        EXPECT_GE(value_of(*sampler, values, "os.rss_peak_bytes"), rss) << "step " << step;
    }
    blocks.clear();  // freed: the resident set may fall, the peak must not
    const std::vector<double> after = take_sample(*sampler);
    EXPECT_GE(value_of(*sampler, after, "os.rss_peak_bytes"), highest_rss);
}

TEST(OsSampler, PeakAgreesWithVmHwm) {
    const std::unique_ptr<Sampler> sampler = make_os_sampler();
    const double peak = value_of(*sampler, take_sample(*sampler), "os.rss_peak_bytes");
    std::ifstream status("/proc/self/status");
    std::string line;
    double vm_hwm = 0;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) vm_hwm = std::stod(line.substr(6)) * 1024;
    }
    ASSERT_GT(vm_hwm, 0);
    EXPECT_NEAR(peak, vm_hwm, 1 * kMiB);  // whichever source the sampler chose, it is this process's peak
}

TEST(AllocatorSampler, ListsTheMetricsOfTheDetectedAllocator) {
    const std::unique_ptr<Sampler> sampler = make_allocator_sampler();
    EXPECT_EQ(sampler->layer(), Layer::allocator);
    const std::string_view name = allocator_name();
    if (name == "mimalloc" || name == "sanitizer") {
        EXPECT_EQ(sampler->metrics(), (std::vector<std::string>{"allocator.live_bytes", "allocator.committed_bytes"}));
    } else if (name == "tcmalloc") {
        EXPECT_EQ(sampler->metrics(), (std::vector<std::string>{"allocator.live_bytes", "allocator.committed_bytes",
                                                                "allocator.free_bytes", "allocator.unmapped_bytes"}));
    } else {
        EXPECT_EQ(name, "glibc");
        EXPECT_EQ(sampler->metrics(), (std::vector<std::string>{"allocator.live_bytes", "allocator.committed_bytes",
                                                                "allocator.free_bytes"}));
    }
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif

TEST(AllocatorSampler, IsTheAllocatorThisProcessWasStartedWith) {
    // Set by AllocatorDetection below when it re-runs this binary with an allocator preloaded.
    const char* expected = std::getenv("MEMSOAK_EXPECT_ALLOCATOR");
    EXPECT_EQ(allocator_name(), expected != nullptr ? expected : kSanitizerBuild ? "sanitizer" : "glibc");
}

TEST(AllocatorSampler, LiveBytesGrowWithAThirtyTwoMebibyteMalloc) {
    const std::unique_ptr<Sampler> sampler = make_allocator_sampler();
    const std::vector<double> before = take_sample(*sampler);
    void* block = std::malloc(32 * 1024 * 1024);
    allocation_sink = block;
    const std::vector<double> during = take_sample(*sampler);
    std::free(block);
    const std::vector<double> after = take_sample(*sampler);

    const double live_before = value_of(*sampler, before, "allocator.live_bytes");
    const double live_during = value_of(*sampler, during, "allocator.live_bytes");
    EXPECT_GE(live_during - live_before, 32 * kMiB);
    EXPECT_LT(live_during - live_before, 33 * kMiB);
    EXPECT_LE(value_of(*sampler, after, "allocator.live_bytes"), live_before + 1 * kMiB);
    EXPECT_GE(value_of(*sampler, during, "allocator.committed_bytes"), live_during);
}

TEST(AllocatorSampler, PurgeReturnsFreedSmallBlocksToTheOs) {
    // 96 MiB in 64 KiB blocks (below glibc's mmap threshold, so they live in the heap), a guard block allocated
    // after them so that freeing them cannot simply shrink the heap's top, then free all but the guard.
    const std::unique_ptr<Sampler> os = make_os_sampler();
    std::vector<char*> blocks;
    constexpr std::size_t kBlock = 64 * 1024;
    for (std::size_t i = 0; i < 96 * 16; ++i) {
        blocks.push_back(static_cast<char*>(std::malloc(kBlock)));
        std::memset(blocks.back(), 1, kBlock);
    }
    void* guard = std::malloc(kBlock);
    allocation_sink = guard;
    for (char* block : blocks) std::free(block);
    const double retained = value_of(*os, take_sample(*os), "os.rss_bytes");
    purge_allocator();
    const double purged = value_of(*os, take_sample(*os), "os.rss_bytes");
    std::free(guard);
    // mimalloc keeps about one 32 MiB segment after mi_collect(true) (docs/toolchain.md), so ask for a third.
    EXPECT_GE(retained - purged, 32 * kMiB) << allocator_name();
}

// Re-runs this test binary with each allocator preloaded, and checks there that detection, the metrics and the
// live bytes hold for it. Skipped in sanitizer builds: preloading an allocator into them aborts.
class AllocatorDetection : public testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(AllocatorDetection, WorksWhenTheAllocatorIsPreloaded) {
    if (kSanitizerBuild) GTEST_SKIP() << "sanitizer builds run on the sanitizer's allocator";
    const auto [library, name] = GetParam();

    const std::string output = testing::TempDir() + "memsoak_allocator_" + name + ".txt";
    const std::string executable = std::filesystem::read_symlink("/proc/self/exe").string();
    std::vector<std::string> arguments{executable, "--gtest_filter=AllocatorSampler.*:OsSampler.*"};
    std::vector<std::string> environment{std::string("LD_PRELOAD=") + library,
                                         std::string("MEMSOAK_EXPECT_ALLOCATOR=") + name};
    std::vector<char*> argv, envp;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    for (std::string& variable : environment) envp.push_back(variable.data());
    for (char** variable = environ; *variable != nullptr; ++variable) {
        if (std::strncmp(*variable, "LD_PRELOAD=", 11) != 0 && std::strncmp(*variable, "GTEST_", 6) != 0) {
            envp.push_back(*variable);
        }
    }
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    pid_t child = 0;
    const int spawned = posix_spawn(&child, executable.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_EQ(spawned, 0) << std::strerror(spawned);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);

    std::ifstream log(output);
    std::stringstream text;
    text << log.rdbuf();
    // The dynamic loader ignores a preload it cannot find, with this message, and the child runs on glibc.
    if (text.str().find("cannot be preloaded") != std::string::npos) GTEST_SKIP() << library << " is not installed";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "with " << library << ":\n" << text.str();
    EXPECT_NE(text.str().find("[       OK ] AllocatorSampler.IsTheAllocatorThisProcessWasStartedWith"),
              std::string::npos)
        << text.str();
}

INSTANTIATE_TEST_SUITE_P(Preloaded, AllocatorDetection,
                         testing::Values(std::pair("libmimalloc.so.2", "mimalloc"),
                                         std::pair("libtcmalloc.so.4", "tcmalloc")),
                         [](const auto& param_info) { return std::string(param_info.param.second); });

// A target whose footprint the test sets.
class FakeTarget final : public Target {
public:
    void apply(const Action&, engine::VirtualTime) override {}
    engine::Footprint footprint() const override { return components; }
    engine::Footprint components;
};

TEST(EngineSampler, ExposesBytesAndItemsOfEveryComponentByName) {
    FakeTarget target;
    target.components = {{"status_display", "issue-1", 4096, 1}, {"chart", "issue-2", 2'000'000, 3}};
    const std::unique_ptr<Sampler> sampler = make_engine_sampler(target);
    EXPECT_EQ(sampler->layer(), Layer::engine);
    const std::vector<std::string> metrics{"engine.status_display.bytes", "engine.status_display.items",
                                           "engine.chart.bytes", "engine.chart.items"};
    EXPECT_EQ(sampler->metrics(), metrics);
    EXPECT_EQ(take_sample(*sampler), (std::vector<double>{4096, 1, 2'000'000, 3}));

    // A different order is matched by name; a new component is not sampled (the metric list is fixed).
    target.components = {{"signals", "issue-5", 777, 7},
                         {"chart", "issue-2", 3'000'000, 4},
                         {"status_display", "issue-1", 8192, 2}};
    EXPECT_EQ(take_sample(*sampler), (std::vector<double>{8192, 2, 3'000'000, 4}));

    // A component that disappears reads NaN, never 0.
    target.components = {{"chart", "issue-2", 1'000'000, 1}};
    const std::vector<double> values = take_sample(*sampler);
    EXPECT_TRUE(std::isnan(values[0]));
    EXPECT_TRUE(std::isnan(values[1]));
    EXPECT_EQ(values[2], 1'000'000);
    EXPECT_EQ(values[3], 1);
}

}  // namespace
}  // namespace memsoak::harness
