#include "memsoak/reports/junit.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "memsoak/harness/outcome_words.hpp"
#include "memsoak/reports/json_report.hpp"
#include "text_format.hpp"

namespace memsoak::reports {
namespace {

using harness::BudgetResult;
using harness::LimitResult;
using harness::RunResult;
using harness::Verdict;

// A <testsuite> under construction: its cases, and the counts its attributes need.
struct Suite {
    std::string name;
    std::string file;  // the scenario file the run's budgets are named in
    std::string cases;
    std::string properties;
    std::string timestamp;
    std::string hostname;
    double seconds = 0;
    int tests = 0;
    int failures = 0;
    int errors = 0;
    int skipped = 0;

    void add_case(const std::string& classname, const std::string& test, const std::string& inner) {
        ++tests;
        cases +=
            fmt::format(R"(  <testcase classname="{}" name="{}" time="0")", xml_escape(classname), xml_escape(test));
        cases += inner.empty() ? "/>\n" : ">\n" + inner + "  </testcase>\n";
    }
    void fail(const std::string& classname, const std::string& test, const std::string& type,
              const std::string& message, const std::string& detail) {
        ++failures;
        add_case(classname, test,
                 fmt::format("    <failure type=\"{}\" message=\"{}\">{}</failure>\n", xml_escape(type),
                             xml_escape(message), xml_escape(detail)));
    }
    void error(const std::string& classname, const std::string& test, const std::string& type,
               const std::string& message, const std::string& detail) {
        ++errors;
        add_case(classname, test,
                 fmt::format("    <error type=\"{}\" message=\"{}\">{}</error>\n", xml_escape(type),
                             xml_escape(message), xml_escape(detail)));
    }
    void skip(const std::string& classname, const std::string& test, const std::string& message) {
        ++skipped;
        add_case(classname, test, fmt::format("    <skipped message=\"{}\"/>\n", xml_escape(message)));
    }
    void property(std::string_view key, const std::string& value) {
        properties += fmt::format("    <property name=\"{}\" value=\"{}\"/>\n", xml_escape(key), xml_escape(value));
    }

    std::string xml() const {
        std::string out =
            fmt::format(R"( <testsuite name="{}" tests="{}" failures="{}" errors="{}" skipped="{}" )"
                        R"(time="{:.3f}")",
                        xml_escape(name), tests, failures, errors, skipped, std::isfinite(seconds) ? seconds : 0.0);
        if (!timestamp.empty()) out += fmt::format(R"( timestamp="{}")", xml_escape(timestamp));
        if (!hostname.empty()) out += fmt::format(R"( hostname="{}")", xml_escape(hostname));
        if (!file.empty()) out += fmt::format(R"( file="{}")", xml_escape(file));
        out += ">\n";
        if (!properties.empty()) out += "  <properties>\n" + properties + "  </properties>\n";
        return out + cases + " </testsuite>\n";
    }
};

// <testsuites> carries only what Jenkins xUnit's junit-10.xsd allows there (no `skipped`): that plugin skips a
// file the schema rejects. Each <testsuite> keeps its own `skipped`, which the schema allows.
std::string document(const std::string& name, const std::vector<Suite>& suites) {
    int tests = 0, failures = 0, errors = 0;
    double seconds = 0;
    std::string body;
    for (const Suite& s : suites) {
        tests += s.tests;
        failures += s.failures;
        errors += s.errors;
        if (std::isfinite(s.seconds)) seconds += s.seconds;
        body += s.xml();
    }
    return fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{}\" "
        "failures=\"{}\" errors=\"{}\" time=\"{:.3f}\">\n{}</testsuites>\n",
        xml_escape(name), tests, failures, errors, seconds, body);
}

// "peak engine.status_display.bytes: 221.8 MiB measured, limit 1.0 MiB; growth 9.2 MiB/h (95% CI ...)".
std::string limit_message(const LimitResult& limit) {
    std::string message =
        fmt::format("{}: {} measured, limit {}", text::limit_label(limit), text::in_unit(limit.measured, limit.kind),
                    text::in_unit(limit.limit, limit.kind));
    if (limit.growth) message += "; growth " + text::growth_with_interval(limit);
    return message;
}

// Every limit of a budget, one per line: what a person reads when the failure is opened.
std::string budget_detail(const BudgetResult& budget) {
    std::string detail = fmt::format("{}: {}\n", budget.budget, budget.description);
    for (const LimitResult& limit : budget.limits) {
        std::string verdict = text::verdict_word(limit.verdict);
        std::transform(verdict.begin(), verdict.end(), verdict.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        detail += fmt::format("{} {}: {}\n", verdict, text::limit_label(limit), limit.explanation);
    }
    return detail;
}

Suite run_suite_element(const RunResult& run, const std::string& name) {
    Suite suite;
    suite.name = name;
    suite.file = run.info.scenario_file;
    suite.seconds = run.info.wall_seconds + (std::isfinite(run.info.analysis_seconds) ? run.info.analysis_seconds : 0);
    // JUnit's timestamp has no zone designator; memsoak's times are UTC.
    suite.timestamp = run.info.started_at.ends_with('Z') ? run.info.started_at.substr(0, run.info.started_at.size() - 1)
                                                         : run.info.started_at;
    suite.hostname = run.info.host;
    suite.property("scenario_file", run.info.scenario_file);
    suite.property("seed", std::to_string(run.info.seed));
    suite.property("allocator", run.info.allocator);
    suite.property("virtual_time", text::virtual_duration(run.info.virtual_elapsed));
    suite.property("leaks", fmt::format("{}", fmt::join(run.info.leaks, ",")));
    suite.property("memsoak",
                   fmt::format("{} (commit {}, {})", run.info.tool_version, run.info.git_commit, run.info.build_type));
    for (const BudgetResult& budget : run.budgets) {
        const LimitResult* decider = deciding_limit(budget);
        switch (budget.verdict) {
            case Verdict::pass: suite.add_case(name, budget.budget, ""); break;
            case Verdict::fail: {
                std::string message = decider != nullptr ? limit_message(*decider) : budget.budget;
                // Which action keeps the memory, when the probe ran: the line a CI failure needs most.
                if (const std::string note = text::retention_note(run, budget); !note.empty()) message += "; " + note;
                // And which line allocates what stays, when a sampled heap was read (heap_sample.hpp).
                if (const std::string note = text::growth_site_note(run, budget); !note.empty()) message += "; " + note;
                // junit-10.xsd allows no file or line on <testcase>: the budget's place opens the detail instead,
                // as FILE:LINE, the form CI logs and editors link.
                std::string detail = budget_detail(budget);
                if (const auto line = budget_line(run.info.scenario_file, budget.budget)) {
                    detail.insert(0, fmt::format("{}:{}: budget {}\n", run.info.scenario_file, *line, budget.budget));
                }
                suite.fail(name, budget.budget, "budget exceeded", message, detail);
            } break;
            case Verdict::not_measured:
                suite.skip(name, budget.budget,
                           decider != nullptr ? fmt::format("not measured: {}", decider->explanation)
                                              : "no limits to judge");
                break;
        }
    }
    if (run.info.interrupted || !run.info.stop_reason.empty()) {
        suite.error(name, "run", "stopped",
                    fmt::format("stopped after {} of {}: {}", text::virtual_duration(run.info.virtual_elapsed),
                                text::virtual_duration(run.info.virtual_duration),
                                run.info.stop_reason.empty() ? "interrupted" : run.info.stop_reason),
                    "");
    }
    return suite;
}

}  // namespace

std::optional<std::size_t> budget_line(const std::filesystem::path& scenario_file, const std::string& budget) {
    std::ifstream in(scenario_file, std::ios::binary);
    if (!in) return std::nullopt;
    const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The "budgets" key, then the budget's name as a string after it; names have no characters JSON escapes.
    const std::size_t key = content.find("\"budgets\"");
    if (key == std::string::npos) return std::nullopt;
    const std::size_t found = content.find("\"" + budget + "\"", key + 9);
    if (found == std::string::npos) return std::nullopt;
    return static_cast<std::size_t>(
               std::count(content.begin(), content.begin() + static_cast<std::ptrdiff_t>(found), '\n')) +
           1;
}

std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            case '\r': out += "&#13;"; break;  // a parser would turn a literal one into a line feed
            default:
                if (byte < 0x20 && c != '\t' && c != '\n') {
                    out += "\xEF\xBF\xBD";  // U+FFFD: XML 1.0 has no way to write these characters
                } else {
                    out += c;
                }
        }
    }
    return out;
}

std::string render_run_junit(const RunResult& result) {
    return document("memsoak", {run_suite_element(result, result.info.scenario_name)});
}

std::string render_suite_junit(const SuiteReport& suite) {
    std::vector<Suite> suites;
    for (const SuiteRun& run : suite.runs) {
        const std::string name = text::run_name(run.entry);
        const bool ended_badly =
            run.entry.outcome != harness::Outcome::pass && run.entry.outcome != harness::Outcome::fail;
        if (run.result) {
            suites.push_back(run_suite_element(*run.result, name));
            if (ended_badly && !run.result->info.interrupted) {
                suites.back().error(name, "run", std::string(harness::to_string(run.entry.outcome)),
                                    harness::outcome_words(run.entry), fmt::format("log: {}", run.entry.log.string()));
            }
            continue;
        }
        Suite failed;
        failed.name = name;
        failed.seconds = run.entry.wall_seconds;
        failed.property("scenario_file", run.entry.scenario.string());
        failed.error(name, "run", std::string(harness::to_string(run.entry.outcome)),
                     fmt::format("{}: {}", harness::outcome_words(run.entry), run.report_problem),
                     run.entry.log.empty() ? "" : fmt::format("log: {}", run.entry.log.string()));
        suites.push_back(std::move(failed));
    }
    for (std::size_t shard : missing_shards(suite)) {
        Suite missing;
        missing.name = fmt::format("shard {}/{}", shard, suite.shard_count);
        missing.error(missing.name, "shard", "missing",
                      fmt::format("shard {}/{} has no results: its runs did not happen or were not merged", shard,
                                  suite.shard_count),
                      "");
        suites.push_back(std::move(missing));
    }
    return document(fmt::format("memsoak suite {}", suite.suite_name), suites);
}

std::string render_comparison_junit(const Comparison& comparison) {
    std::vector<Suite> suites;
    for (const ScenarioComparison& s : comparison.scenarios) {
        Suite suite;
        suite.name = "compare " + s.scenario;
        suite.property("baseline", s.baseline_file);
        suite.property("candidate", s.candidate_file);
        for (const std::string& note : s.notes) suite.property("note", note);
        if (!s.incomplete.empty()) suite.fail(s.scenario, "both runs complete", "incomplete", s.incomplete, "");
        for (const LimitComparison& l : s.limits) {
            const std::string test = fmt::format("{} {}", l.budget, text::limit_label(l.candidate));
            if (l.overall() == Change::regressed) {
                suite.fail(s.scenario, test, "regression", l.reason,
                           fmt::format("baseline {}: {}\ncandidate {}: {}\n", s.baseline_file,
                                       limit_message(l.baseline), s.candidate_file, limit_message(l.candidate)));
            } else {
                suite.add_case(s.scenario, test, "");
            }
        }
        suites.push_back(std::move(suite));
    }
    if (comparison.unpaired() > 0) {
        Suite unpaired;
        unpaired.name = "compare: reports without a counterpart";
        for (const auto& [side, reports] : {std::pair{"baseline", &comparison.only_in_baseline},
                                            std::pair{"candidate", &comparison.only_in_candidate}}) {
            for (const std::string& report : *reports) {
                const std::string test = fmt::format("only in the {}: {}", side, report);
                if (comparison.options.allow_unpaired) {
                    unpaired.skip("unpaired", test, "not compared (--allow-unpaired)");
                } else {
                    unpaired.fail("unpaired", test, "not compared", fmt::format("not compared: {}", test), "");
                }
            }
        }
        suites.push_back(std::move(unpaired));
    }
    return document("memsoak compare", suites);
}

}  // namespace memsoak::reports
