// Heap profile comparison: frame names as pprof prints them, allocation sites from a captured
// `google-pprof --collapsed --base=FIRST memsoak-tcmalloc LAST` of gui-hour with the issue-1 leak, and the errors.
// The end-to-end run of memsoak-tcmalloc --heap-profile is in tests/cli/test_selftest.cpp.

#include "memsoak/harness/soak/heap_profile.hpp"

#include <cmath>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "memsoak/harness/error.hpp"
#include "memsoak/harness/soak/samplers.hpp"

namespace memsoak::harness {
namespace {

const std::string kFixture = MEMSOAK_SOURCE_DIR "/tests/harness/data/pprof_collapsed_issue1.txt";

std::string read_fixture() {
    std::ifstream in(kFixture);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(FrameFunction, DropsReturnTypeTemplateArgumentsParametersAndPprofSuffixes) {
    EXPECT_EQ(frame_function("void std::vector<double, std::allocator<double> >::_M_realloc_insert<double>("
                             "__gnu_cxx::__normal_iterator<double*, std::vector<double, std::allocator<double> > >, "
                             "double&&)"),
              "std::vector::_M_realloc_insert");
    EXPECT_EQ(frame_function("memsoak::engine::Analyzer::analyze(std::span<memsoak::engine::Candle const, "
                             "18446744073709551615ul>) const<0000000000145750>"),
              "memsoak::engine::Analyzer::analyze");
    EXPECT_EQ(frame_function("memsoak::engine::compute_indicators(memsoak::engine::PriceFrame&)<0000000000145750>"
                             "[inline]"),
              "memsoak::engine::compute_indicators");
    EXPECT_EQ(frame_function("std::__detail::_MakeUniq<memsoak::engine::Figure>::__single_object std::make_unique<"
                             "memsoak::engine::Figure, int, int>(int&&, int&&)[inline]"),
              "std::make_unique");
    EXPECT_EQ(frame_function("main<0000000000029670>"), "main");
    EXPECT_EQ(frame_function("draw_axes[inline]"), "draw_axes");
}

TEST(FrameFunction, KeepsOperatorsAnonymousNamespacesAndDropsAbiTags) {
    EXPECT_EQ(frame_function("void* operator new(unsigned long)"), "operator new");
    EXPECT_EQ(frame_function("bool memsoak::engine::operator<(memsoak::engine::Candle const&, "
                             "memsoak::engine::Candle const&)"),
              "memsoak::engine::operator<");
    EXPECT_EQ(frame_function("operator()"), "operator()");
    EXPECT_EQ(frame_function("memsoak::engine::(anonymous namespace)::price[abi:cxx11](double)"),
              "memsoak::engine::(anonymous namespace)::price");
    EXPECT_EQ(frame_function("fmt::v9::vformat[abi:cxx11](fmt::v9::basic_string_view<char>, "
                             "fmt::v9::basic_format_args<fmt::v9::basic_format_context<fmt::v9::appender, char> >)"),
              "fmt::v9::vformat");
    // A lambda is named after the function that defines it.
    EXPECT_EQ(frame_function("memsoak::harness::run_scenario(memsoak::harness::Scenario const&)::{lambda(std::"
                             "chrono::time_point<memsoak::engine::VirtualClock, std::chrono::duration<long> >)#2}::"
                             "operator()(std::chrono::time_point<memsoak::engine::VirtualClock, std::chrono::duration"
                             "<long> >) const"),
              "memsoak::harness::run_scenario");
}

TEST(IsLibraryFunction, TheStandardLibraryFmtTheAllocatorAndLibcAreLibraries) {
    for (const char* library :
         {"std::vector::push_back", "__gnu_cxx::new_allocator::allocate", "__libc_start_call_main", "_M_invoke",
          "fmt::v9::vformat", "operator new", "operator delete[]", "malloc", "tc_newarray",
          "tcmalloc::ThreadCache::Allocate", "_start"}) {
        EXPECT_TRUE(is_library_function(library)) << library;
    }
    for (const char* application :
         {"memsoak::engine::PriceFrame::add_column", "main", "freeze_gui", "draw_axes", "_private_helper"}) {
        EXPECT_FALSE(is_library_function(application)) << application;
    }
}

// The fixture holds ten stacks of the real comparison; by hand, charging each to its innermost frame outside the
// libraries and skipping inlined lambdas' bare "operator()":
//   4 x 241920 PriceFrame::add_column (3 via compute_indicators, 1 via from_candles)        =  967680
//   1800000    Canvas::Canvas (via Figure::Figure, make_unique skipped)                      = 1800000
//   403200 + 768 Figure::plot (through an inlined lambda)                                    =  403968
//   0 Figure::draw, -1280 RingBuffer::reallocate, -164 Application::run_analysis (fmt skipped): no growth, left out
// Total: 967680 + 1800000 + 403968 + 0 - 1280 - 164 = 3170204.
TEST(ParsePprofCollapsed, ChargesEachStackToItsApplicationFrameAndSumsBySite) {
    double total = 0;
    const std::vector<HeapSite> sites = parse_pprof_collapsed(read_fixture(), kTopHeapSites, total);
    EXPECT_EQ(total, 3170204.0);
    ASSERT_EQ(sites.size(), 3u);
    EXPECT_EQ(sites[0].function, "memsoak::engine::Canvas::Canvas");
    EXPECT_EQ(sites[0].bytes, 1800000.0);
    EXPECT_EQ(sites[0].callers,
              (std::vector<std::string>{"memsoak::engine::Figure::Figure", "memsoak::engine::FigureManager::new_figure",
                                        "memsoak::engine::ChartWidget::update_chart"}));
    EXPECT_EQ(sites[1].function, "memsoak::engine::PriceFrame::add_column");
    EXPECT_EQ(sites[1].bytes, 967680.0);
    // Ties between stacks keep the first one's callers; the inlined copy of compute_indicators is one frame.
    EXPECT_EQ(sites[1].callers,
              (std::vector<std::string>{"memsoak::engine::compute_indicators", "memsoak::engine::Analyzer::analyze",
                                        "memsoak::engine::Application::run_analysis"}));
    EXPECT_EQ(sites[2].function, "memsoak::engine::Figure::plot");
    EXPECT_EQ(sites[2].bytes, 403968.0);
    EXPECT_EQ(sites[2].callers.front(), "memsoak::engine::ChartWidget::update_chart");
}

TEST(ParsePprofCollapsed, KeepsTheLargestSitesOnly) {
    double total = 0;
    const std::vector<HeapSite> sites = parse_pprof_collapsed(read_fixture(), 2, total);
    ASSERT_EQ(sites.size(), 2u);
    EXPECT_EQ(sites[1].function, "memsoak::engine::PriceFrame::add_column");
}

TEST(ParsePprofCollapsed, AStackOfLibraryFramesOnlyIsChargedToItsLeaf) {
    double total = 0;
    const std::vector<HeapSite> sites =
        parse_pprof_collapsed("_start;__libc_start_main_impl;std::vector<int>::reserve(unsigned long) 64\n", 10, total);
    ASSERT_EQ(sites.size(), 1u);
    EXPECT_EQ(sites[0].function, "std::vector::reserve");
    EXPECT_TRUE(sites[0].callers.empty());
}

TEST(ParsePprofCollapsed, ALineWithoutAByteCountIsAnErrorNamingTheLine) {
    double total = 0;
    try {
        parse_pprof_collapsed("main;f 12\nmain;g twelve\n", 10, total);
        FAIL() << "expected harness::Error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(),
                     "google-pprof --collapsed output, line 2: expected \"frame;frame;... BYTES\", got "
                     "\"main;g twelve\"");
    }
}

TEST(CompareHeapProfiles, FewerThanTwoProfilesIsReportedNotThrown) {
    HeapProfileRequest request;
    request.directory = "/tmp/nowhere";
    const HeapProfileFindings findings = compare_heap_profiles(request, {"memsoak.0001.heap"}, "/bin/true");
    EXPECT_EQ(findings.error,
              "1 heap profile taken; a comparison needs two (is the run shorter than its warm-up "
              "plus one interval?)");
    EXPECT_TRUE(findings.sites.empty());
    EXPECT_TRUE(std::isnan(findings.total_growth_bytes));
    EXPECT_EQ(findings.directory, "/tmp/nowhere");
    EXPECT_EQ(findings.interval, kDefaultHeapProfileInterval);
}

// pprof would take a missing file for a server's address and try to fetch from it: it is never asked.
TEST(CompareHeapProfiles, AMissingProfileIsReportedWithoutRunningPprof) {
    HeapProfileRequest request;
    request.directory = "/nonexistent-memsoak-folder";
    const HeapProfileFindings findings =
        compare_heap_profiles(request, {"a.0001.heap", "a.0002.heap"}, current_executable());
    EXPECT_EQ(findings.error, "/nonexistent-memsoak-folder/a.0001.heap: no such heap profile");
}

// The harness tests link no tcmalloc: the profiler must say so rather than start.
TEST(HeapProfiler, WithoutTcmallocItIsNotAvailableAndSaysWhich) {
    EXPECT_FALSE(heap_profiler_available());
    HeapProfileRequest request;
    request.directory = "/tmp/memsoak-heap-profile-test";
    try {
        HeapProfiler profiler(request);
        FAIL() << "expected harness::Error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "heap profiles need tcmalloc's heap profiler (the memsoak-tcmalloc build); this memsoak's "
                  "allocator is " +
                      std::string(allocator_name()));
    }
}

}  // namespace
}  // namespace memsoak::harness
