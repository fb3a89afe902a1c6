#include <gtest/gtest.h>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/log_queue.hpp"
#include "support/errors.hpp"

namespace memsoak::engine {
namespace {

// A message of the study's ~200 bytes; its buffer is exactly 201 bytes on the heap (capacity + terminator).
std::string study_sized_message(std::size_t i) {
    std::string text =
        "order book refreshed: 20 levels, best bid/ask updated, spread within limits, sequence " + std::to_string(i);
    text.resize(200, '.');
    return text;
}

std::vector<std::string> drain_messages(LogQueue& queue) {
    std::vector<LogRecord> records;
    queue.drain(queue.size(), records);
    std::vector<std::string> messages;
    for (const LogRecord& r : records) messages.push_back(r.message);
    return messages;
}

TEST(LogQueue, BoundedDropsTheOldestAndCountsIt) {
    LogQueue queue(LogQueuePolicy::bounded, 3);
    Logger logger(queue);
    for (int i = 0; i < 5; ++i) logger.log(LogLevel::info, "trader", "m" + std::to_string(i), 100 + i);

    EXPECT_EQ(queue.size(), 3u);
    EXPECT_EQ(queue.dropped(), 2u);
    EXPECT_EQ(drain_messages(queue), (std::vector<std::string>{"m2", "m3", "m4"}));
    LogQueue::Counters c = queue.counters();
    EXPECT_EQ(c.produced, 5u);
    EXPECT_EQ(c.delivered, 3u);
    EXPECT_EQ(c.dropped, 2u);
    EXPECT_EQ(c.size, 0u);
    EXPECT_EQ(c.high_water, 3u);
}

TEST(LogQueue, LeakyKeepsEveryMessage) {
    LogQueue queue(LogQueuePolicy::leaky, 3);
    Logger logger(queue);
    for (int i = 0; i < 5; ++i) logger.log(LogLevel::debug, "trader", "m" + std::to_string(i), 100 + i);
    EXPECT_EQ(queue.dropped(), 0u);
    EXPECT_EQ(drain_messages(queue), (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4"}));
}

TEST(LogQueue, DrainTakesTheOldestFirstAndCountersAddUp) {
    LogQueue queue(LogQueuePolicy::bounded, 4);
    Logger logger(queue);
    std::vector<LogRecord> out;
    for (int i = 0; i < 10; ++i) {
        logger.log(LogLevel::warning, "risk", "w" + std::to_string(i), i);
        if (i % 3 == 2) {
            EXPECT_EQ(queue.drain(2, out), 2u);
        }
        LogQueue::Counters c = queue.counters();
        EXPECT_EQ(c.produced, c.delivered + c.dropped + c.size) << "after push " << i;
    }
    // Pushes 0-2, drain w0 w1; 3-5, drain w2 w3; 6-8 (queue w4..w8 is 5 > 4: w4 dropped), drain w5 w6; then w9.
    std::vector<std::string> delivered;
    for (const LogRecord& r : out) delivered.push_back(r.message);
    EXPECT_EQ(delivered, (std::vector<std::string>{"w0", "w1", "w2", "w3", "w5", "w6"}));
    EXPECT_EQ(queue.dropped(), 1u);
    EXPECT_EQ(drain_messages(queue), (std::vector<std::string>{"w7", "w8", "w9"}));
    EXPECT_EQ(out.front().level, LogLevel::warning);
    EXPECT_EQ(out.front().source, "risk");
}

TEST(LogQueue, FootprintCountsSlotsAndMessageBuffers) {
    LogQueue queue(LogQueuePolicy::bounded, 4);
    Logger logger(queue);
    for (std::size_t i = 0; i < 6; ++i) {
        logger.log(LogLevel::info, "feed", study_sized_message(i), static_cast<std::int64_t>(i));
    }
    ComponentFootprint f = queue.footprint();
    EXPECT_EQ(f.component, "log_queue");
    EXPECT_EQ(f.issue, "issue-4");
    EXPECT_EQ(f.items, 4u);
    // Four slots, four 200-character messages (201 heap bytes each); "feed" fits the small-string buffer.
    EXPECT_EQ(f.bytes, 4 * sizeof(LogRecord) + 4 * 201);
}

TEST(LogQueue, FrozenConsumerLeakyGrowsBoundedStaysAtCapacity) {
    constexpr std::size_t kCapacity = 200;
    LogQueue leaky(LogQueuePolicy::leaky, kCapacity);
    LogQueue bounded(LogQueuePolicy::bounded, kCapacity);
    for (std::size_t i = 0; i < 5000; ++i) {
        leaky.push(LogRecord{static_cast<std::int64_t>(i), LogLevel::info, "market_data", study_sized_message(i)});
        bounded.push(LogRecord{static_cast<std::int64_t>(i), LogLevel::info, "market_data", study_sized_message(i)});
    }
    ComponentFootprint grown = leaky.footprint();
    ComponentFootprint capped = bounded.footprint();
    EXPECT_EQ(grown.items, 5000u);
    EXPECT_EQ(capped.items, kCapacity);
    EXPECT_EQ(capped.bytes, kCapacity * (sizeof(LogRecord) + 201));
    EXPECT_GT(grown.bytes, 10 * capped.bytes);
    EXPECT_EQ(bounded.dropped(), 5000 - kCapacity);

    // Once the GUI catches up, the drained leaky queue gives its slots back.
    std::vector<LogRecord> out;
    leaky.drain(5000, out);
    EXPECT_EQ(leaky.footprint().bytes, 16 * sizeof(LogRecord));
}

TEST(LogQueue, ProducersOnFourThreadsAndOneConsumer) {
    constexpr int kProducers = 4;
    constexpr int kPerProducer = 250'000;
    constexpr std::size_t kCapacity = 1000;
    LogQueue queue(LogQueuePolicy::bounded, kCapacity);
    std::atomic<int> producers_running{kProducers};
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([&queue, &producers_running, p] {
            Logger logger(queue);
            // The message is the sequence number, so the consumer can check per-producer order.
            for (int i = 0; i < kPerProducer; ++i) logger.log(LogLevel::info, std::to_string(p), std::to_string(i), i);
            producers_running.fetch_sub(1);
        });
    }

    std::vector<int> last_seen(kProducers, -1);
    bool in_order = true;
    std::uint64_t received = 0;
    std::vector<LogRecord> batch;
    while (true) {
        bool finished = producers_running.load() == 0;  // read before draining, so nothing is left behind
        batch.clear();
        queue.drain(256, batch);
        for (const LogRecord& r : batch) {
            // .at: a source that is not one of the producers above fails the test instead of reading past the end.
            const auto producer = static_cast<std::size_t>(std::stoi(r.source));
            int sequence = std::stoi(r.message);
            in_order = in_order && sequence > last_seen.at(producer);
            last_seen.at(producer) = sequence;
        }
        received += batch.size();
        if (finished && batch.empty()) break;
    }
    for (std::thread& t : producers) t.join();

    LogQueue::Counters c = queue.counters();
    EXPECT_TRUE(in_order);
    EXPECT_EQ(c.produced, std::uint64_t{kProducers} * kPerProducer);
    EXPECT_EQ(c.delivered, received);
    EXPECT_EQ(c.delivered + c.dropped, c.produced);
    EXPECT_EQ(c.size, 0u);
    EXPECT_LE(c.high_water, kCapacity);
}

TEST(LogQueue, RejectsZeroCapacity) {
    testing::expect_error<Error>([&] { LogQueue queue(LogQueuePolicy::bounded, 0); },
                                 "log queue: capacity must be at least 1, got 0");
}

class LogPaneTest : public ::testing::Test {
protected:
    void log_numbered(int count) {
        for (int i = 0; i < count; ++i) {
            logger_.log(LogLevel::info, "market_data", "message " + std::to_string(i), 1609459200 + i);
        }
    }
    LogQueue queue_{LogQueuePolicy::bounded, 1000};
    Logger logger_{queue_};
};

TEST_F(LogPaneTest, ShowsFormattedLines) {
    LogPane pane(queue_, 100.0);
    logger_.log(LogLevel::warning, "risk", "drawdown 4.1% exceeds 4%", 1609459200 + 3723);
    EXPECT_EQ(pane.pump(1.0), 1u);
    ASSERT_EQ(pane.line_count(), 1u);
    EXPECT_EQ(pane.line(0), "2021-01-01 01:02:03 WARNING risk: drawdown 4.1% exceeds 4%");
}

TEST_F(LogPaneTest, DrainsAtItsRateCarryingTheFraction) {
    LogPane pane(queue_, 2.5);
    log_numbered(100);
    EXPECT_EQ(pane.pump(1.0), 2u);          // 2.5: two shown, half carried
    EXPECT_EQ(pane.pump(1.0), 3u);          // 0.5 + 2.5
    EXPECT_EQ(pane.pump(0.2), 0u);          // 0.5
    EXPECT_EQ(pane.pump(0.2), 1u);          // 0.5 + 0.5
    EXPECT_EQ(pane.pump(40.0), 100u - 6u);  // 100 allowed, 94 waiting
    EXPECT_EQ(pane.lines_shown(), 100u);
    EXPECT_EQ(pane.line(0), "2021-01-01 00:00:00 INFO    market_data: message 0");
    EXPECT_EQ(pane.line(99), "2021-01-01 00:01:39 INFO    market_data: message 99");
    // Capacity unused while the queue was empty is not saved up for a burst later.
    log_numbered(10);
    EXPECT_EQ(pane.pump(1.0), 2u);
}

TEST_F(LogPaneTest, FrozenPaneDrainsNothingUntilThawed) {
    LogPane pane(queue_, 10.0);
    log_numbered(50);
    pane.set_frozen(true);
    EXPECT_EQ(pane.pump(60.0), 0u);
    EXPECT_EQ(queue_.size(), 50u);
    pane.set_frozen(false);
    EXPECT_EQ(pane.pump(1.0), 10u);  // no budget accrued while frozen
    EXPECT_EQ(queue_.size(), 40u);
}

TEST_F(LogPaneTest, KeepsTheLastMaxLines) {
    LogPane pane(queue_, 1000.0, 3);
    log_numbered(5);
    pane.pump(1.0);
    ASSERT_EQ(pane.line_count(), 3u);
    EXPECT_EQ(pane.line(0), "2021-01-01 00:00:02 INFO    market_data: message 2");
    EXPECT_EQ(pane.line(2), "2021-01-01 00:00:04 INFO    market_data: message 4");
    EXPECT_EQ(pane.lines_shown(), 5u);
    ComponentFootprint f = pane.footprint();
    EXPECT_EQ(f.component, "log_pane");
    EXPECT_EQ(f.issue, "");
    EXPECT_EQ(f.items, 3u);

    // Bounded: more lines of the same length reuse the scrolled-out lines' buffers and retain the same bytes.
    log_numbered(5);
    pane.pump(1.0);
    EXPECT_EQ(pane.footprint().bytes, f.bytes);
}

TEST_F(LogPaneTest, RejectsANonPositiveRate) {
    testing::expect_error<Error>([&] { LogPane pane(queue_, 0.0); },
                                 "log pane: drain rate must be a positive number of messages per second, got 0");
}

}  // namespace
}  // namespace memsoak::engine
