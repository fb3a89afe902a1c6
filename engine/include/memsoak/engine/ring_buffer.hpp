#pragma once
// The container behind the engine's histories and queues: a FIFO of at most max_size() elements in one slot
// array. Appending to a full ring reuses the oldest slot, so a bounded history allocates nothing per append once
// full, and what it retains is exactly slot_bytes() plus the heap its elements own. With max_size() unbounded it
// behaves as a growing vector (the leaky policies).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

namespace memsoak::engine {

template <typename T>
class RingBuffer {
public:
    static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

    explicit RingBuffer(std::size_t max_size = unbounded) : max_size_(std::max<std::size_t>(max_size, 1)) {}

    std::size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    bool full() const { return count_ == max_size_; }
    std::size_t max_size() const { return max_size_; }
    // Slots allocated (used or not): the ring's own memory is slot_bytes() = slots() * sizeof(T).
    std::size_t slots() const { return slots_.size(); }
    std::uint64_t slot_bytes() const { return slots_.size() * sizeof(T); }

    // 0 is the oldest element, size() - 1 the newest.
    const T& operator[](std::size_t i) const { return slots_[physical(i)]; }
    T& operator[](std::size_t i) { return slots_[physical(i)]; }
    const T& newest() const { return (*this)[count_ - 1]; }

    // The slot the next element goes to, now counted as the newest: a default-constructed element while the ring
    // is below max_size(), otherwise the oldest element, which the caller overwrites. Measure what an overwritten
    // slot owns after the assignment: a std::string assigned a short string keeps its old heap buffer.
    T& next_slot() {
        if (count_ == max_size_) {
            T& oldest = slots_[head_];
            advance_head(1);
            return oldest;
        }
        if (count_ == slots_.size()) reallocate(grown_slot_count());
        ++count_;
        return slots_[physical(count_ - 1)];
    }

    void push_back(T value) { next_slot() = std::move(value); }

    // Removes and returns the oldest element; its slot is left owning no heap.
    T pop_front() {
        T value = std::move(slots_[head_]);  // a moved-from std::string or std::vector owns no heap
        slots_[head_] = T{};
        advance_head(1);
        --count_;
        return value;
    }

    // Rotates the slots so that the elements lie in order from the first slot, and returns them as one span
    // (for writing a run of them at once). O(slots()) moves.
    std::span<T> linearize() {
        std::rotate(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(head_), slots_.end());
        head_ = 0;
        return std::span<T>(slots_.data(), count_);
    }

    // Removes the n oldest elements (n <= size()).
    void erase_oldest(std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) release(slots_[physical(i)]);
        if (n > 0) advance_head(n);
        count_ -= n;
    }

    // Gives back slots while the ring is at most a quarter full, halving (never below min_slots) until it is not,
    // so that a queue which drained after a burst releases its memory as a linked deque would. The quarter
    // threshold keeps a ring that fills and drains around one size from reallocating on every call.
    void shrink_if_sparse(std::size_t min_slots) {
        std::size_t slot_count = slots_.size();
        while (slot_count > min_slots && count_ <= slot_count / 4) slot_count /= 2;
        slot_count = std::max(slot_count, std::min(min_slots, slots_.size()));
        if (slot_count < slots_.size()) reallocate(slot_count);
    }

private:
    // Frees what the slot owns. Assigning T{} would not: a std::string move-assigned a short string keeps its
    // heap buffer. Moving out (which steals the buffers) and resetting does.
    static void release(T& slot) {
        [[maybe_unused]] T released = std::move(slot);
        slot = T{};
    }

    // Index arithmetic without a division: head_ and i are both below slots_.size().
    std::size_t physical(std::size_t i) const {
        std::size_t p = head_ + i;
        return p >= slots_.size() ? p - slots_.size() : p;
    }
    void advance_head(std::size_t n) { head_ = physical(n == slots_.size() ? 0 : n); }

    // Doubling keeps appends amortised O(1); the bound caps the last step so a full ring holds exactly max_size().
    std::size_t grown_slot_count() const {
        constexpr std::size_t kFirstAllocation = 16;
        std::size_t wanted = slots_.empty() ? kFirstAllocation : slots_.size() * 2;
        return std::min(wanted, max_size_);
    }

    void reallocate(std::size_t slot_count) {
        std::vector<T> moved(slot_count);
        for (std::size_t i = 0; i < count_; ++i) moved[i] = std::move(slots_[physical(i)]);
        slots_ = std::move(moved);
        head_ = 0;
    }

    std::size_t max_size_;
    std::vector<T> slots_;  // slots_.size() is the allocation; elements live at [head_, head_ + count_) mod size
    std::size_t head_ = 0;
    std::size_t count_ = 0;
};

}  // namespace memsoak::engine
