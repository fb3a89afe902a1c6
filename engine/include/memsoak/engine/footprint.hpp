#pragma once
// What each engine component retains, measured from its real containers (capacities, string buffers,
// shared frames), not estimated. The harness samples this as its "engine" layer.

#include <cstdint>
#include <string>
#include <vector>

namespace memsoak::engine {

struct ComponentFootprint {
    std::string component;       // "status_display", "chart", "transactions", "log_queue", "signals", ...
    std::string issue;           // the leak study's issue it belongs to ("issue-1".."issue-5"), empty if none
    std::uint64_t bytes = 0;     // heap bytes the component keeps alive
    std::uint64_t items = 0;     // records, figures, messages, ... (what counts is the component's own unit)
    std::uint64_t capacity = 0;  // the most items its policy keeps; 0 when unbounded (a leaky policy)
};

using Footprint = std::vector<ComponentFootprint>;

// Heap bytes held by a string beyond the object itself (zero while it fits the small-string buffer).
inline std::uint64_t heap_bytes(const std::string& s) {
    return s.capacity() > std::string().capacity() ? s.capacity() + 1 : 0;
}

template <typename T>
std::uint64_t heap_bytes(const std::vector<T>& v) {
    return v.capacity() * sizeof(T);
}

}  // namespace memsoak::engine
