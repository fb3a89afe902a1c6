#pragma once
// The five leak sites of the leak study, each switchable between the study's leaky behaviour and its fixes.
// Every site accepts the name "leaky"; the default of each is the study's recommended fix.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memsoak::engine {

// Issue 1: the status display keeps the analysis result (gui_app.py:1000).
enum class StatusPolicy {
    leaky,            // keeps every analysis, frame included
    drop_frame,       // option 1: keeps the latest analysis without its frame
    summary,          // option 2 (default): keeps a summary only
    bounded_history,  // option 3: the last N stripped copies (N = status_history_limit, default 10)
};

// Issue 2: the chart widget's figures (chart_widget.py:144).
enum class ChartPolicy {
    leaky,                // a new figure every redraw, old ones never closed
    close_before_redraw,  // default: the old figure is closed first
};

// Issue 3: the transaction history (logger.py:180).
enum class TransactionPolicy {
    leaky,        // grows forever
    ring_buffer,  // option 1 (default): the last 1000
    archive,      // option 2: past 500 in memory, keep the last 100 and append the rest to an archive file
};

// Issue 4: the log queue between producers and the GUI (gui_app.py:250).
enum class LogQueuePolicy {
    leaky,    // unbounded
    bounded,  // default: at most 1000, dropping the oldest and counting what was dropped
};

// Issue 5: the signal history widget (signal_history_widget.py:50).
enum class SignalPolicy {
    leaky,   // grows forever
    capped,  // default: the last 500
};

// Name <-> policy, e.g. "close-before-redraw". parse_* throw engine::Error listing the valid names.
std::string_view to_string(StatusPolicy p);
std::string_view to_string(ChartPolicy p);
std::string_view to_string(TransactionPolicy p);
std::string_view to_string(LogQueuePolicy p);
std::string_view to_string(SignalPolicy p);
StatusPolicy parse_status_policy(std::string_view name);
ChartPolicy parse_chart_policy(std::string_view name);
TransactionPolicy parse_transaction_policy(std::string_view name);
LogQueuePolicy parse_log_queue_policy(std::string_view name);
SignalPolicy parse_signal_policy(std::string_view name);

// The study's five issues, each written once: an identifier, its id in files, reports and --leak, the engine
// component it leaks in, and the Config field and policy type that switch it. Expanded into StudyIssue, its
// string forms and parser (here), and the switch back to the leaky policy (config.hpp, make_leaky).
// An X-macro list, laid out by hand.
// clang-format off
#define MEMSOAK_STUDY_ISSUES(X)                                                  \
    X(issue_1, "issue-1", "status_display", status_policy, StatusPolicy)         \
    X(issue_2, "issue-2", "chart", chart_policy, ChartPolicy)                    \
    X(issue_3, "issue-3", "transactions", transaction_policy, TransactionPolicy) \
    X(issue_4, "issue-4", "log_queue", log_queue_policy, LogQueuePolicy)         \
    X(issue_5, "issue-5", "signals", signal_policy, SignalPolicy)
// clang-format on

#define MEMSOAK_ISSUE_VALUE(id, name, component, field, Policy) id,
enum class StudyIssue { MEMSOAK_STUDY_ISSUES(MEMSOAK_ISSUE_VALUE) };
#undef MEMSOAK_ISSUE_VALUE

// "issue-1"; the component it leaks in, "status_display".
std::string_view to_string(StudyIssue issue);
std::string_view component_of(StudyIssue issue);
// The issue an id names; nullopt for none.
std::optional<StudyIssue> parse_study_issue(std::string_view id);
// The study's issue ids, "issue-1" .. "issue-5", in order.
const std::vector<std::string>& study_issues();

}  // namespace memsoak::engine
