#pragma once
// The JSON report: the serialised harness::RunResult and the source of truth every other format is rendered
// from. docs/report-schema.md describes each field, its unit and the versioning policy.

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "memsoak/harness/result.hpp"

namespace memsoak::reports {

// Bumped whenever an existing field is removed, renamed, retyped or changes meaning or unit; adding a field
// does not bump it (readers ignore fields they do not know).
inline constexpr int kReportSchemaVersion = 1;

// The limit that decides a budget's verdict: its first failing limit, else its first limit; nullptr when the
// budget has no limits. The report repeats its metric, limit and measured value at the budget level.
const harness::LimitResult* deciding_limit(const harness::BudgetResult& budget);

// Non-finite numbers (NaN: not measured) are written as null. Virtual times and durations are written in seconds.
nlohmann::json to_json(const harness::RunResult& result);

// The inverse of to_json: to_json(run_result_from_json(to_json(r), ...)) == to_json(r). Null numbers read back as
// NaN; times and durations are rounded to the microsecond; metric names come back in lexicographic order (JSON
// object order). Throws reports::Error naming `source` and the JSON path of any missing or mistyped field, and
// for a schema_version other than kReportSchemaVersion.
harness::RunResult run_result_from_json(const nlohmann::json& document, const std::string& source);

// Reads and validates a report file. Throws reports::Error for an unreadable file ("path: cannot open file: ..."),
// invalid JSON ("path:line:column: invalid JSON: ...") and anything run_result_from_json rejects.
harness::RunResult load_report(const std::filesystem::path& file);

}  // namespace memsoak::reports
