#pragma once
// A night from run reports: every judged limit of every run, with the commit, branch, time and label that the
// reports name or that the caller overrides.

#include <filesystem>
#include <string>
#include <vector>

#include "memsoak/history/store.hpp"

namespace memsoak::history {

struct NightOverrides {
    std::string commit;  // empty: the reports' git_commit (which must agree)
    std::string branch;  // empty: "main"
    std::string time;    // empty: the earliest report's started_at; else normalised by normalise_time
    std::string label;
};

// Reads every path first (a run report, a suite folder or a merged shard folder with suite-report.json, or a
// folder of reports), so that a bad one stops the record before anything is written. Throws history::Error naming
// the file and what is wrong (another schema version, a truncated report, a suite run without a report is only a
// warning, appended to `warnings`).
Night read_night(const std::vector<std::filesystem::path>& paths, const NightOverrides& overrides,
                 std::vector<std::string>& warnings);

// "2026-11-29" or "2026-11-29T23:00:00Z" (also with fractional seconds or without the Z) -> "2026-11-29T23:00:00Z".
// Throws history::Error naming `what` for anything else.
std::string normalise_time(const std::string& text, const std::string& what);

}  // namespace memsoak::history
