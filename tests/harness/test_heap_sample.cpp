// Sampled heap attribution: addr2line's output, source paths, unsampling, sites with file:line, leak signatures,
// collapsed stacks, and that the sampler's own snapshots are never a site. The end-to-end runs of
// memsoak-tcmalloc --heap-sample and of the automatic re-run are in tests/cli/test_attribution.cpp.

#include "memsoak/harness/soak/heap_sample.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "memsoak/harness/error.hpp"

namespace memsoak::harness {
namespace {

// Captured from `addr2line -a -f -C -i -e memsoak-tcmalloc` on two return addresses of a per_call leak: the first
// inlined twice (make_unique inside leak_per_call inside on_action).
constexpr std::string_view kAddr2line =
    "0x000000000004f2a1\n"
    "std::enable_if<std::is_array<std::byte []>::value, std::unique_ptr<std::byte [], std::default_delete<std::byte "
    "[]> > >::type std::make_unique_for_overwrite<std::byte []>(unsigned long)\n"
    "/usr/include/c++/12/bits/unique_ptr.h:1092\n"
    "memsoak::engine::LeakInjector::leak_per_call(memsoak::engine::LeakInjector::State&)\n"
    "/work/wt-attrib/engine/src/leak_injector.cpp:129 (discriminator 1)\n"
    "0x0000000000051000\n"
    "memsoak::engine::Application::run_analysis(std::chrono::duration<long, std::ratio<1l, 1000000l> >)\n"
    "/home/ci/memsoak/engine/src/application.cpp:88\n";

TEST(ParseAddr2line, GivesEachAddressItsFramesInnermostFirstWithTreeRelativeFiles) {
    const auto frames = parse_addr2line(kAddr2line);
    ASSERT_EQ(frames.size(), 2u);
    ASSERT_EQ(frames[0].size(), 2u);
    EXPECT_EQ(frames[0][0].function, "std::make_unique_for_overwrite");
    EXPECT_EQ(frames[0][0].file, "/usr/include/c++/12/bits/unique_ptr.h");
    EXPECT_EQ(frames[0][0].line, 1092);
    EXPECT_EQ(frames[0][1].function, "memsoak::engine::LeakInjector::leak_per_call");
    EXPECT_EQ(frames[0][1].file, "engine/src/leak_injector.cpp");  // the checkout's folder is gone
    EXPECT_EQ(frames[0][1].line, 129);                             // the discriminator is dropped
    ASSERT_EQ(frames[1].size(), 1u);
    EXPECT_EQ(frames[1][0].function, "memsoak::engine::Application::run_analysis");
    EXPECT_EQ(frames[1][0].file, "engine/src/application.cpp");
}

TEST(ParseAddr2line, UnknownFramesKeepNoFileAndOtherShapesAreRejectedWithTheLine) {
    const auto frames = parse_addr2line("0x10\n??\n??:0\n");
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0][0].function, "??");
    EXPECT_EQ(frames[0][0].file, "");
    EXPECT_EQ(frames[0][0].line, 0);
    try {
        parse_addr2line("0x10\nf()\nno colon here\n");
        FAIL() << "accepted a place without FILE:LINE";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "addr2line output, line 3: expected FILE:LINE, got \"no colon here\"");
    }
    EXPECT_THROW(parse_addr2line("f()\n"), Error);        // no address first
    EXPECT_THROW(parse_addr2line("0x10\nf()\n"), Error);  // a function without its place
}

TEST(UnsampledBytes, ScalesSmallObjectsByTheirSamplingProbability) {
    // An object as large as the period was sampled with probability 1 - 1/e.
    EXPECT_NEAR(unsampled_bytes(1, 524288, 524288), 524288 / (1 - std::exp(-1.0)), 1e-6);
    // A tiny one stands for about a whole period.
    EXPECT_NEAR(unsampled_bytes(1, 16, 524288), 524288, 20);
    // Huge objects are always sampled: they stand for themselves.
    EXPECT_NEAR(unsampled_bytes(2, 2.0 * 64 * 1024 * 1024, 524288), 2.0 * 64 * 1024 * 1024, 1);
    EXPECT_EQ(unsampled_bytes(1, 100, 0), 100);  // not sampling: as read
}

SourceFrame frame(std::string function, std::string file, int line) {
    return {std::move(function), std::move(file), line};
}
SourceFrame library_frame(std::string function, std::string library) {
    return {std::move(function), std::move(library), 0, true};
}

// A leak at leak_per_call, seen through two stacks (analyze and tick), plus a library-only stack and a stack of
// the sampler's own snapshot.
std::vector<GrowthStack> leak_stacks() {
    return {
        {{library_frame("tc_new", "libtcmalloc.so.4"),
          frame("std::make_unique_for_overwrite", "/usr/include/c++/12/bits/unique_ptr.h", 1092),
          frame("memsoak::engine::LeakInjector::leak_per_call", "engine/src/leak_injector.cpp", 129),
          frame("memsoak::engine::LeakInjector::on_action", "engine/src/leak_injector.cpp", 119),
          frame("memsoak::engine::Application::run_analysis", "engine/src/application.cpp", 88)},
         3.0 * 1024 * 1024},
        // A shared library's frame is never the site, whatever its name ("compress" is zlib's).
        {{library_frame("tc_new", "libtcmalloc.so.4"), library_frame("compress", "libz.so.1"),
          frame("memsoak::engine::LeakInjector::leak_per_call", "engine/src/leak_injector.cpp", 129),
          frame("memsoak::engine::LeakInjector::on_action", "engine/src/leak_injector.cpp", 119),
          frame("memsoak::engine::Application::tick", "engine/src/application.cpp", 61)},
         1.0 * 1024 * 1024},
        {{library_frame("tc_new", "libtcmalloc.so.4"),
          frame("memsoak::engine::Chart::render", "engine/src/chart.cpp", 40)},
         -512.0 * 1024},
        {{library_frame("tc_new", "libtcmalloc.so.4"),
          frame("memsoak::engine::Chart::render", "engine/src/chart.cpp", 40)},
         256.0 * 1024},
    };
}

TEST(SitesOf, ChargesTheFirstApplicationFrameWithItsFileLineRateAndTheBiggestStacksCallers) {
    const std::vector<HeapSite> sites = sites_of(leak_stacks(), 10, 4.0);
    ASSERT_EQ(sites.size(), 1u);  // the chart shrank overall: not a growth site
    const HeapSite& top = sites[0];
    EXPECT_EQ(top.function, "memsoak::engine::LeakInjector::leak_per_call");
    EXPECT_EQ(top.file, "engine/src/leak_injector.cpp");
    EXPECT_EQ(top.line, 129);
    EXPECT_DOUBLE_EQ(top.bytes, 4.0 * 1024 * 1024);
    EXPECT_DOUBLE_EQ(top.rate_bytes_per_hour, 1.0 * 1024 * 1024);
    EXPECT_EQ(top.callers, (std::vector<std::string>{"memsoak::engine::LeakInjector::on_action",
                                                     "memsoak::engine::Application::run_analysis"}));
    EXPECT_EQ(top.caller_locations,
              (std::vector<std::string>{"engine/src/leak_injector.cpp:119", "engine/src/application.cpp:88"}));
    EXPECT_EQ(top.signature, leak_signature(top));
    EXPECT_EQ(top.signature.size(), 16u);
    EXPECT_EQ(heap_site_place(top), "memsoak::engine::LeakInjector::leak_per_call (engine/src/leak_injector.cpp:129)");
}

TEST(LeakSignature, IgnoresLinesAndAddressesButNotFunctionsOrFiles) {
    HeapSite site;
    site.function = "memsoak::engine::LeakInjector::leak_per_call";
    site.file = "engine/src/leak_injector.cpp";
    site.line = 129;
    site.callers = {"memsoak::engine::LeakInjector::on_action"};
    site.caller_locations = {"engine/src/leak_injector.cpp:119"};
    const std::string signature = leak_signature(site);
    // Pinned: a signature must not change between builds, or last night's known leak reads as new tonight.
    EXPECT_EQ(signature, "329e0ab1bb5a34d9");

    HeapSite moved = site;  // an edit above the leak shifts its lines
    moved.line = 140;
    moved.caller_locations = {"engine/src/leak_injector.cpp:130"};
    EXPECT_EQ(leak_signature(moved), signature);

    HeapSite other_caller = site;
    other_caller.callers = {"memsoak::engine::Application::tick"};
    EXPECT_NE(leak_signature(other_caller), signature);
    HeapSite other_file = site;
    other_file.file = "engine/src/chart.cpp";
    EXPECT_NE(leak_signature(other_file), signature);
}

TEST(CollapsedStacks, WritesRootFirstFramesWithPlacesAndLeavesOutWhatShrank) {
    const std::string text = collapsed_stacks(leak_stacks());
    EXPECT_NE(text.find("memsoak::engine::Application::run_analysis (application.cpp:88);"
                        "memsoak::engine::LeakInjector::on_action (leak_injector.cpp:119);"
                        "memsoak::engine::LeakInjector::leak_per_call (leak_injector.cpp:129);"
                        "std::make_unique_for_overwrite (unique_ptr.h:1092);tc_new (libtcmalloc.so.4) 3145728\n"),
              std::string::npos)
        << text;
    // The two chart stacks read the same once symbolized: they add up, and together they shrank.
    EXPECT_EQ(text.find("Chart::render"), std::string::npos) << text;
    // Every line is "frames BYTES", what flamegraph.pl and speedscope split on the last space.
    std::size_t lines = 0;
    for (std::size_t at = 0; at < text.size(); at = text.find('\n', at) + 1, ++lines) {
        const std::string line = text.substr(at, text.find('\n', at) - at);
        EXPECT_GT(std::stoll(line.substr(line.rfind(' ') + 1)), 0) << line;
    }
    EXPECT_EQ(lines, 2u);
}

TEST(SamplerMachinery, StacksThroughTheSamplerAreRecognised) {
    EXPECT_TRUE(
        is_sampler_machinery({frame("std::vector::_M_realloc_insert", "", 0),
                              frame("memsoak::harness::read_heap_sample", "harness/src/soak/heap_sample.cpp", 210)}));
    EXPECT_TRUE(is_sampler_machinery(
        {frame("memsoak::harness::HeapSampler::checkpoint", "harness/src/soak/heap_sample.cpp", 380)}));
    EXPECT_FALSE(is_sampler_machinery(leak_stacks()[0].frames));
}

TEST(HeapSampler, WithoutTcmallocItRefusesAndSaysWhichAllocatorRuns) {
    EXPECT_EQ(heap_sample_period(), 0u);
    try {
        HeapSampler sampler;
        FAIL() << "a sampler without tcmalloc";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("a sampled heap needs tcmalloc (the memsoak-tcmalloc build)"),
                  std::string::npos)
            << e.what();
    }
}

TEST(GrowthSiteSummary, NamesTheTopSiteOrWhyThereIsNone) {
    HeapProfileFindings findings;
    findings.mode = "sampled";
    findings.sites = sites_of(leak_stacks(), 10, 4.0);
    EXPECT_EQ(growth_site_summary(findings),
              "grows at memsoak::engine::LeakInjector::leak_per_call (engine/src/leak_injector.cpp:129), 1.0 MiB/h "
              "(4.0 MiB sampled), signature " +
                  findings.sites[0].signature);
    findings.error = "no growth sites: memsoak-tcmalloc was not found beside /x/memsoak";
    EXPECT_EQ(growth_site_summary(findings), findings.error);
    findings.mode = "full";
    EXPECT_EQ(growth_site_summary(findings), "");
}

}  // namespace
}  // namespace memsoak::harness
