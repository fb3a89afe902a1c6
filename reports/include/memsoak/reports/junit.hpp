#pragma once
// JUnit XML, which CI systems (Jenkins, GitLab, GitHub Actions test reporters, Azure DevOps) show natively: one
// <testsuite> per run, named after its scenario, and one <testcase> per budget (classname = the scenario, name =
// the budget). A failed budget is a <failure> whose message gives the deciding limit's measured value against its
// limit and the growth rate; a budget that could not be judged is <skipped>; a run that crashed, was interrupted
// or had bad input is an <error>. Times are wall seconds; timestamps are UTC. Every element carries only the
// attributes Jenkins xUnit's junit-10.xsd allows (GitLab and the GitHub reporters read the same); a run's
// <testsuite file> is its scenario file, and a failed budget's detail opens with FILE:LINE of the budget's name in
// that file's "budgets" (the schema has no line attribute).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "memsoak/harness/result.hpp"
#include "memsoak/reports/compare.hpp"
#include "memsoak/reports/suite_report.hpp"

namespace memsoak::reports {

// Escapes text for XML content and attribute values: & < > " ' as entities, a carriage return as a character
// reference; tab and line feed stay (in an attribute value a parser reads them as spaces); the control characters
// XML 1.0 does not allow become U+FFFD.
std::string xml_escape(std::string_view text);

// The 1-based line of `budget` in the "budgets" list of a scenario file; nullopt when the file cannot be read or
// does not name it there.
std::optional<std::size_t> budget_line(const std::filesystem::path& scenario_file, const std::string& budget);

std::string render_run_junit(const harness::RunResult& result);

// Runs' results must be loaded (load_run_reports). A missing shard is an <error> of its own.
std::string render_suite_junit(const SuiteReport& suite);

// One <testsuite> per compared scenario, one <testcase> per limit; a regression is a <failure>.
std::string render_comparison_junit(const Comparison& comparison);

}  // namespace memsoak::reports
