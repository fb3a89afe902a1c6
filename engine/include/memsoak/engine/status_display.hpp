#pragma once
// Study issue #1 (gui_app.py:1000): the GUI's status display and the analysis result it keeps. The leaky policy
// keeps every Analysis it is shown, each holding its price frame (the study's 2-5 MB DataFrame) alive. The fixes:
// option 1 keeps only the latest analysis with its frame dropped, option 2 (default) keeps a summary, option 3
// keeps the last history_limit analyses with their frames dropped.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_set>

#include "memsoak/engine/analyzer.hpp"
#include "memsoak/engine/footprint.hpp"
#include "memsoak/engine/policies.hpp"
#include "memsoak/engine/ring_buffer.hpp"

namespace memsoak::engine {

// What option 2 keeps: the study's summary dict.
struct StatusSummary {
    TradeAction action = TradeAction::hold;
    double confidence = 0;
    double current_price = 0;  // the last close of the analysed frame
    Signals signals;
    RiskMetrics risk_metrics;
    std::int64_t timestamp = 0;  // when the display was updated, Unix seconds
};

class StatusDisplay {
public:
    // history_limit is N of StatusPolicy::bounded_history (>= 1); the other policies ignore it.
    explicit StatusDisplay(StatusPolicy policy, std::size_t history_limit = 10);

    // Shows a new analysis; `timestamp` is when (Unix seconds), the study's current_status['timestamp'].
    void update(const Analysis& analysis, std::int64_t timestamp);

    // What the display shows: the latest analysis. Before the first update() the accessors throw engine::Error.
    bool has_status() const { return summary_.has_value() || !shown_.empty(); }
    TradeAction action() const;
    double confidence() const;
    double current_price() const;
    const Signals& signals() const;
    const RiskMetrics& risk_metrics() const;
    std::int64_t updated_at() const;

    StatusPolicy policy() const { return policy_; }
    // Analyses (or summaries) kept, and the distinct price frames they keep alive.
    std::size_t analyses_kept() const { return summary_ ? 1 : shown_.size(); }
    std::size_t frames_kept() const { return frames_.size(); }

    // Component "status_display", issue "issue-1"; items are the analyses kept. Bytes include every frame kept
    // alive, each counted once however many kept analyses share it.
    ComponentFootprint footprint() const;

private:
    struct ShownAnalysis {
        Analysis analysis;
        std::int64_t updated_at = 0;
    };
    const ShownAnalysis& latest() const;

    StatusPolicy policy_;
    RingBuffer<ShownAnalysis> shown_;               // leaky: all; drop_frame: the latest; bounded_history: the last N
    std::optional<StatusSummary> summary_;          // summary
    std::uint64_t kept_heap_bytes_ = 0;             // heap owned by the analyses or summary kept, frames excluded
    std::unordered_set<const PriceFrame*> frames_;  // frames kept alive (leaky only)
    std::uint64_t frame_bytes_ = 0;                 // sum of retained_bytes() over frames_
};

}  // namespace memsoak::engine
