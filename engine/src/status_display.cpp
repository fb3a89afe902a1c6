#include "memsoak/engine/status_display.hpp"

#include <fmt/format.h>

#include "memsoak/engine/error.hpp"

namespace memsoak::engine {
namespace {

std::size_t analyses_bound(StatusPolicy policy, std::size_t history_limit) {
    switch (policy) {
        case StatusPolicy::leaky: return RingBuffer<Analysis>::unbounded;
        case StatusPolicy::drop_frame:
        case StatusPolicy::summary: return 1;  // for summary unused: the summary is kept instead
        case StatusPolicy::bounded_history: return history_limit;
    }
    return 1;
}

std::uint64_t signals_heap_bytes(const Signals& signals) {
    std::uint64_t bytes = heap_bytes(signals.readings) + heap_bytes(signals.reasons);
    for (const auto& [name, value] : signals.readings) bytes += heap_bytes(name);
    for (const std::string& reason : signals.reasons) bytes += heap_bytes(reason);
    return bytes;
}

}  // namespace

StatusDisplay::StatusDisplay(StatusPolicy policy, std::size_t history_limit)
    : policy_(policy), shown_(analyses_bound(policy, history_limit)) {
    if (history_limit == 0) throw Error("status display: history_limit must be at least 1, got 0");
}

void StatusDisplay::update(const Analysis& analysis, std::int64_t timestamp) {
    if (policy_ == StatusPolicy::summary) {
        // Replaced wholesale, like the study's dict: the signals are copied, never the frame.
        if (summary_) kept_heap_bytes_ -= signals_heap_bytes(summary_->signals);
        summary_ = StatusSummary{analysis.action,  analysis.confidence,   analysis.last_price,
                                 analysis.signals, analysis.risk_metrics, timestamp};
        kept_heap_bytes_ += signals_heap_bytes(summary_->signals);
        return;
    }
    ShownAnalysis& slot = shown_.next_slot();  // the oldest kept analysis once the bound is reached
    kept_heap_bytes_ -= signals_heap_bytes(slot.analysis.signals);
    slot = ShownAnalysis{analysis, timestamp};
    kept_heap_bytes_ += signals_heap_bytes(slot.analysis.signals);
    if (policy_ != StatusPolicy::leaky) {
        slot.analysis.price_data.reset();  // option 1's analysis_copy.pop('price_data')
    } else if (const PriceFrame* frame = slot.analysis.price_data.get(); frame && frames_.insert(frame).second) {
        // Leaky analyses are never evicted, so a frame once kept stays kept (and its address stays unique).
        frame_bytes_ += frame->retained_bytes();
    }
}

const StatusDisplay::ShownAnalysis& StatusDisplay::latest() const {
    if (shown_.empty()) throw Error("status display: nothing shown yet (update() has not been called)");
    return shown_.newest();
}

TradeAction StatusDisplay::action() const { return summary_ ? summary_->action : latest().analysis.action; }

double StatusDisplay::confidence() const { return summary_ ? summary_->confidence : latest().analysis.confidence; }

double StatusDisplay::current_price() const {
    return summary_ ? summary_->current_price : latest().analysis.last_price;
}

const Signals& StatusDisplay::signals() const { return summary_ ? summary_->signals : latest().analysis.signals; }

const RiskMetrics& StatusDisplay::risk_metrics() const {
    return summary_ ? summary_->risk_metrics : latest().analysis.risk_metrics;
}

std::int64_t StatusDisplay::updated_at() const { return summary_ ? summary_->timestamp : latest().updated_at; }

ComponentFootprint StatusDisplay::footprint() const {
    std::uint64_t own = summary_ ? sizeof(StatusSummary) : shown_.slot_bytes();
    return {std::string(component_of(StudyIssue::issue_1)), std::string(to_string(StudyIssue::issue_1)),
            own + kept_heap_bytes_ + frame_bytes_, analyses_kept()};
}

}  // namespace memsoak::engine
