#pragma once
// Inline SVG line charts of memory over virtual time for the HTML report (internal to the reports library).
// Self-contained: no script, no external resource; tooltips are SVG <title> elements, which browsers show on
// hover. All text is escaped.

#include <optional>
#include <string>
#include <vector>

namespace memsoak::reports::html_chart {

enum class Unit { bytes, items };

struct Line {
    std::string label;
    std::vector<double> values;  // one per sample time; NaN (not measured) breaks the line
    std::string color;           // a CSS colour
};

// A horizontal budget limit, e.g. "issue-1 peak limit 1.0 MiB".
struct Limit {
    double value = 0;
    std::string label;
};

// The fitted trend after the warm-up: value = intercept + slope_per_hour * hours.
struct Trend {
    double intercept = 0;
    double slope_per_hour = 0;
    std::string label;
};

struct Chart {
    std::string title;  // read by screen readers and shown as the tooltip of the plot
    Unit unit = Unit::bytes;
    std::vector<double> hours;  // sample times in virtual hours since the start of the run
    std::vector<bool> purged;   // per sample: the allocator was purged just before it
    double warmup_hours = 0;    // shaded; the trend starts here
    std::vector<Line> lines;
    std::vector<Limit> limits;
    std::optional<Trend> trend;
};

// The chart as an <svg> element followed by an HTML legend. `id` must be unique in the page (it names the plot's
// clip path). The y axis starts at 0 and reaches past the largest value and limit; long series are reduced to
// the minimum and maximum of each pixel column, so peaks are kept however many samples there are.
std::string render(const Chart& chart, const std::string& id);

// The colour of the i-th line: a palette that stays distinguishable for the first ten lines.
std::string line_color(std::size_t index);

}  // namespace memsoak::reports::html_chart
