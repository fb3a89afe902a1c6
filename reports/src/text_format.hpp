#pragma once
// Formatting shared by every renderer of the reports library (terminal, HTML, JUnit, Markdown, comparison), so
// that a value reads the same in every format: "221.8 MiB", "9.2 MiB/h", "1,000 items". Internal to reports/.

#include <string>

#include "memsoak/harness/orchestration/suite.hpp"
#include "memsoak/harness/result.hpp"

namespace memsoak::reports::text {

// A value of a limit's metric in the limit's unit: bytes ("48.3 MiB"), bytes per hour ("9.2 MiB/h") or a count
// ("1,000"); "n/a" for NaN.
std::string in_unit(double value, harness::LimitKind kind);

// A change of such a value, signed: "+220.6 MiB", "-3 items", "+0 B".
std::string signed_in_unit(double change, harness::LimitKind kind);

// A growth rate of a metric: bytes per hour, or items per hour for a ".items" metric; "n/a" for NaN.
std::string rate_of(double per_hour, const std::string& metric);

// A confidence interval's level as people write it: 0.95 -> "95%", 0.9 -> "90%".
std::string confidence_level(double confidence);

// "9.2 MiB/h (95% CI 9.2 MiB/h..9.2 MiB/h)", at the fit's own level; "-" without a fit.
std::string growth_with_interval(const harness::LimitResult& limit);

// "peak engine.status_display.bytes".
std::string limit_label(const harness::LimitResult& limit);

// The retention probe's one-line summary ("toggle_indicator(rsi) retains 2.9 MiB per call (95% CI ...)") when the
// run was probed and the budget failed a whole-process limit (os.*, allocator.*); empty otherwise.
std::string retention_note(const harness::RunResult& run, const harness::BudgetResult& budget);

// The top growth site of a sampled heap in one line (harness::growth_site_summary) when the budget failed a
// whole-process limit; empty otherwise.
std::string growth_site_note(const harness::RunResult& run, const harness::BudgetResult& budget);

// "pass", "fail", "not measured".
std::string verdict_word(harness::Verdict verdict);

// 12345 -> "12,345".
std::string count(double value);

// Virtual time for people: "24h", "30d", "1h30m" (engine::format_duration).
std::string virtual_duration(harness::VirtualDuration duration);

// Wall seconds with two decimals ("1.21 s"), "n/a" for NaN.
std::string wall_seconds(double seconds);

// Virtual seconds per wall second, three significant digits with thousands separators: "71,400x".
std::string acceleration(double factor);

// The run's name for people: the scenario, and its seed when a suite ran a list of seeds.
std::string run_name(const harness::SuiteEntry& entry);

}  // namespace memsoak::reports::text
