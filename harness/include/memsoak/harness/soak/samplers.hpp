#pragma once
// Measurement plug-ins: each sampler reads one layer (the OS, the allocator, the engine's own footprint) into a
// fixed list of metrics. Samplers are called from the thread that runs the engine, between events, so a sample
// never sees the engine half way through an action.

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "memsoak/harness/result.hpp"
#include "memsoak/harness/target.hpp"

namespace memsoak::harness {

class Sampler {
public:
    virtual ~Sampler() = default;
    virtual Layer layer() const = 0;
    // Metric names, "<layer>.<what>_<unit>": fixed at construction, in the order sample() writes them.
    virtual const std::vector<std::string>& metrics() const = 0;
    // Writes one value per metric into `out` (metrics().size() slots): bytes or counts, NaN for a value that
    // could not be read this time.
    virtual void sample(std::span<double> out) = 0;
};

// The process as the kernel sees it, from /proc/self/statm (kept open and re-read with pread, ~2 us):
//   os.rss_bytes       resident set
//   os.rss_file_bytes  statm's "shared": resident pages backed by files plus shared memory (RssFile + RssShmem)
//   os.rss_anon_bytes  resident minus shared: private anonymous memory, where the heap lives (RssAnon)
//   os.rss_peak_bytes  the resident high-water mark (VmHWM). Read from getrusage's ru_maxrss (KiB, ~1.5 us), the
//                      same counter, except that the kernel carries ru_maxrss over fork and exec: a process started
//                      by a larger one reports its parent's peak (measured: 313 MiB in a 1.5 MiB child). When
//                      ru_maxrss exceeds VmHWM at construction, the sampler reads VmHWM from /proc/self/status
//                      (~10 us) instead. The kernel keeps the mark from approximate per-CPU counters, while statm
//                      sums them exactly (Linux 6.18), so it can lag the resident set: the sampler reports the
//                      larger of the kernel's figure and every os.rss_bytes it has read, so the peak is never below
//                      a sample.
// Throws harness::Error when /proc/self/statm cannot be opened (no procfs: leave the os layer out).
std::unique_ptr<Sampler> make_os_sampler();

// The allocator that serves malloc, found at run time with dlsym so that the harness links none of them:
// "mimalloc" when mi_process_info is present, "tcmalloc" when MallocExtension_GetNumericProperty is,
// "sanitizer" when __sanitizer_get_current_allocated_bytes is (ASan and TSan builds replace malloc), else
// "glibc". The executable links at most one (docs/architecture.md); LD_PRELOAD is detected the same way.
std::string_view allocator_name();

// The allocator's own counters. Which metrics exist depends on the allocator:
//   allocator.live_bytes       bytes in live allocations
//       mimalloc: the blocks in use in the sampling thread's default heap, by walking its pages
//                 (mi_heap_visit_blocks without visiting blocks: used blocks * block size; 5 us for the engine's
//                 230 MiB heap at the end of a leaky production day, 8 us for 400 000 small blocks). Memory
//                 allocated by other threads is not counted: in memsoak the sampling thread runs the engine.
//       tcmalloc: generic.current_allocated_bytes. sanitizer: __sanitizer_get_current_allocated_bytes.
//       glibc: mallinfo2 uordblks + hblkhd (mallinfo2 walks the free chunks: well under 1 us on the engine's
//       heap, but tens of milliseconds on a badly fragmented one).
//   allocator.committed_bytes  memory the allocator holds from the OS
//       mimalloc: mi_process_info's current_commit. tcmalloc: generic.heap_size minus
//       tcmalloc.pageheap_unmapped_bytes (heap_size keeps counting released pages). sanitizer:
//       __sanitizer_get_heap_size. glibc: arena + hblkhd.
//   allocator.free_bytes       free memory the allocator keeps for reuse (tcmalloc: pageheap_free_bytes, glibc:
//                              fordblks; not for mimalloc, whose free space is not reported process-wide, nor
//                              for the sanitizers, whose free bytes include their quarantine)
//   allocator.unmapped_bytes   tcmalloc only: pages returned to the OS but still reserved (pageheap_unmapped_bytes)
std::unique_ptr<Sampler> make_allocator_sampler();
// Every metric above, whichever allocator provides it: a ledger may name one that this allocator lacks (it is then
// not measured), but not one that no allocator has (a typo).
const std::vector<std::string>& any_allocator_metrics();

// The allocator checkpoint: hands free memory back to the OS so that retained-but-free pages do not read as
// growth (the role a forced GC plays in browser memory tests). mimalloc: mi_collect(true); tcmalloc:
// MallocExtension_ReleaseFreeMemory(); sanitizer: __sanitizer_purge_allocator(); glibc: malloc_trim(0).
void purge_allocator();

// The engine's footprint through the Target: engine.<component>.bytes and engine.<component>.items for each
// component of the first footprint, in its order. A component that later disappears reads NaN; one that appears
// later is not sampled (the metric list is fixed). `target` must outlive the sampler.
std::unique_ptr<Sampler> make_engine_sampler(const Target& target);

}  // namespace memsoak::harness
