// The log queue of study issue #4 between several producer threads and the GUI's consumer, with millions of
// messages: memory stays bounded by the capacity, and the counters add up at every instant, seen from a third
// thread (produced == delivered + dropped + size). scripts/ci-sanitizers.sh runs this under ThreadSanitizer.

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "memsoak/engine/log_queue.hpp"
#include "memsoak/harness/soak/samplers.hpp"

namespace memsoak::reliability {
namespace {

using engine::LogQueue;
using engine::LogQueuePolicy;
using engine::LogRecord;

constexpr int kProducers = 4;
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr std::size_t kPerProducer = 25'000;  // sanitizers make each push 5-20 times slower
#else
constexpr std::size_t kPerProducer = 500'000;  // two million messages in all
#endif
// The leaky queue keeps all it is given, about 280 bytes a message: 100 000 messages are 28 MB.
constexpr std::size_t kPerProducerLeaky = 25'000;
constexpr std::size_t kCapacity = 1000;
constexpr std::size_t kMessageBytes = 200;  // the study's "~200 bytes" per log message
constexpr std::size_t kDrainBatch = 256;
constexpr double kLiveSlackBytes = 8.0 * 1024 * 1024;
#if defined(__SANITIZE_THREAD__)
// TSan's allocator counters do not follow other threads' allocations as they happen (the leaky run reads no
// growth at all): the live-bytes checks run in the normal and ASan builds.
constexpr bool kLiveBytesMeasured = false;
#else
constexpr bool kLiveBytesMeasured = true;
#endif

// Every message has the same length (the sequence number, zero-padded), so every record retains the same bytes.
std::string message_for(std::size_t sequence) { return fmt::format("{:0>{}}", sequence, kMessageBytes); }

struct Observed {
    LogQueue::Counters counters;    // after the consumer has drained everything
    std::uint64_t received = 0;     // records the consumer drained
    bool in_order = true;           // each producer's records arrived in the order it pushed them
    bool counters_added_up = true;  // in every snapshot the observer took while the threads ran
    std::uint64_t snapshots = 0;
    std::uint64_t largest_bytes = 0;  // the largest footprint the observer saw
    double largest_live_growth = 0;   // the most the allocator's live bytes rose above where they started
};

// The allocator's live bytes, as the harness samples them: the queue's own footprint is what it says it holds,
// this is what the process really allocated.
class LiveBytes {
public:
    LiveBytes() : sampler_(harness::make_allocator_sampler()), values_(sampler_->metrics().size()) {}
    double read() {
        sampler_->sample(values_);
        return values_[0];  // allocator.live_bytes comes first for every allocator
    }

private:
    std::unique_ptr<harness::Sampler> sampler_;
    std::vector<double> values_;
};

// Producers push `per_producer` messages each; the consumer, like a frozen GUI, drains nothing until `thaw_after`
// messages were produced, then drains in batches until the producers are done and the queue is empty; an observer
// checks the counters and measures the footprint all along.
Observed run_producers_consumer_and_observer(LogQueue& queue, std::size_t per_producer, std::uint64_t thaw_after) {
    Observed observed;
    std::atomic<int> producers_running{kProducers};
    std::atomic<bool> consumer_done{false};
    LiveBytes live;
    const double live_at_start = live.read();

    std::vector<std::thread> threads;
    for (int p = 0; p < kProducers; ++p) {
        threads.emplace_back([&queue, &producers_running, per_producer, p] {
            engine::Logger logger(queue);
            for (std::size_t i = 0; i < per_producer; ++i) {
                logger.log(engine::LogLevel::info, fmt::format("producer-{}", p), message_for(i),
                           static_cast<std::int64_t>(i));
            }
            producers_running.fetch_sub(1);
        });
    }
    threads.emplace_back([&] {
        while (!consumer_done.load()) {
            const LogQueue::Counters c = queue.counters();
            observed.counters_added_up = observed.counters_added_up && c.produced == c.delivered + c.dropped + c.size;
            observed.largest_bytes = std::max(observed.largest_bytes, queue.footprint().bytes);
            observed.largest_live_growth = std::max(observed.largest_live_growth, live.read() - live_at_start);
            ++observed.snapshots;
        }
    });

    while (queue.produced() < thaw_after && producers_running.load() > 0) std::this_thread::yield();
    std::vector<std::size_t> next_expected(kProducers, 0);
    std::vector<LogRecord> batch;
    while (true) {
        const bool producers_finished = producers_running.load() == 0;  // read before draining: nothing left behind
        batch.clear();
        queue.drain(kDrainBatch, batch);
        for (const LogRecord& record : batch) {
            const auto producer = static_cast<std::size_t>(record.source.back() - '0');
            const std::size_t sequence = std::stoull(record.message);
            observed.in_order = observed.in_order && sequence >= next_expected[producer];
            next_expected[producer] = sequence + 1;
        }
        observed.received += batch.size();
        if (producers_finished && batch.empty()) break;
    }
    consumer_done.store(true);
    for (std::thread& t : threads) t.join();
    observed.counters = queue.counters();
    return observed;
}

// What a queue full of kCapacity such messages retains: the most a bounded queue may ever hold.
std::uint64_t full_queue_bytes() {
    LogQueue queue(LogQueuePolicy::bounded, kCapacity);
    for (std::size_t i = 0; i < kCapacity; ++i) {
        queue.push(LogRecord{0, engine::LogLevel::info, "producer-0", message_for(i)});
    }
    return queue.footprint().bytes;
}

TEST(LogQueueConcurrency, BoundedQueueStaysWithinItsCapacityAndTheCountsAddUp) {
    LogQueue queue(LogQueuePolicy::bounded, kCapacity);
    const Observed observed = run_producers_consumer_and_observer(queue, kPerProducer, 5 * kCapacity);
    const std::uint64_t produced = std::uint64_t{kProducers} * kPerProducer;

    EXPECT_EQ(observed.counters.produced, produced);
    EXPECT_EQ(observed.counters.delivered, observed.received);
    EXPECT_EQ(observed.counters.delivered + observed.counters.dropped, produced);
    EXPECT_EQ(observed.counters.size, 0u);
    // The frozen consumer let at least 5 x capacity in: all but the newest capacity of them were dropped.
    EXPECT_GE(observed.counters.dropped, 4 * kCapacity);
    EXPECT_EQ(observed.counters.high_water, kCapacity);
    EXPECT_TRUE(observed.in_order);
    EXPECT_TRUE(observed.counters_added_up);
    EXPECT_GT(observed.snapshots, 0u);
    EXPECT_LE(observed.largest_bytes, full_queue_bytes());
    // Measured, not self-reported: the process never held much more than a full queue. The slack covers the
    // threads' allocator caches and formatting buffers, far below the leaky queue's tens of MiB below.
    if (kLiveBytesMeasured) {
        EXPECT_LE(observed.largest_live_growth, static_cast<double>(full_queue_bytes()) + kLiveSlackBytes);
    }
    RecordProperty("largest_live_growth_bytes", static_cast<int>(observed.largest_live_growth));
}

TEST(LogQueueConcurrency, LeakyQueueHoldsEverythingAFrozenConsumerDoesNotTake) {
    // The contrast that shows the bound above is the policy's doing: the study's unbounded queue.Queue() keeps
    // every message while the GUI is frozen.
    LogQueue queue(LogQueuePolicy::leaky, kCapacity);
    const std::uint64_t produced = std::uint64_t{kProducers} * kPerProducerLeaky;
    const Observed observed = run_producers_consumer_and_observer(queue, kPerProducerLeaky, produced);

    EXPECT_EQ(observed.counters.produced, produced);
    EXPECT_EQ(observed.counters.dropped, 0u);
    EXPECT_EQ(observed.counters.delivered, produced);
    EXPECT_EQ(observed.counters.high_water, produced);
    EXPECT_TRUE(observed.in_order);
    EXPECT_TRUE(observed.counters_added_up);
    EXPECT_GT(observed.largest_bytes, 50 * full_queue_bytes());
    if (kLiveBytesMeasured) {
        EXPECT_GT(observed.largest_live_growth, 2.0 * kLiveSlackBytes);
    }
    RecordProperty("largest_live_growth_bytes", static_cast<int>(observed.largest_live_growth));
}

}  // namespace
}  // namespace memsoak::reliability
