#pragma once
// Heap profiles: when no engine component explains the growth, tcmalloc's heap profiler names the allocation
// sites that grew. The profiler is found at run time with dlsym (HeapProfilerStart, HeapProfilerDump,
// HeapProfilerStop, IsHeapProfilerRunning in libtcmalloc), so the harness links nothing and only the tcmalloc
// build (memsoak-tcmalloc) can take profiles.
//
// A run dumps a profile at an interval of virtual time from the end of its warm-up; afterwards
// `google-pprof --collapsed --base=FIRST BINARY LAST` (package google-perftools) gives the live bytes by call
// stack that were added between the first and the last profile, and each stack is charged to its allocation
// site: the innermost frame outside the C++ library, fmt, the allocator and libc. pprof's --text report charges
// the leaf instead, which for almost every allocation is a std::vector or std::string internal.
//
// Limits: the profiler records a stack for every allocation, which slows an allocation-heavy run several fold
// (heap_sample.hpp samples instead); it only sees allocations made after it started. tcmalloc's own dumps (every
// 1 GiB allocated, every 100 MiB of growth) are off when memsoak set tcmalloc's environment (tools/), and its
// notices go to tcmalloc.log in the profile folder.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "memsoak/harness/result.hpp"

namespace memsoak::harness {

// The study's memory_snapshot_interval: 300 seconds.
inline constexpr VirtualDuration kDefaultHeapProfileInterval = std::chrono::minutes(5);
// Sites listed in a report.
inline constexpr std::size_t kTopHeapSites = 10;
// Callers kept per site: enough to see the path from the site to the application's entry point.
inline constexpr std::size_t kHeapSiteCallers = 3;

struct HeapProfileRequest {
    VirtualDuration interval = kDefaultHeapProfileInterval;
    std::filesystem::path directory;  // created if missing; profiles are <directory>/<prefix>.NNNN.heap
    std::string prefix = "memsoak";
};

// True when the running allocator is tcmalloc and its heap profiler's four functions are found.
bool heap_profiler_available();

// The heap profiler, started on construction and stopped on destruction. One per process at a time.
class HeapProfiler {
public:
    // Removes stale <prefix>.NNNN.heap files from the folder, then starts. Throws harness::Error when the profiler
    // is not available (naming the running allocator), already running (HEAPPROFILE set in the environment), or
    // the folder cannot be created.
    explicit HeapProfiler(const HeapProfileRequest& request);
    ~HeapProfiler();
    HeapProfiler(const HeapProfiler&) = delete;
    HeapProfiler& operator=(const HeapProfiler&) = delete;

    // Writes a profile now and records its file. tcmalloc's "Dumping heap profile" line goes to tcmalloc.log in the
    // folder, as its start and stop notices do.
    void dump(const char* reason);
    void stop();
    // The profiles written by dump(), in order (file names within the request's directory).
    const std::vector<std::string>& profiles() const { return profiles_; }

private:
    std::filesystem::path file_for(std::size_t index) const;

    HeapProfileRequest request_;
    std::vector<std::string> profiles_;
    std::size_t last_index_ = 0;  // tcmalloc's dump counter as last seen (its own dumps advance it too)
    bool running_ = false;
};

// The running executable (/proc/self/exe resolved), which pprof needs for symbols.
std::filesystem::path current_executable();

// "void std::vector<double, std::allocator<double> >::_M_default_append(unsigned long)[inline]" ->
// "std::vector::_M_default_append": the qualified name without template arguments, parameters, return type, ABI
// tags ("[abi:cxx11]") and pprof's "[inline]" or "<address>" suffix. "(anonymous namespace)" is kept; a lambda's frame
// ("f(int)::{lambda()#1}::operator()() const") is named after the function that defines it ("f").
std::string frame_function(std::string_view frame);

// Whether a frame's function (frame_function's result) belongs to the C++ library, fmt, the allocator or libc:
// std::, fmt::, tcmalloc, operator new/delete, the malloc family, _start, and names reserved for the
// implementation (starting with "__" or "_" and a capital).
bool is_library_function(std::string_view function);

// Whether a frame's function can be charged as an allocation site: not a library function, and not an inlined
// lambda's bare "operator()" (which says nothing of where it is).
bool names_a_site(std::string_view function);

// Parses pprof's --collapsed output ("root;...;leaf BYTES" per line) into allocation sites: each stack is charged
// to its innermost frame that is neither a library frame nor an inlined lambda's bare "operator()" (the leaf when
// there is none), with the next such frames as its callers; sites are summed, and the `top`
// largest growths are returned, largest first; sites that did not grow are left out. `total_bytes` receives the
// sum over all stacks. Throws harness::Error naming the line for a line without a byte count.
std::vector<HeapSite> parse_pprof_collapsed(std::string_view text, std::size_t top, double& total_bytes);

// Runs `google-pprof --collapsed --base=FIRST BINARY LAST` and returns its output. Throws harness::Error when a
// profile is not a file, or when google-pprof cannot be started or fails (with its error output).
std::string run_pprof_collapsed(const std::filesystem::path& binary, const std::filesystem::path& first,
                                const std::filesystem::path& last);

// Compares the first and the last of `profiles` (in `request.directory`). Never throws for a missing tool or too
// few profiles: the findings carry the reason in `error`, so that a finished soak is still reported.
HeapProfileFindings compare_heap_profiles(const HeapProfileRequest& request, const std::vector<std::string>& profiles,
                                          const std::filesystem::path& binary);

}  // namespace memsoak::harness
