// The allocator layer: which allocator serves malloc, its counters and its checkpoint. Every allocator-specific
// function is looked up with dlsym, so the harness library links none of them and one harness serves the
// mimalloc, tcmalloc and glibc executables (and LD_PRELOAD). The headers are included only for the functions'
// types; the sanitizer runtime's allocator interface has no header in GCC 12, so its types are spelled here.

#include <dlfcn.h>
#include <malloc.h>

#include <gperftools/malloc_extension_c.h>
#include <mimalloc.h>

#include <limits>

#include "memsoak/harness/soak/samplers.hpp"

namespace memsoak::harness {
namespace {

// The allocator layer's metric names (result.hpp); short, for the lists below.
namespace am = metrics::allocator;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum class AllocatorKind { mimalloc, tcmalloc, sanitizer, glibc };

struct MimallocApi {
    decltype(&mi_process_info) process_info = nullptr;
    decltype(&mi_heap_get_default) heap_get_default = nullptr;
    decltype(&mi_heap_visit_blocks) heap_visit_blocks = nullptr;
    decltype(&mi_collect) collect = nullptr;
};

struct TcmallocApi {
    decltype(&MallocExtension_GetNumericProperty) get_numeric_property = nullptr;
    decltype(&MallocExtension_ReleaseFreeMemory) release_free_memory = nullptr;
};

// compiler-rt's sanitizer_common/sanitizer_allocator_interface.h, exported by libasan and libtsan.
struct SanitizerApi {
    std::size_t (*get_current_allocated_bytes)() = nullptr;
    std::size_t (*get_heap_size)() = nullptr;
    void (*purge_allocator)() = nullptr;
};

struct AllocatorApi {
    AllocatorKind kind = AllocatorKind::glibc;
    MimallocApi mimalloc;
    TcmallocApi tcmalloc;
    SanitizerApi sanitizer;
};

template <typename Function>
Function lookup(const char* name) {
    return reinterpret_cast<Function>(::dlsym(RTLD_DEFAULT, name));
}

AllocatorApi detect_allocator() {
    AllocatorApi api;
    MimallocApi& mi = api.mimalloc;
    mi.process_info = lookup<decltype(mi.process_info)>("mi_process_info");
    mi.heap_get_default = lookup<decltype(mi.heap_get_default)>("mi_heap_get_default");
    mi.heap_visit_blocks = lookup<decltype(mi.heap_visit_blocks)>("mi_heap_visit_blocks");
    mi.collect = lookup<decltype(mi.collect)>("mi_collect");
    if (mi.process_info && mi.heap_get_default && mi.heap_visit_blocks && mi.collect) {
        api.kind = AllocatorKind::mimalloc;
        return api;
    }
    TcmallocApi& tc = api.tcmalloc;
    tc.get_numeric_property = lookup<decltype(tc.get_numeric_property)>("MallocExtension_GetNumericProperty");
    tc.release_free_memory = lookup<decltype(tc.release_free_memory)>("MallocExtension_ReleaseFreeMemory");
    if (tc.get_numeric_property && tc.release_free_memory) {
        api.kind = AllocatorKind::tcmalloc;
        return api;
    }
    // ASan and TSan replace malloc with their own allocator: glibc's counters would read a heap nobody uses.
    SanitizerApi& sanitizer = api.sanitizer;
    sanitizer.get_current_allocated_bytes =
        lookup<decltype(sanitizer.get_current_allocated_bytes)>("__sanitizer_get_current_allocated_bytes");
    sanitizer.get_heap_size = lookup<decltype(sanitizer.get_heap_size)>("__sanitizer_get_heap_size");
    sanitizer.purge_allocator = lookup<decltype(sanitizer.purge_allocator)>("__sanitizer_purge_allocator");
    if (sanitizer.get_current_allocated_bytes && sanitizer.get_heap_size && sanitizer.purge_allocator) {
        api.kind = AllocatorKind::sanitizer;
    }
    return api;
}

// Detected once: the allocator that serves malloc cannot change while the process runs.
const AllocatorApi& allocator_api() {
    static const AllocatorApi api = detect_allocator();
    return api;
}

class MimallocSampler final : public Sampler {
public:
    explicit MimallocSampler(const MimallocApi& api) : api_(api) {}

    Layer layer() const override { return Layer::allocator; }
    const std::vector<std::string>& metrics() const override { return metrics_; }

    void sample(std::span<double> out) override {
        std::size_t live = 0;
        api_.heap_visit_blocks(api_.heap_get_default(), /*visit_all_blocks=*/false, add_used_bytes, &live);
        out[0] = static_cast<double>(live);

        std::size_t elapsed_ms, user_ms, system_ms, current_rss, peak_rss, current_commit, peak_commit, faults;
        api_.process_info(&elapsed_ms, &user_ms, &system_ms, &current_rss, &peak_rss, &current_commit, &peak_commit,
                          &faults);
        out[1] = static_cast<double>(current_commit);
    }

private:
    // Called once per page (area) of the heap: all blocks in an area have one size.
    static bool add_used_bytes(const mi_heap_t*, const mi_heap_area_t* area, void*, std::size_t, void* live) {
        *static_cast<std::size_t*>(live) += area->used * area->block_size;
        return true;
    }

    const MimallocApi& api_;
    const std::vector<std::string> metrics_{std::string(am::live_bytes), std::string(am::committed_bytes)};
};

class TcmallocSampler final : public Sampler {
public:
    explicit TcmallocSampler(const TcmallocApi& api) : api_(api) {}

    Layer layer() const override { return Layer::allocator; }
    const std::vector<std::string>& metrics() const override { return metrics_; }

    void sample(std::span<double> out) override {
        const double heap_size = property("generic.heap_size");
        const double unmapped = property("tcmalloc.pageheap_unmapped_bytes");
        out[0] = property("generic.current_allocated_bytes");
        out[1] = heap_size - unmapped;
        out[2] = property("tcmalloc.pageheap_free_bytes");
        out[3] = unmapped;
    }

private:
    double property(const char* name) const {
        std::size_t value = 0;
        return api_.get_numeric_property(name, &value) ? static_cast<double>(value) : kNaN;
    }

    const TcmallocApi& api_;
    const std::vector<std::string> metrics_{std::string(am::live_bytes), std::string(am::committed_bytes),
                                            std::string(am::free_bytes), std::string(am::unmapped_bytes)};
};

class SanitizerSampler final : public Sampler {
public:
    explicit SanitizerSampler(const SanitizerApi& api) : api_(api) {}

    Layer layer() const override { return Layer::allocator; }
    const std::vector<std::string>& metrics() const override { return metrics_; }

    void sample(std::span<double> out) override {
        out[0] = static_cast<double>(api_.get_current_allocated_bytes());
        out[1] = static_cast<double>(api_.get_heap_size());
    }

private:
    const SanitizerApi& api_;
    const std::vector<std::string> metrics_{std::string(am::live_bytes), std::string(am::committed_bytes)};
};

class GlibcSampler final : public Sampler {
public:
    Layer layer() const override { return Layer::allocator; }
    const std::vector<std::string>& metrics() const override { return metrics_; }

    void sample(std::span<double> out) override {
        // mallinfo2 walks every free chunk of every arena: its cost grows with fragmentation, not with the heap.
        // 0.1-0.4 us on the engine's heap after a production day; 84 ms on a synthetic heap of 133 000 scattered
        // free chunks. glibc is the fallback allocator (sanitizer builds, heaptrack); soak with mimalloc.
        const struct mallinfo2 info = ::mallinfo2();
        out[0] = static_cast<double>(info.uordblks + info.hblkhd);
        out[1] = static_cast<double>(info.arena + info.hblkhd);
        out[2] = static_cast<double>(info.fordblks);
    }

private:
    const std::vector<std::string> metrics_{std::string(am::live_bytes), std::string(am::committed_bytes),
                                            std::string(am::free_bytes)};
};

}  // namespace

std::string_view allocator_name() {
    switch (allocator_api().kind) {
        case AllocatorKind::mimalloc: return "mimalloc";
        case AllocatorKind::tcmalloc: return "tcmalloc";
        case AllocatorKind::sanitizer: return "sanitizer";
        case AllocatorKind::glibc: return "glibc";
    }
    return "unknown";
}

const std::vector<std::string>& any_allocator_metrics() {
    static const std::vector<std::string> metrics{std::string(am::live_bytes), std::string(am::committed_bytes),
                                                  std::string(am::free_bytes), std::string(am::unmapped_bytes)};
    return metrics;
}

std::unique_ptr<Sampler> make_allocator_sampler() {
    const AllocatorApi& api = allocator_api();
    switch (api.kind) {
        case AllocatorKind::mimalloc: return std::make_unique<MimallocSampler>(api.mimalloc);
        case AllocatorKind::tcmalloc: return std::make_unique<TcmallocSampler>(api.tcmalloc);
        case AllocatorKind::sanitizer: return std::make_unique<SanitizerSampler>(api.sanitizer);
        case AllocatorKind::glibc: break;
    }
    return std::make_unique<GlibcSampler>();
}

void purge_allocator() {
    const AllocatorApi& api = allocator_api();
    switch (api.kind) {
        case AllocatorKind::mimalloc: api.mimalloc.collect(/*force=*/true); return;
        case AllocatorKind::tcmalloc: api.tcmalloc.release_free_memory(); return;
        case AllocatorKind::sanitizer: api.sanitizer.purge_allocator(); return;
        case AllocatorKind::glibc: ::malloc_trim(0); return;
    }
}

}  // namespace memsoak::harness
