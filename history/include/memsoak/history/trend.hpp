#pragma once
// Trends for people: `memsoak history show`. Per series, the nights' values with their intervals, the budget line,
// the change points with their commit ranges and the failing nights; as one self-contained HTML page (inline SVG,
// no script, no network) or as terminal text.

#include <string>
#include <vector>

#include "memsoak/history/check.hpp"

namespace memsoak::history {

struct TrendFilter {
    std::string scenario;  // empty: every scenario
    std::string budget;    // empty: every budget
};

std::string render_trend_html(const History& history, const std::vector<Change>& changes, const TrendFilter& filter);
std::string render_trend_text(const History& history, const std::vector<Change>& changes, const TrendFilter& filter);

}  // namespace memsoak::history
