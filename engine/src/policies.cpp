#include "memsoak/engine/policies.hpp"

#include <fmt/format.h>
#include <array>
#include <utility>

#include "memsoak/engine/error.hpp"

namespace memsoak::engine {
namespace {

template <typename Policy, std::size_t N>
using NameTable = std::array<std::pair<Policy, std::string_view>, N>;

constexpr NameTable<StatusPolicy, 4> kStatusNames{{{StatusPolicy::leaky, "leaky"},
                                                   {StatusPolicy::drop_frame, "drop-frame"},
                                                   {StatusPolicy::summary, "summary"},
                                                   {StatusPolicy::bounded_history, "bounded-history"}}};
constexpr NameTable<ChartPolicy, 2> kChartNames{
    {{ChartPolicy::leaky, "leaky"}, {ChartPolicy::close_before_redraw, "close-before-redraw"}}};
constexpr NameTable<TransactionPolicy, 3> kTransactionNames{{{TransactionPolicy::leaky, "leaky"},
                                                             {TransactionPolicy::ring_buffer, "ring-buffer"},
                                                             {TransactionPolicy::archive, "archive"}}};
constexpr NameTable<LogQueuePolicy, 2> kLogQueueNames{
    {{LogQueuePolicy::leaky, "leaky"}, {LogQueuePolicy::bounded, "bounded"}}};
constexpr NameTable<SignalPolicy, 2> kSignalNames{{{SignalPolicy::leaky, "leaky"}, {SignalPolicy::capped, "capped"}}};

template <typename Policy, std::size_t N>
std::string_view name_of(const NameTable<Policy, N>& table, Policy p) {
    for (const auto& [policy, name] : table) {
        if (policy == p) return name;
    }
    return "unknown";
}

template <typename Policy, std::size_t N>
Policy parse(const NameTable<Policy, N>& table, std::string_view site, std::string_view name) {
    std::string valid;
    for (const auto& [policy, policy_name] : table) {
        if (policy_name == name) return policy;
        valid += fmt::format("{}\"{}\"", valid.empty() ? "" : ", ", policy_name);
    }
    throw Error(fmt::format("unknown {} policy \"{}\": expected one of {}", site, name, valid));
}

}  // namespace

std::string_view to_string(StatusPolicy p) { return name_of(kStatusNames, p); }
std::string_view to_string(ChartPolicy p) { return name_of(kChartNames, p); }
std::string_view to_string(TransactionPolicy p) { return name_of(kTransactionNames, p); }
std::string_view to_string(LogQueuePolicy p) { return name_of(kLogQueueNames, p); }
std::string_view to_string(SignalPolicy p) { return name_of(kSignalNames, p); }

StatusPolicy parse_status_policy(std::string_view n) { return parse(kStatusNames, "status display (issue-1)", n); }
ChartPolicy parse_chart_policy(std::string_view n) { return parse(kChartNames, "chart (issue-2)", n); }
TransactionPolicy parse_transaction_policy(std::string_view n) {
    return parse(kTransactionNames, "transaction history (issue-3)", n);
}
LogQueuePolicy parse_log_queue_policy(std::string_view n) { return parse(kLogQueueNames, "log queue (issue-4)", n); }
SignalPolicy parse_signal_policy(std::string_view n) { return parse(kSignalNames, "signal history (issue-5)", n); }

std::string_view to_string(StudyIssue issue) {
    switch (issue) {
#define MEMSOAK_CASE(id, name, component, field, Policy) \
    case StudyIssue::id: return name;
        MEMSOAK_STUDY_ISSUES(MEMSOAK_CASE)
#undef MEMSOAK_CASE
    }
    return "unknown";
}

std::string_view component_of(StudyIssue issue) {
    switch (issue) {
#define MEMSOAK_CASE(id, name, component, field, Policy) \
    case StudyIssue::id: return component;
        MEMSOAK_STUDY_ISSUES(MEMSOAK_CASE)
#undef MEMSOAK_CASE
    }
    return "unknown";
}

std::optional<StudyIssue> parse_study_issue(std::string_view text) {
#define MEMSOAK_CASE(id, name, component, field, Policy) \
    if (text == name) return StudyIssue::id;
    MEMSOAK_STUDY_ISSUES(MEMSOAK_CASE)
#undef MEMSOAK_CASE
    return std::nullopt;
}

const std::vector<std::string>& study_issues() {
#define MEMSOAK_CASE(id, name, component, field, Policy) name,
    static const std::vector<std::string> issues{MEMSOAK_STUDY_ISSUES(MEMSOAK_CASE)};
#undef MEMSOAK_CASE
    return issues;
}

}  // namespace memsoak::engine
