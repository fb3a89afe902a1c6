#pragma once
// A short Markdown summary for a CI job summary ($GITHUB_STEP_SUMMARY) or a pull-request comment: the verdict,
// one table row per budget (or per suite run, or per changed limit), and why anything failed. GitHub-flavoured
// tables; every cell is escaped, so a name cannot break the table or inject HTML.

#include <string>
#include <string_view>

#include "memsoak/harness/result.hpp"
#include "memsoak/reports/compare.hpp"
#include "memsoak/reports/suite_report.hpp"

namespace memsoak::reports {

// Escapes text for a table cell: '|' and Markdown's punctuation are backslash-escaped, '<', '>' and '&' become
// HTML entities (GitHub renders inline HTML), and line breaks become spaces.
std::string markdown_escape(std::string_view text);

std::string render_run_markdown(const harness::RunResult& result);

// Runs' results must be loaded (load_run_reports).
std::string render_suite_markdown(const SuiteReport& suite);

// Only the limits that regressed or improved are listed; the rest are counted.
std::string render_comparison_markdown(const Comparison& comparison);

}  // namespace memsoak::reports
