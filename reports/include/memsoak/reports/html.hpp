#pragma once
// The HTML report: one self-contained page (inline CSS and SVG, no script, no font or image from elsewhere, so it
// opens from a CI artifact without network access) for people who look at pictures before numbers. A run's page
// shows its verdict per study issue, a chart per budgeted metric with the budget's limit and the fitted trend,
// the components that grew, memory over virtual time for each measured layer, and the run's metadata.

#include <string>
#include <string_view>

#include "memsoak/harness/result.hpp"
#include "memsoak/reports/compare.hpp"
#include "memsoak/reports/suite_report.hpp"

namespace memsoak::reports {

// Escapes text for HTML element content and quoted attribute values: & < > " '.
std::string html_escape(std::string_view text);

std::string render_run_html(const harness::RunResult& result);

// A suite: a summary table of every run, then a section per run (open when it did not pass). `link_folder` is the
// suite report's folder as a path relative to the page's folder ("" when the page is in it), for links to each
// run's JSON report and log. Runs' results must be loaded (load_run_reports).
std::string render_suite_html(const SuiteReport& suite, const std::string& link_folder);

// A comparison: the tolerances, each scenario's limits with baseline, candidate and change, and for every
// regressed limit a chart of its metric in both runs.
std::string render_comparison_html(const Comparison& comparison);

}  // namespace memsoak::reports
