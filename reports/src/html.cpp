#include "memsoak/reports/html.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "html_chart.hpp"
#include "html_flame.hpp"
#include "memsoak/harness/analysis/diagnosis.hpp"
#include "memsoak/harness/outcome_words.hpp"
#include "memsoak/harness/soak/heap_sample.hpp"
#include "memsoak/harness/soak/retention_probe.hpp"
#include "memsoak/harness/units.hpp"
#include "memsoak/reports/json_report.hpp"
#include "text_format.hpp"

namespace memsoak::reports {
namespace {

using harness::BudgetResult;
using harness::LimitKind;
using harness::LimitResult;
using harness::RunResult;
using harness::Verdict;

// One stylesheet for every page; system fonts only, so nothing is fetched.
constexpr std::string_view kStyle = R"css(
:root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg-soft: #f6f8fa;
        --pass: #1a7f37; --pass-bg: #dafbe1; --fail: #cf222e; --fail-bg: #ffebe9;
        --none: #7d4e00; --none-bg: #fff8c5; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff;
       font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 22px 0 6px; display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
p { margin: 6px 0; }
.sub { color: var(--muted); margin: 0 0 12px; }
.banner { border: 1px solid #d4a72c; background: var(--none-bg); padding: 8px 12px; border-radius: 6px;
          margin: 12px 0; }
.banner.bad { border-color: #ff8182; background: var(--fail-bg); }
.badge { display: inline-block; font-size: 12px; font-weight: 600; letter-spacing: .04em; padding: 1px 8px;
         border-radius: 999px; white-space: nowrap; }
h1 .badge { font-size: 14px; padding: 2px 12px; }
.badge.pass { color: var(--pass); background: var(--pass-bg); }
.badge.fail { color: var(--fail); background: var(--fail-bg); }
.badge.none { color: var(--none); background: var(--none-bg); }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th, td { text-align: left; vertical-align: top; padding: 6px 10px; border-bottom: 1px solid var(--line); }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: var(--bg-soft); }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td .why { color: var(--muted); font-size: 12px; margin-top: 2px; }
td code { white-space: nowrap; }
h3 .sub { font-weight: 400; margin: 0; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--bg-soft);
       padding: 1px 4px; border-radius: 4px; }
.figure { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px 6px; margin: 10px 0 14px; }
.figure h4 { margin: 0 0 4px; font-size: 13px; font-weight: 600; }
.figure .why { color: var(--muted); font-size: 13px; margin: 2px 0 4px; }
svg.chart { width: 100%; height: auto; display: block; font-size: 11px; fill: var(--muted); }
svg.chart .grid { stroke: #eaeef2; }
svg.chart .axis, svg.chart .tick { stroke: #8c959f; }
svg.chart .axis-title { font-size: 11px; }
svg.chart .line { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
svg.chart .limit { stroke-width: 1.5; stroke-dasharray: 7 4; }
svg.chart .limit-label { font-size: 11px; font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
svg.chart .trend { stroke-width: 1.5; stroke-dasharray: 2 3; }
svg.chart .purge { stroke-width: 1; fill: none; }
svg.chart .warmup { fill: #f3f4f6; }
svg.chart .note { font-size: 10px; }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 4px 0; padding: 0;
            font-size: 12px; color: var(--muted); }
ul.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 16px; height: 3px; border-radius: 2px; }
.swatch.dashed { height: 0; border-top: 2px dashed; background: none; }
.swatch.tick { width: 0; height: 8px; border-left: 1px solid; border-radius: 0; }
.share { display: inline-block; height: 8px; background: #4e79a7; border-radius: 2px; vertical-align: middle;
         margin-right: 6px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 6px 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
details.run { border: 1px solid var(--line); border-radius: 8px; margin: 12px 0; padding: 0 16px; }
details.run > summary { cursor: pointer; padding: 10px 0; font-size: 16px; font-weight: 600; display: flex;
                        align-items: center; gap: 10px; flex-wrap: wrap; }
details.run > summary { list-style: none; }
details.run > summary::-webkit-details-marker { display: none; }
details.run > summary::before { content: "\25B8"; color: var(--muted); width: 12px; }
details.run[open] > summary::before { content: "\25BE"; }
details.run > summary .sub { font-size: 13px; font-weight: 400; margin: 0; }
details.run[open] > summary { border-bottom: 1px solid var(--line); margin-bottom: 8px; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
)css";

std::string page(const std::string& title, const std::string& body) {
    return fmt::format(R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{}</title>
<style>{}</style>
</head>
<body>
<main>
{}
<footer>Written by memsoak from its JSON reports (the source of truth; see docs/report-schema.md). Virtual time
is the scenario's clock; wall time is how long the run took.</footer>
</main>
</body>
</html>
)",
                       html_escape(title), kStyle, body);
}

std::string badge(Verdict verdict) {
    switch (verdict) {
        case Verdict::pass: return R"(<span class="badge pass">PASS</span>)";
        case Verdict::fail: return R"(<span class="badge fail">FAIL</span>)";
        case Verdict::not_measured: return R"(<span class="badge none">NOT MEASURED</span>)";
    }
    return "";
}

std::string outcome_badge(const harness::SuiteEntry& entry) {
    const char* css = entry.outcome == harness::Outcome::pass ? "pass" : "fail";
    return fmt::format(R"(<span class="badge {}">{}</span>)", css, html_escape(harness::outcome_words(entry)));
}

// Letters, digits, '-' and '_' only, so that any name can be an id and a fragment.
std::string anchor(std::string_view text) {
    std::string out;
    for (char c : text) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '-';
    return out;
}

// A relative link to a file: everything but unreserved characters and '/' percent-encoded.
std::string href(const std::string& folder, const std::filesystem::path& file) {
    const std::string path = folder.empty() ? file.string() : folder + "/" + file.string();
    std::string out;
    for (const char character : path) {
        // Unsigned for std::isalnum and so that a UTF-8 byte is encoded as %C3, not as a negative number.
        const auto c = static_cast<unsigned char>(character);
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
            out += character;
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

std::vector<double> hours_of(const harness::SampleSeries& samples) {
    std::vector<double> hours;
    hours.reserve(samples.size());
    for (harness::VirtualTime t : samples.times) hours.push_back(engine::to_seconds(t) / 3600);
    return hours;
}

html_chart::Unit unit_of(const std::string& metric) {
    return metric.ends_with(".items") ? html_chart::Unit::items : html_chart::Unit::bytes;
}

// Renders one run's sections; ids are prefixed so that several runs can share a page.
class RunPage {
public:
    RunPage(const RunResult& run, std::string id_prefix)
        : run_(run), prefix_(std::move(id_prefix)), hours_(hours_of(run.samples)) {}

    std::string summary_line() const {
        const harness::RunInfo& info = run_.info;
        std::string line =
            fmt::format("{} virtual in {} wall ({}), seed {}, allocator {}",
                        text::virtual_duration(info.virtual_elapsed), text::wall_seconds(info.wall_seconds),
                        text::acceleration(info.acceleration), info.seed, info.allocator);
        if (!info.leaks.empty()) line += fmt::format("; leaky behaviour switched on: {}", fmt::join(info.leaks, ", "));
        return html_escape(line);
    }

    std::string banners() const {
        const harness::RunInfo& info = run_.info;
        if (!info.interrupted && info.stop_reason.empty()) return "";
        return fmt::format(R"(<p class="banner bad">Stopped after {} of {}: {}. The verdicts judge what ran.</p>)",
                           html_escape(text::virtual_duration(info.virtual_elapsed)),
                           html_escape(text::virtual_duration(info.virtual_duration)),
                           html_escape(info.stop_reason.empty() ? "interrupted" : info.stop_reason));
    }

    std::string body(int heading) {
        return verdicts(heading) + budget_charts(heading) + attribution(heading) + layers(heading) + metadata(heading);
    }

private:
    std::string h(int level, const std::string& id, const std::string& content) const {
        return fmt::format(R"(<h{0} id="{1}">{2}</h{0}>)", level, prefix_ + id, content);
    }

    std::string next_chart_id() { return fmt::format("{}chart{}", prefix_, ++charts_); }

    std::string verdicts(int heading) const {
        std::string out = h(heading, "verdicts", "Verdict per issue");
        if (run_.budgets.empty()) return out + "<p>No budget was judged.</p>";
        out += R"(<table><thead><tr><th>budget</th><th>verdict</th><th>deciding limit and why</th>)"
               R"(<th class="num">measured</th><th class="num">limit</th><th class="num">growth</th>)"
               R"(</tr></thead><tbody>)";
        for (const BudgetResult& budget : run_.budgets) {
            const LimitResult* limit = deciding_limit(budget);
            out += fmt::format(R"(<tr><td><a href="#{}">{}</a><div class="why">{}</div></td><td>{}</td>)",
                               prefix_ + "budget-" + anchor(budget.budget), html_escape(budget.budget),
                               html_escape(budget.description), badge(budget.verdict));
            if (limit == nullptr) {
                out += R"(<td colspan="4">no limits</td></tr>)";
                continue;
            }
            const std::string growth =
                limit->growth ? text::rate_of(limit->growth->slope_per_hour, limit->metric) : std::string("-");
            out += fmt::format(R"(<td><code>{}</code><div class="why">{}</div></td><td class="num">{}</td>)"
                               R"(<td class="num">{}</td><td class="num" title="{}">{}</td></tr>)",
                               html_escape(text::limit_label(*limit)), html_escape(limit->explanation),
                               html_escape(text::in_unit(limit->measured, limit->kind)),
                               html_escape(text::in_unit(limit->limit, limit->kind)),
                               html_escape(text::growth_with_interval(*limit)), html_escape(growth));
        }
        return out + "</tbody></table>";
    }

    // One chart per metric a budget limits: its series, the limits on it, and its fitted trend.
    std::string budget_charts(int heading) {
        if (run_.budgets.empty()) return "";
        std::string out = h(heading, "budgets", "Budgets over virtual time");
        for (const BudgetResult& budget : run_.budgets) {
            out += h(heading + 1, "budget-" + anchor(budget.budget),
                     fmt::format("{} {} <span class=\"sub\">{}</span>", html_escape(budget.budget),
                                 badge(budget.verdict), html_escape(budget.description)));
            std::vector<std::string> metrics;
            for (const LimitResult& limit : budget.limits) {
                if (std::find(metrics.begin(), metrics.end(), limit.metric) == metrics.end()) {
                    metrics.push_back(limit.metric);
                }
            }
            for (const std::string& metric : metrics) out += metric_figure(budget, metric);
        }
        return out;
    }

    std::string metric_figure(const BudgetResult& budget, const std::string& metric) {
        html_chart::Chart chart;
        chart.title = fmt::format("{} of {} over virtual time", metric, run_.info.scenario_name);
        chart.unit = unit_of(metric);
        chart.hours = hours_;
        chart.purged = run_.samples.purged;
        chart.warmup_hours = engine::to_hours(run_.info.warmup);
        std::string explanations;
        for (const LimitResult& limit : budget.limits) {
            if (limit.metric != metric) continue;
            explanations += fmt::format(R"(<p class="why">{} {}: {}</p>)", badge(limit.verdict),
                                        html_escape(text::limit_label(limit)), html_escape(limit.explanation));
            if (limit.kind != LimitKind::growth) {
                chart.limits.push_back(
                    {limit.limit, fmt::format("{} {} limit {}", budget.budget, harness::to_string(limit.kind),
                                              text::in_unit(limit.limit, limit.kind))});
            }
            if (limit.growth && !chart.trend && std::isfinite(limit.growth->slope_per_hour)) {
                chart.trend =
                    html_chart::Trend{limit.growth->intercept, limit.growth->slope_per_hour,
                                      fmt::format("trend after warm-up: {}", text::growth_with_interval(limit))};
            }
        }
        const auto column = run_.samples.index_of(metric);
        if (!column) {
            return fmt::format(R"(<div class="figure"><h4><code>{}</code></h4><p>Not sampled in this run.</p>{}</div>)",
                               html_escape(metric), explanations);
        }
        chart.lines.push_back({metric, run_.samples.values[*column], html_chart::line_color(0)});
        return fmt::format(R"(<div class="figure"><h4><code>{}</code></h4>{}{}</div>)", html_escape(metric),
                           html_chart::render(chart, next_chart_id()), explanations);
    }

    std::string attribution(int heading) const {
        return h(heading, "attribution", "What grew") + components() + diagnosis() + heap_sites();
    }

    std::string components() const {
        if (run_.attribution.empty()) return "<p>No engine component grew significantly after the warm-up.</p>";
        std::string out =
            R"(<p class="sub">Engine components whose footprint grew significantly after the warm-up, and )"
            R"(their share of the process growth (allocator live bytes, else RSS).</p>)"
            R"(<table><thead><tr><th>component</th><th>study issue</th><th class="num">growth</th>)"
            R"(<th>share of the process growth</th></tr></thead><tbody>)";
        for (const harness::Attribution& a : run_.attribution) {
            const double share = std::isfinite(a.share) ? std::clamp(a.share, 0.0, 1.0) : 0.0;
            out += fmt::format(R"(<tr><td><code>{}</code></td><td>{}</td><td class="num">{}</td><td>)"
                               R"(<span class="share" style="width:{:.0f}px"></span>{}</td></tr>)",
                               html_escape(a.component), html_escape(a.issue.empty() ? "-" : a.issue),
                               html_escape(harness::format_size_rate(a.growth_bytes_per_hour)), share * 200,
                               std::isfinite(a.share) ? fmt::format("{:.1f}%", a.share * 100) : "n/a");
        }
        return out + "</tbody></table>";
    }

    // Which layer grows (the OS, the allocator, the engine), and so what kind of growth it is.
    std::string diagnosis() const {
        if (!run_.diagnosis) return "";
        const harness::LayerDiagnosis& d = *run_.diagnosis;
        std::string out = fmt::format(R"(<p><strong>Diagnosis:</strong> {}</p>)", html_escape(d.explanation));
        if (run_.retention && !run_.retention->empty()) {
            out += fmt::format(R"(<p><strong>Retained per action:</strong> {}</p>)",
                               html_escape(harness::retention_summary(*run_.retention)));
        }
        double confidence = harness::Growth{}.confidence;  // the layers' fits share one level
        for (const harness::LayerTrend& trend : d.layers) {
            if (trend.growth) confidence = trend.growth->confidence;
        }
        out += fmt::format(R"(<table><thead><tr><th>layer</th><th class="num">growth</th><th>{} CI</th><th>grows</th>)"
                           R"(</tr></thead><tbody>)",
                           text::confidence_level(confidence));
        for (const harness::LayerTrend& trend : d.layers) {
            const std::string metric = trend.metric + (trend.purged_only ? " (purged checkpoints)" : "");
            std::string rate = "-";
            std::string interval = "-";
            if (trend.growth) {
                rate = harness::format_size_rate(trend.growth->slope_per_hour);
                interval = fmt::format("{}..{}", harness::format_size_rate(trend.growth->ci_low_per_hour),
                                       harness::format_size_rate(trend.growth->ci_high_per_hour));
            }
            out += fmt::format(R"(<tr><td><code>{}</code></td><td class="num">{}</td><td>{}</td><td>{}</td></tr>)",
                               html_escape(metric), html_escape(rate), html_escape(interval),
                               trend.growing ? R"(<span class="badge fail">grows</span>)" : "-");
        }
        return out + "</tbody></table>";
    }

    // A sampled heap's growth sites with file:line, rate and signature, and the flame graph of what grew.
    static std::string sampled_heap(const harness::HeapProfileFindings& heap) {
        const std::string origin =
            heap.source.empty()
                ? ""
                : fmt::format(R"( Re-run of the same scenario and seed under <code>{}</code>{}.)",
                              html_escape(heap.source), heap.trigger.empty() ? "" : ": " + html_escape(heap.trigger));
        if (!heap.error.empty()) {
            return fmt::format(R"(<p class="banner">Growth sites: {}{}</p>)", html_escape(heap.error), origin);
        }
        if (heap.sites.empty()) {
            return fmt::format(R"(<p><strong>Growth sites</strong> (heap sampled every {}, {} reads over {}): {} in )"
                               R"(all; no allocation site grew beyond the sampling noise.{}</p>)",
                               html_escape(harness::format_bytes(heap.sample_period_bytes)), heap.reads,
                               html_escape(engine::format_duration(heap.window)),
                               html_escape(harness::format_bytes(heap.total_growth_bytes)), origin);
        }
        std::string out = fmt::format(
            R"(<p><strong>Growth sites</strong> (heap sampled every {}, {} reads over {}): {} in all.{}</p>)"
            R"(<table><thead><tr><th class="num">growth</th><th class="num">rate</th><th>signature</th>)"
            R"(<th>allocated in</th></tr></thead><tbody>)",
            html_escape(harness::format_bytes(heap.sample_period_bytes)), heap.reads,
            html_escape(engine::format_duration(heap.window)),
            html_escape(harness::format_bytes(heap.total_growth_bytes)), origin);
        for (const harness::HeapSite& site : heap.sites) {
            std::string where = fmt::format("<code>{}</code>", html_escape(harness::heap_site_place(site)));
            for (std::size_t i = 0; i < site.callers.size(); ++i) {
                const std::string place = i < site.caller_locations.size() && !site.caller_locations[i].empty()
                                              ? " (" + site.caller_locations[i] + ")"
                                              : "";
                where += fmt::format(R"( <span class="sub">&larr;</span> <code>{}</code>)",
                                     html_escape(site.callers[i] + place));
            }
            out += fmt::format(R"(<tr><td class="num">{}</td><td class="num">{}</td><td><code>{}</code></td>)"
                               R"(<td>{}</td></tr>)",
                               html_escape(harness::format_bytes(site.bytes)),
                               html_escape(harness::format_size_rate(site.rate_bytes_per_hour)),
                               html_escape(site.signature), where);
        }
        out += "</tbody></table>";
        if (const std::string flame = html_flame::render(heap.stacks); !flame.empty()) {
            out += fmt::format(R"(<p><strong>Flame graph of growth</strong>: what the first to the last read added, )"
                               R"(by call stack (the {} largest stacks{}).</p>)",
                               heap.stacks.size(),
                               heap.collapsed_file.empty() ? ""
                                                           : fmt::format(R"(; all of them in <code>{}</code>)",
                                                                         html_escape(heap.collapsed_file)));
            out += flame;
        }
        return out;
    }

    // The allocation sites whose live bytes grew between the first and the last heap profile.
    std::string heap_sites() const {
        if (!run_.heap_profile) return "";
        const harness::HeapProfileFindings& heap = *run_.heap_profile;
        if (heap.mode == "sampled") return sampled_heap(heap);
        if (!heap.error.empty()) {
            return fmt::format(R"(<p class="banner">Heap profiles ({} in {}): {}</p>)", heap.profiles.size(),
                               html_escape(heap.directory), html_escape(heap.error));
        }
        std::string out = fmt::format(
            R"(<p><strong>Heap growth by allocation site</strong>, first to last of {} profiles (every {}, in )"
            R"(<code>{}</code>): {} in all.</p><table><thead><tr><th class="num">growth</th><th>allocated in</th>)"
            R"(</tr></thead><tbody>)",
            heap.profiles.size(), html_escape(engine::format_duration(heap.interval)), html_escape(heap.directory),
            html_escape(harness::format_bytes(heap.total_growth_bytes)));
        for (const harness::HeapSite& site : heap.sites) {
            std::string where = fmt::format("<code>{}</code>", html_escape(site.function));
            for (const std::string& caller : site.callers) {
                where += fmt::format(R"( <span class="sub">&larr;</span> <code>{}</code>)", html_escape(caller));
            }
            out += fmt::format(R"(<tr><td class="num">{}</td><td>{}</td></tr>)",
                               html_escape(harness::format_bytes(site.bytes)), where);
        }
        return out + "</tbody></table>";
    }

    // The layers' charts: every byte metric of a layer as one line each (counts are on the budget charts).
    std::string layers(int heading) {
        std::string out = h(heading, "layers", "Memory by layer");
        std::map<std::string, std::string> issue_of;
        for (const harness::Attribution& a : run_.attribution) issue_of[a.component] = a.issue;
        struct LayerView {
            std::string layer;
            std::string title;
        };
        const LayerView views[] = {{"os", "Operating system: resident set"},
                                   {"allocator", "Allocator: live and committed bytes"},
                                   {"engine", "Engine components: bytes each component keeps alive"}};
        bool any = false;
        for (const LayerView& view : views) {
            html_chart::Chart chart;
            chart.title = fmt::format("{} of {}", view.title, run_.info.scenario_name);
            chart.hours = hours_;
            chart.purged = run_.samples.purged;
            chart.warmup_hours = engine::to_hours(run_.info.warmup);
            std::vector<std::pair<double, std::size_t>> by_peak;  // largest first, so the legend reads top down
            for (std::size_t m = 0; m < run_.samples.metrics.size(); ++m) {
                const std::string& metric = run_.samples.metrics[m];
                if (!metric.starts_with(view.layer + ".") || metric.ends_with(".items")) continue;
                double peak = -1;
                for (double v : run_.samples.values[m]) {
                    if (std::isfinite(v)) peak = std::max(peak, v);
                }
                by_peak.emplace_back(peak, m);
            }
            if (by_peak.empty()) continue;
            any = true;
            std::stable_sort(by_peak.begin(), by_peak.end(),
                             [](const auto& a, const auto& b) { return a.first > b.first; });
            for (const auto& [peak, m] : by_peak) {
                std::string label = run_.samples.metrics[m].substr(view.layer.size() + 1);
                if (view.layer == "engine") {
                    label = label.substr(0, label.size() - std::string_view(".bytes").size());
                    const auto issue = issue_of.find(label);
                    if (issue != issue_of.end() && !issue->second.empty()) label += " (" + issue->second + ")";
                }
                label += fmt::format(" peak {}", harness::format_bytes(peak < 0 ? std::nan("") : peak));
                chart.lines.push_back({label, run_.samples.values[m], html_chart::line_color(chart.lines.size())});
            }
            out += fmt::format(R"(<div class="figure"><h4>{}</h4>{}</div>)", html_escape(view.title),
                               html_chart::render(chart, next_chart_id()));
        }
        if (!any) out += "<p>No layer was measured.</p>";
        return out;
    }

    std::string metadata(int heading) const {
        const harness::RunInfo& info = run_.info;
        const auto item = [](std::string_view name, const std::string& value) {
            return fmt::format("<dt>{}</dt><dd>{}</dd>", name, html_escape(value));
        };
        std::string out = h(heading, "metadata", "Run");
        out += R"(<dl class="meta">)";
        out += item("scenario", fmt::format("{} ({})", info.scenario_name, info.scenario_file));
        out += item("seed", std::to_string(info.seed));
        out += item("virtual time",
                    fmt::format("{} of {} (warm-up {})", text::virtual_duration(info.virtual_elapsed),
                                text::virtual_duration(info.virtual_duration), text::virtual_duration(info.warmup)));
        out += item("wall time",
                    fmt::format("{} soak loop, {} analysis; {} faster than real time",
                                text::wall_seconds(info.wall_seconds), text::wall_seconds(info.analysis_seconds),
                                text::acceleration(info.acceleration)));
        out += item("leaky behaviour", info.leaks.empty() ? "none (every study issue fixed)"
                                                          : fmt::format("{}", fmt::join(info.leaks, ", ")));
        out += item("layers measured", fmt::format("{}", fmt::join(info.layers, ", ")));
        out += item("samples", fmt::format("{} ({} after an allocator purge)", run_.samples.size(),
                                           std::count(run_.samples.purged.begin(), run_.samples.purged.end(), true)));
        out += item("allocator", info.allocator);
        out += item("started", info.started_at);
        out += item("host", info.host);
        out += item("memsoak", fmt::format("{} (commit {}, {})", info.tool_version, info.git_commit, info.build_type));
        if (info.interrupted || !info.stop_reason.empty()) {
            out += item("stopped", info.stop_reason.empty() ? "interrupted" : info.stop_reason);
        }
        return out + "</dl>";
    }

    const RunResult& run_;
    std::string prefix_;
    std::vector<double> hours_;
    int charts_ = 0;
};

std::string run_header(const RunResult& run, RunPage& view) {
    return fmt::format("<h1>memsoak: {} {}</h1><p class=\"sub\">{}</p>{}", html_escape(run.info.scenario_name),
                       badge(run.verdict), view.summary_line(), view.banners());
}

}  // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string render_run_html(const RunResult& result) {
    RunPage view(result, "");
    const std::string header = run_header(result, view);
    return page(fmt::format("memsoak: {} ({})", result.info.scenario_name, harness::to_string(result.verdict)),
                header + view.body(2));
}

std::string render_suite_html(const SuiteReport& suite, const std::string& link_folder) {
    const int exit_code = suite_report_exit_code(suite);
    std::string body = fmt::format("<h1>memsoak suite: {} {}</h1>", html_escape(suite.suite_name),
                                   badge(exit_code == 0 ? Verdict::pass : Verdict::fail));
    std::string sub =
        fmt::format("{} of {} planned runs from {}", suite.runs.size(), suite.planned_runs, suite.suite_file);
    if (suite.shard_count > 1) {
        sub += fmt::format("; shard{} {} of {}", suite.shards.size() == 1 ? "" : "s", fmt::join(suite.shards, ", "),
                           suite.shard_count);
    }
    if (!suite.seeds.empty()) sub += fmt::format("; seeds {}", fmt::join(suite.seeds, ", "));
    body += fmt::format(R"(<p class="sub">{}; exit code {}</p>)", html_escape(sub), exit_code);
    if (const auto missing = missing_shards(suite); !missing.empty()) {
        body += fmt::format(R"(<p class="banner bad">Shard{} {} of {} missing: {} runs did not report.</p>)",
                            missing.size() == 1 ? "" : "s", fmt::join(missing, ", "), suite.shard_count,
                            suite.planned_runs - suite.runs.size());
    }

    body += R"(<h2 id="runs">Runs</h2><table><thead><tr><th>run</th><th>outcome</th><th>failed budgets</th>)"
            R"(<th class="num">virtual</th><th class="num">wall</th><th>files</th></tr></thead><tbody>)";
    for (const SuiteRun& run : suite.runs) {
        std::vector<std::string> failed;
        std::string virtual_time = "-";
        if (run.result) {
            for (const BudgetResult& budget : run.result->budgets) {
                if (budget.verdict == Verdict::fail) failed.push_back(budget.budget);
            }
            virtual_time = text::virtual_duration(run.result->info.virtual_elapsed);
        }
        std::string files;
        if (!run.entry.report.empty()) {
            files += fmt::format(R"(<a href="{}">report</a> )", html_escape(href(link_folder, run.entry.report)));
        }
        if (!run.entry.log.empty()) {
            files += fmt::format(R"(<a href="{}">log</a>)", html_escape(href(link_folder, run.entry.log)));
        }
        body += fmt::format(R"(<tr><td><a href="#run-{}">{}</a></td><td>{}</td><td>{}</td><td class="num">{}</td>)"
                            R"(<td class="num">{}</td><td>{}</td></tr>)",
                            anchor(run.entry.name), html_escape(text::run_name(run.entry)), outcome_badge(run.entry),
                            html_escape(failed.empty() ? "-" : fmt::format("{}", fmt::join(failed, ", "))),
                            html_escape(virtual_time), html_escape(text::wall_seconds(run.entry.wall_seconds)), files);
    }
    body += "</tbody></table>";

    for (const SuiteRun& run : suite.runs) {
        const bool passed = run.entry.outcome == harness::Outcome::pass;
        const std::string id = "run-" + anchor(run.entry.name);
        body += fmt::format(R"(<details class="run" id="{}"{}><summary>{} {})", id, passed ? "" : " open",
                            html_escape(text::run_name(run.entry)), outcome_badge(run.entry));
        if (!run.result) {
            body += fmt::format(R"(</summary><p class="banner bad">{}</p></details>)", html_escape(run.report_problem));
            continue;
        }
        RunPage view(*run.result, id + "-");
        body += fmt::format(R"(<span class="sub">{}</span></summary>{})", view.summary_line(), view.banners());
        body += view.body(3) + "</details>";
    }
    return page(fmt::format("memsoak suite: {}", suite.suite_name), body);
}

std::string render_comparison_html(const Comparison& comparison) {
    const std::size_t regressions = comparison.regressions();
    std::string body = fmt::format("<h1>memsoak compare {}</h1>", comparison.passed()
                                                                      ? std::string(badge(Verdict::pass))
                                                                      : R"(<span class="badge fail">REGRESSED</span>)");
    const CompareOptions& o = comparison.options;
    body += fmt::format(
        R"(<p class="sub">{} regression{} in {} scenario{}. A peak changes beyond max({}, {:g}% of the baseline) )"
        R"((counts: max({}, {:g}%)); growth changes when the two {} intervals are apart by more than max({}, )"
        R"({:g}% of the baseline slope).</p>)",
        regressions, regressions == 1 ? "" : "s", comparison.scenarios.size(),
        comparison.scenarios.size() == 1 ? "" : "s", html_escape(harness::format_bytes(o.peak_tolerance_bytes)),
        o.relative_tolerance * 100, html_escape(text::count(o.items_tolerance)), o.relative_tolerance * 100,
        text::confidence_level(interval_confidence(comparison)),
        html_escape(harness::format_size_rate(o.growth_tolerance_per_hour)), o.relative_tolerance * 100);
    for (const std::string& file : comparison.only_in_baseline) {
        body += fmt::format(R"(<p class="banner">Not compared, only in the baseline: {}</p>)", html_escape(file));
    }
    for (const std::string& file : comparison.only_in_candidate) {
        body += fmt::format(R"(<p class="banner">Not compared, only in the candidate: {}</p>)", html_escape(file));
    }
    int chart = 0;
    for (const ScenarioComparison& s : comparison.scenarios) {
        body += fmt::format(R"(<h2 id="{}">{} {}</h2><p class="sub">baseline {} ({}), candidate {} ({})</p>)",
                            anchor(s.scenario), html_escape(s.scenario),
                            s.regressions() == 0 ? std::string(badge(Verdict::pass))
                                                 : R"(<span class="badge fail">REGRESSED</span>)",
                            html_escape(s.baseline_file), html_escape(s.baseline.info.git_commit),
                            html_escape(s.candidate_file), html_escape(s.candidate.info.git_commit));
        for (const std::string& note : s.notes) body += fmt::format(R"(<p class="banner">{}</p>)", html_escape(note));
        if (!s.incomplete.empty()) {
            body += fmt::format(R"(<p class="banner"><span class="badge fail">INCOMPLETE</span> {}</p>)",
                                html_escape(s.incomplete));
        }
        body += R"(<table><thead><tr><th>budget</th><th>limit</th><th class="num">baseline</th>)"
                R"(<th class="num">candidate</th><th class="num">change</th><th>growth</th><th>status</th>)"
                R"(</tr></thead><tbody>)";
        for (const LimitComparison& l : s.limits) {
            const Change change = l.overall();
            const std::string status = change == Change::regressed  ? R"(<span class="badge fail">REGRESSED</span>)"
                                       : change == Change::improved ? R"(<span class="badge pass">improved</span>)"
                                                                    : html_escape(to_string(change));
            const std::string growth =
                l.baseline.growth && l.candidate.growth
                    ? fmt::format("{} → {}", text::rate_of(l.baseline.growth->slope_per_hour, l.metric),
                                  text::rate_of(l.candidate.growth->slope_per_hour, l.metric))
                    : "-";
            body += fmt::format(R"(<tr><td>{}</td><td><code>{}</code></td><td class="num">{}</td>)"
                                R"(<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>)"
                                R"(<td>{}<div class="why">{}</div></td></tr>)",
                                html_escape(l.budget), html_escape(text::limit_label(l.candidate)),
                                html_escape(text::in_unit(l.baseline.measured, l.kind)),
                                html_escape(text::in_unit(l.candidate.measured, l.kind)),
                                html_escape(text::signed_in_unit(l.candidate.measured - l.baseline.measured, l.kind)),
                                html_escape(growth), status, html_escape(l.reason));
        }
        body += "</tbody></table>";
        // Each regressed metric drawn in both runs, on one time axis.
        std::vector<std::string> drawn;
        for (const LimitComparison& l : s.limits) {
            if (l.overall() != Change::regressed || std::find(drawn.begin(), drawn.end(), l.metric) != drawn.end()) {
                continue;
            }
            drawn.push_back(l.metric);
            const auto base_column = s.baseline.samples.index_of(l.metric);
            const auto cand_column = s.candidate.samples.index_of(l.metric);
            if (!base_column || !cand_column) continue;
            // Both lines are drawn at the candidate's sample times; a baseline sample is used where it was taken
            // at the same virtual time (runs of one scenario sample on one schedule), elsewhere it is a gap.
            html_chart::Chart c;
            c.title = fmt::format("{}: baseline and candidate", l.metric);
            c.unit = unit_of(l.metric);
            c.hours = hours_of(s.candidate.samples);
            c.warmup_hours = engine::to_hours(s.candidate.info.warmup);
            std::vector<double> baseline_on_candidate(c.hours.size(), std::nan(""));
            const std::vector<double> base_hours = hours_of(s.baseline.samples);
            for (std::size_t i = 0, j = 0; i < c.hours.size(); ++i) {
                while (j + 1 < base_hours.size() && base_hours[j + 1] <= c.hours[i] + 1e-9) ++j;
                if (j < base_hours.size() && std::abs(base_hours[j] - c.hours[i]) < 1e-6) {
                    baseline_on_candidate[i] = s.baseline.samples.values[*base_column][j];
                }
            }
            c.lines.push_back({"baseline", baseline_on_candidate, "#8c8c8c"});
            c.lines.push_back({"candidate", s.candidate.samples.values[*cand_column], html_chart::line_color(0)});
            if (l.kind != LimitKind::growth) {
                c.limits.push_back({l.candidate.limit,
                                    fmt::format("{} limit {}", l.budget, text::in_unit(l.candidate.limit, l.kind))});
            }
            body += fmt::format(R"(<div class="figure"><h4><code>{}</code></h4>{}</div>)", html_escape(l.metric),
                                html_chart::render(c, fmt::format("compare{}", ++chart)));
        }
    }
    return page("memsoak compare", body);
}

}  // namespace memsoak::reports
