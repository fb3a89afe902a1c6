#pragma once
// Sampled heap attribution: which line allocates the memory that stays, cheap enough for every run of the
// tcmalloc build. tcmalloc samples about one allocation per TCMALLOC_SAMPLE_PARAMETER bytes allocated (read when
// the process starts, so memsoak-tcmalloc re-executes itself with it set) and keeps the call stack of each
// sampled object alive. A run reads that sampled heap back at each purged checkpoint from the end of its warm-up
// (MallocExtension::ReadStackTraces, found with dlsym: the harness links no allocator), and compares the first
// read with the last: the live bytes added per call stack, each sampled object standing for
// size / (1 - exp(-size / period)) bytes, pprof's unsampling of heap_v2 profiles.
//
// Each growing stack is symbolized through the executable's symbol index (symbol_index.hpp; addr2line, from
// binutils, when it has none of its own build): function, file and line of every frame, inlined frames included,
// and charged to its allocation site, the innermost frame outside the C++ library, fmt, the
// allocator and libc (heap_profile.hpp's rule). Stacks through the sampler itself are dropped: its own snapshots
// are live when it reads the heap.
//
// Sampling error: a site that grew by G bytes is seen through about G / period samples, so its growth has a
// relative standard error of about 1 / sqrt(G / period) (Poisson): 10% at 100 periods (50 MiB at 512 KiB).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memsoak/harness/result.hpp"

namespace memsoak::harness {

// The sampling period memsoak asks tcmalloc for: a sample every 512 KiB allocated on average.
inline constexpr std::size_t kDefaultHeapSamplePeriod = 512 * 1024;
// tcmalloc's environment variable for it, read once at start-up.
inline constexpr const char* kSampleParameterVariable = "TCMALLOC_SAMPLE_PARAMETER";
// Growth stacks kept in the report for its flame graph (the collapsed file has every one).
inline constexpr std::size_t kReportedGrowthStacks = 200;
// Sites are looked for when the sampled heap grew by at least this many sampling periods in all (2 MiB at
// 512 KiB): below it a site's growth is mostly sampling noise (+-1 / sqrt(periods)), and a passing run is spared
// the symbolization.
inline constexpr double kSymbolizedGrowthPeriods = 4;
// Application frames hashed into a leak signature: the site and this many callers.
inline constexpr std::size_t kSignatureCallers = 3;

// The period tcmalloc samples at in this process, 0 when it does not sample (not tcmalloc, or
// TCMALLOC_SAMPLE_PARAMETER unset or 0 when it started).
std::size_t heap_sample_period();

// The estimate of live bytes that `count` sampled objects of `bytes` in all stand for at sampling `period`.
double unsampled_bytes(double count, double bytes, double period);

// tcmalloc's sampled heap now: estimated live bytes per call stack (program counters, innermost first).
struct HeapSnapshot {
    std::map<std::vector<std::uintptr_t>, double> bytes_by_stack;
    double total_bytes = 0;
};
// Throws harness::Error when the running allocator has no sampled heap.
HeapSnapshot read_heap_sample();

// One frame of a symbolized stack.
struct SourceFrame {
    std::string function;     // frame_function()'s name: "memsoak::engine::LeakInjector::leak_per_call"
    std::string file;         // from the source tree's top folder when it is memsoak's ("engine/src/x.cpp"); "" unknown
    int line = 0;             // 0 unknown
    bool in_library = false;  // in a shared library (libstdc++, libtcmalloc, libc): never an allocation site
};

// A call stack that grew, innermost frame first, with its growth in bytes.
struct GrowthStack {
    std::vector<SourceFrame> frames;
    double bytes = 0;
};

// Where symbolize_executable() looks names up.
enum class SymbolSource {
    index,      // the executable's symbol index, when it has one of its own build; else addr2line
    addr2line,  // addr2line only (the tests' reference)
};

// The frames at link-time addresses of this process's executable, found at `executable` (pass a return address
// minus one, minus executable_load_bias()): per address, innermost (inlined) first, named as `addr2line -f -C -i`
// names them ({"??", "", 0} without debug information). Throws harness::Error when addr2line is needed and fails.
std::vector<std::vector<SourceFrame>> symbolize_executable(const std::vector<std::uint64_t>& addresses,
                                                           const std::filesystem::path& executable,
                                                           SymbolSource source = SymbolSource::index);

// The load bias of this process's executable (0 unless it is position-independent).
std::uintptr_t executable_load_bias();

// A frame from the names addr2line prints ("??" unknown): frame_function()'s short form, source_relative() path.
SourceFrame addr2line_frame(std::string_view function, std::string_view file, int line);

// Parses `addr2line -a -f -C -i` output: for each address line ("0x..."), one or more function / file:line pairs,
// innermost (inlined) first. Returns the frames per address in input order. Throws harness::Error naming the line
// on output of another shape.
std::vector<std::vector<SourceFrame>> parse_addr2line(std::string_view text);

// "/work/wt/engine/src/leak_injector.cpp" -> "engine/src/leak_injector.cpp": a path from memsoak's top folders on,
// so that signatures and reports do not depend on where the tree was checked out. Others are kept.
std::string source_relative(std::string_view path);

// Whether a stack passes through the sampler's own code (its snapshots): such growth is memsoak's, not the
// application's.
bool is_sampler_machinery(const std::vector<SourceFrame>& frames);

// Charges growing stacks to allocation sites (heap_profile.hpp's rule), largest growth first, the `top` largest;
// each with its file:line, its callers' (from the stack that contributed most), its rate over `window_hours`, and
// its signature.
std::vector<HeapSite> sites_of(const std::vector<GrowthStack>& stacks, std::size_t top, double window_hours);

// A leak signature: 16 hex digits of FNV-1a over the site's and its callers' function names and files (not lines,
// not addresses), so the same leak keeps its id across builds, checkouts and small edits.
std::string leak_signature(const HeapSite& site);

// Collapsed stacks, one line per stack, root first: "main (tools/memsoak_main.cpp:88);...;f (x.cpp:12) BYTES",
// bytes rounded; stacks that did not grow are left out. flamegraph.pl and speedscope read it.
std::string collapsed_stacks(const std::vector<GrowthStack>& stacks);

// "memsoak::engine::LeakInjector::leak_per_call (engine/src/leak_injector.cpp:129)"; the function alone without a
// file.
std::string heap_site_place(const HeapSite& site);

// The top growth site in one line for a failure message: "grows at PLACE, 3.8 MiB/h (92.1 MiB sampled),
// signature 0123456789abcdef"; or why there are none ("no growth sites: memsoak-tcmalloc was not found ...").
// Empty when the findings are not a sampled heap's.
std::string growth_site_summary(const HeapProfileFindings& findings);

// Reads the sampled heap at checkpoints and compares the first read with the last.
class HeapSampler {
public:
    // Throws harness::Error when this process's allocator does not sample (naming what to run instead).
    HeapSampler();
    // Reads the sampled heap; the first read is kept, every later one replaces the last.
    void checkpoint(VirtualTime now);
    // The growth from the first read to the last, symbolized against `executable`, with every growing stack
    // collapsed into `collapsed` (collapsed_stacks()); the findings carry an error instead of sites when there were
    // fewer than two reads or symbolization failed. Never throws for those. No sites (and the trend's growth) when
    // the sampled heap's Theil-Sen trend over every read grew by less than kSymbolizedGrowthPeriods periods: the
    // first and the last read alone differ by a few periods on a heap that does not grow (which objects happen to
    // be sampled changes as they are freed and made again).
    HeapProfileFindings findings(const std::filesystem::path& executable, std::string& collapsed) const;

private:
    std::size_t period_;
    std::optional<HeapSnapshot> first_, last_;
    VirtualTime first_at_{}, last_at_{};
    std::size_t reads_ = 0;
    std::vector<double> read_hours_;   // each read's time
    std::vector<double> read_totals_;  // each read's sampled heap, in bytes
};

}  // namespace memsoak::harness
