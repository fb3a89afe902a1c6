#include "memsoak/reports/junit.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "support/files.hpp"
#include "support/report_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::reports {
namespace {

using fixtures::kMiB;

// A parsed element: what the tests look at.
struct Element {
    std::string name;
    std::map<std::string, std::string> attributes;  // entities decoded
    std::vector<Element> children;
    std::string text;  // character data directly inside, entities decoded

    const std::string& at(const std::string& attribute) const { return attributes.at(attribute); }
    std::vector<const Element*> all(const std::string& child) const {
        std::vector<const Element*> found;
        for (const Element& e : children) {
            if (e.name == child) found.push_back(&e);
        }
        return found;
    }
};

// A well-formedness check of the XML subset JUnit files use (a declaration, elements, attributes, text, the five
// predefined entities and character references), strict where a CI system's parser would be: it throws on an
// unclosed or mismatched tag, an unquoted or repeated attribute, a '<' or a bare '&' in text or attribute values,
// an unknown entity, a control character XML 1.0 forbids, and anything after the root element.
class XmlReader {
public:
    explicit XmlReader(const std::string& text) : s_(text) {}

    Element document() {
        if (s_.compare(0, 5, "<?xml") == 0) {
            const std::size_t end = s_.find("?>");
            if (end == std::string::npos) fail("unterminated declaration");
            i_ = end + 2;
        }
        skip_space();
        Element root = element();
        skip_space();
        if (i_ != s_.size()) fail("content after the root element");
        return root;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw std::runtime_error(fmt::format("not well-formed at byte {}: {}", i_, what));
    }
    bool at_end() const { return i_ >= s_.size(); }
    void skip_space() {
        while (!at_end() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
    }
    void expect(char c) {
        if (at_end() || s_[i_] != c) fail(fmt::format("expected '{}'", c));
        ++i_;
    }
    std::string name() {
        const std::size_t start = i_;
        while (!at_end() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' || s_[i_] == ':' ||
                             s_[i_] == '-' || s_[i_] == '.')) {
            ++i_;
        }
        if (i_ == start || std::isdigit(static_cast<unsigned char>(s_[start]))) fail("expected a name");
        return s_.substr(start, i_ - start);
    }
    // One character of text or an attribute value, entities decoded, appended to `out`.
    void character(std::string& out) {
        const auto byte = static_cast<unsigned char>(s_[i_]);
        if (s_[i_] == '<') fail("'<' in text or an attribute value");
        if (byte < 0x20 && s_[i_] != '\t' && s_[i_] != '\n' && s_[i_] != '\r') fail("a control character");
        if (s_[i_] != '&') {
            out += s_[i_++];
            return;
        }
        const std::size_t semicolon = s_.find(';', i_);
        if (semicolon == std::string::npos) fail("a bare '&'");
        const std::string entity = s_.substr(i_ + 1, semicolon - i_ - 1);
        static const std::map<std::string, std::string> kPredefined{
            {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}};
        if (const auto it = kPredefined.find(entity); it != kPredefined.end()) {
            out += it->second;
        } else if (entity.size() > 1 && entity[0] == '#') {
            const bool hex = entity[1] == 'x';
            const unsigned long code = std::stoul(entity.substr(hex ? 2 : 1), nullptr, hex ? 16 : 10);
            if (code != 0x9 && code != 0xA && code != 0xD && code < 0x20) fail("a reference to a forbidden character");
            if (code >= 0x80) fail("this reader decodes ASCII references only");
            out += static_cast<char>(code);
        } else {
            fail("unknown entity &" + entity + ";");
        }
        i_ = semicolon + 1;
    }
    Element element() {
        expect('<');
        Element e;
        e.name = name();
        while (true) {
            skip_space();
            if (at_end()) fail("unterminated start tag");
            if (s_.compare(i_, 2, "/>") == 0) {
                i_ += 2;
                return e;
            }
            if (s_[i_] == '>') {
                ++i_;
                break;
            }
            const std::string attribute = name();
            skip_space();
            expect('=');
            skip_space();
            if (at_end() || (s_[i_] != '"' && s_[i_] != '\'')) fail("an unquoted attribute value");
            const char quote = s_[i_++];
            std::string value;
            while (!at_end() && s_[i_] != quote) character(value);
            expect(quote);
            if (!e.attributes.emplace(attribute, value).second) fail("attribute " + attribute + " twice");
        }
        while (true) {
            if (at_end()) fail("unclosed element " + e.name);
            if (s_.compare(i_, 2, "</") == 0) {
                i_ += 2;
                if (name() != e.name) fail("mismatched end tag for " + e.name);
                skip_space();
                expect('>');
                return e;
            }
            if (s_[i_] == '<') {
                e.children.push_back(element());
            } else {
                character(e.text);
            }
        }
    }

    const std::string& s_;
    std::size_t i_ = 0;
};

Element parse(const std::string& xml) { return XmlReader(xml).document(); }

TEST(Junit, TheWellFormednessCheckRejectsBrokenXml) {
    for (const char* broken : {"<a>&</a>", "<a><b></a>", "<a x=1/>", "<a x='1' x='2'/>", "<a>&nbsp;</a>", "<a>\x01</a>",
                               "<a/><b/>", "<a>x<y</a>", "<a"}) {
        EXPECT_THROW(parse(broken), std::runtime_error) << broken;
    }
    EXPECT_EQ(parse("<a x=\"&lt;&#38;&#x3e;\">t&amp;t</a>").at("x"), "<&>");
}

TEST(Junit, EscapesMarkupAndReplacesForbiddenCharacters) {
    EXPECT_EQ(xml_escape("a<b>&\"c\"'d'\r\x01\tz\n"),
              "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;&#13;\xEF\xBF\xBD\tz\n");
}

TEST(Junit, HasOneTestCasePerBudget) {
    harness::RunResult run = fixtures::sample_run();
    // A scenario file that cannot be read from any working folder: no FILE:LINE in the failure text (the next
    // test has one).
    run.info.scenario_file = "no-such-folder/production-day.json";
    const std::string xml = render_run_junit(run);
    EXPECT_TRUE(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    const Element root = parse(xml);
    EXPECT_EQ(root.name, "testsuites");
    EXPECT_EQ(root.at("tests"), "3");
    EXPECT_EQ(root.at("failures"), "1");
    EXPECT_EQ(root.at("errors"), "0");
    EXPECT_EQ(root.attributes.count("skipped"), 0u);  // junit-10.xsd has no skipped on <testsuites>
    ASSERT_EQ(root.all("testsuite").size(), 1u);
    const Element& suite = *root.all("testsuite")[0];
    EXPECT_EQ(suite.at("name"), "production-day");
    EXPECT_EQ(suite.at("skipped"), "1");
    EXPECT_EQ(suite.at("file"), "no-such-folder/production-day.json");
    EXPECT_EQ(suite.at("time"), "0.510");  // the soak loop and the analysis, in wall seconds
    EXPECT_EQ(suite.at("timestamp"), "2026-11-27T07:30:34");
    EXPECT_EQ(suite.at("hostname"), "ci-3");
    std::map<std::string, std::string> properties;
    for (const Element* p : suite.all("properties")[0]->all("property")) properties[p->at("name")] = p->at("value");
    EXPECT_EQ(properties["seed"], "42");
    EXPECT_EQ(properties["leaks"], "issue-1");
    EXPECT_EQ(properties["allocator"], "mimalloc");

    const auto cases = suite.all("testcase");
    ASSERT_EQ(cases.size(), 3u);
    for (const Element* c : cases) EXPECT_EQ(c->at("classname"), "production-day");
    EXPECT_EQ(cases[0]->at("name"), "issue-1");
    EXPECT_EQ(cases[1]->at("name"), "issue-2");
    EXPECT_EQ(cases[2]->at("name"), "issue-3");
    EXPECT_TRUE(cases[1]->children.empty());

    ASSERT_EQ(cases[0]->all("failure").size(), 1u);
    const Element& failure = *cases[0]->all("failure")[0];
    EXPECT_EQ(failure.at("type"), "budget exceeded");
    EXPECT_EQ(failure.at("message"),
              "peak engine.status_display.bytes: 8.0 MiB measured, limit 1.0 MiB; growth 4.0 MiB/h "
              "(95% CI 3.9 MiB/h..4.1 MiB/h)");
    EXPECT_EQ(failure.text,
              "issue-1: Status display must not retain analysis frames\n"
              "FAIL peak engine.status_display.bytes: peak 8.0 MiB exceeds 1.0 MiB\n"
              "FAIL growth engine.status_display.bytes: grows 4.0 MiB/h (95% CI 3.9..4.1, p<0.001), above the "
              "64.0 KiB/h limit\n");
    ASSERT_EQ(cases[2]->all("skipped").size(), 1u);
    EXPECT_EQ(cases[2]->all("skipped")[0]->at("message"), "not measured: engine.transactions.items was not sampled");
}

TEST(Junit, HostileNamesStayWellFormedAndReadBack) {
    const Element root = parse(render_run_junit(fixtures::hostile_run()));
    const Element& suite = *root.all("testsuite")[0];
    EXPECT_EQ(suite.at("name"), "day <script>alert(1)</script> & co");
    const Element& failed = *suite.all("testcase")[0];
    EXPECT_EQ(failed.at("classname"), "day <script>alert(1)</script> & co");
    EXPECT_EQ(failed.at("name"), "issue-1 | \"quoted\" <b>");
    EXPECT_NE(failed.all("failure")[0]->text.find("peak > limit & \xEF\xBF\xBD"
                                                  "control"),
              std::string::npos);
}

TEST(Junit, AStoppedRunIsAnError) {
    harness::RunResult run = fixtures::sample_run();
    run.info.interrupted = true;
    run.info.virtual_elapsed = std::chrono::minutes(90);
    const Element root = parse(render_run_junit(run));
    EXPECT_EQ(root.at("errors"), "1");
    const Element& stopped = *root.all("testsuite")[0]->all("testcase").back();
    EXPECT_EQ(stopped.at("name"), "run");
    EXPECT_EQ(stopped.all("error")[0]->at("message"), "stopped after 1h30m of 2h: interrupted");
}

TEST(Junit, ASuiteHasATestSuitePerRunAndACrashIsAnError) {
    const Element root = parse(render_suite_junit(fixtures::sample_suite()));
    EXPECT_EQ(root.at("name"), "memsoak suite nightly");
    EXPECT_EQ(root.at("tests"), "5");  // three budgets, one budget, one crashed run
    EXPECT_EQ(root.at("failures"), "1");
    EXPECT_EQ(root.at("errors"), "1");
    const auto suites = root.all("testsuite");
    ASSERT_EQ(suites.size(), 3u);
    EXPECT_EQ(suites[0]->at("name"), "production-day");
    EXPECT_EQ(suites[1]->at("name"), "gui-hour");
    EXPECT_EQ(suites[1]->all("testcase")[0]->at("name"), "issue-2");
    EXPECT_EQ(suites[2]->at("name"), "overnight");
    const Element& crash = *suites[2]->all("testcase")[0];
    EXPECT_EQ(crash.at("classname"), "overnight");
    EXPECT_EQ(crash.at("name"), "run");
    const Element& error = *crash.all("error")[0];
    EXPECT_EQ(error.at("type"), "crashed");
    EXPECT_EQ(error.at("message"), "crashed (signal 11): no report written; see overnight.log");
    EXPECT_EQ(error.text, "log: overnight.log");
}

TEST(Junit, AMissingShardIsAnError) {
    SuiteReport suite = fixtures::sample_suite();
    suite.merged = true;
    suite.shard_count = 2;
    const Element root = parse(render_suite_junit(suite));
    const Element& missing = *root.all("testsuite").back();
    EXPECT_EQ(missing.at("name"), "shard 2/2");
    EXPECT_EQ(missing.all("testcase")[0]->all("error")[0]->at("message"),
              "shard 2/2 has no results: its runs did not happen or were not merged");
}

// Jenkins xUnit validates every JUnit file against its junit-10.xsd and skips one that fails: each element may
// carry only the attributes listed there (the schema declares no anyAttribute), with the required ones present.
struct Allowed {
    std::set<std::string> attributes;
    std::set<std::string> required;
};
const std::map<std::string, Allowed>& junit10() {
    static const std::map<std::string, Allowed> schema{
        {"testsuites", {{"name", "time", "tests", "failures", "errors"}, {}}},
        {"testsuite",
         {{"name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp", "hostname", "id", "package",
           "file", "log", "url"},
          {"name", "tests", "failures", "errors"}}},
        {"properties", {{}, {}}},
        {"property", {{"name", "value"}, {"name", "value"}}},
        {"testcase", {{"name", "time", "classname", "group"}, {"name"}}},
        {"failure", {{"type", "message"}, {}}},
        {"error", {{"type", "message"}, {}}},
        {"skipped", {{"type", "message"}, {}}},
        {"system-out", {{}, {}}},
        {"system-err", {{}, {}}},
    };
    return schema;
}

void expect_junit10(const Element& e, const std::string& where) {
    const auto allowed = junit10().find(e.name);
    ASSERT_NE(allowed, junit10().end()) << where << ": <" << e.name << "> is not in junit-10.xsd";
    for (const auto& [name, value] : e.attributes) {
        EXPECT_TRUE(allowed->second.attributes.contains(name)) << where << ": <" << e.name << " " << name << ">";
    }
    for (const std::string& name : allowed->second.required) {
        EXPECT_TRUE(e.attributes.contains(name)) << where << ": <" << e.name << "> lacks " << name;
    }
    // SUREFIRE_TIME, the type of time on <testsuites> and <testsuite>.
    if ((e.name == "testsuites" || e.name == "testsuite") && e.attributes.contains("time")) {
        EXPECT_TRUE(std::regex_match(e.at("time"), std::regex(R"((([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?)")))
            << where << ": time=" << e.at("time");
    }
    for (const Element& child : e.children) expect_junit10(child, where);
}

TEST(Junit, EveryElementCarriesOnlyTheAttributesJunit10Allows) {
    Comparison comparison;
    comparison.scenarios.push_back(compare_runs(fixtures::sample_run(), fixtures::sample_run(), CompareOptions{}));
    comparison.only_in_baseline = {"night (seed 42, mimalloc): base/night.json"};
    harness::RunResult stopped = fixtures::sample_run();
    stopped.info.stop_reason = "resident set exceeded --max-rss 104857600 bytes";
    const std::map<std::string, std::string> outputs{
        {"run", render_run_junit(fixtures::sample_run())},   {"hostile run", render_run_junit(fixtures::hostile_run())},
        {"stopped run", render_run_junit(stopped)},          {"suite", render_suite_junit(fixtures::sample_suite())},
        {"comparison", render_comparison_junit(comparison)},
    };
    for (const auto& [what, xml] : outputs) {
        const Element root = parse(xml);
        EXPECT_EQ(root.name, "testsuites") << what;
        expect_junit10(root, what);
    }
    // The check can fail: the attributes the old files carried are refused.
    EXPECT_NONFATAL_FAILURE(expect_junit10(parse(R"(<testsuites skipped="0"/>)"), "old"), "<testsuites skipped>");
    EXPECT_NONFATAL_FAILURE(expect_junit10(parse(R"(<testcase name="a" file="f"/>)"), "annotated"), "<testcase file>");
}

TEST(Junit, AFailedBudgetPointsAtItsPlaceInTheScenarioFile) {
    const testing::TempDir folder;
    const auto scenario = folder / "production-day.json";
    testing::write_text(scenario,
                        "{\n  \"name\": \"production-day\",\n  \"description\": \"issue-2 and issue-1\",\n"
                        "  \"budgets\": [\n    \"issue-2\",\n    \"issue-1\"\n  ]\n}\n");
    EXPECT_EQ(budget_line(scenario, "issue-1"), std::optional<std::size_t>(6));  // not the description's mention
    EXPECT_EQ(budget_line(scenario, "issue-2"), std::optional<std::size_t>(5));
    EXPECT_EQ(budget_line(scenario, "issue-9"), std::nullopt);
    EXPECT_EQ(budget_line(folder / "missing.json", "issue-1"), std::nullopt);

    harness::RunResult run = fixtures::sample_run();
    run.info.scenario_file = scenario.string();
    const Element root = parse(render_run_junit(run));
    const Element& suite = *root.all("testsuite")[0];
    EXPECT_EQ(suite.at("file"), scenario.string());
    const Element& failure = *suite.all("testcase")[0]->all("failure")[0];
    EXPECT_TRUE(failure.text.starts_with(scenario.string() + ":6: budget issue-1\nissue-1: Status display"))
        << failure.text;
}

TEST(Junit, AComparisonFailsEachRegressedLimit) {
    harness::RunResult baseline = fixtures::sample_run();
    baseline.budgets[1].limits[0].measured = 1;
    harness::RunResult candidate = fixtures::sample_run();
    candidate.budgets[1].limits[0].measured = 40;  // beyond max(10, 10% of 1) more figures
    Comparison comparison;
    comparison.scenarios.push_back(compare_runs(baseline, candidate, CompareOptions{}));
    comparison.scenarios[0].baseline_file = "base.json";
    comparison.scenarios[0].candidate_file = "cand.json";
    const Element root = parse(render_comparison_junit(comparison));
    EXPECT_EQ(root.at("tests"), "4");
    EXPECT_EQ(root.at("failures"), "1");
    const auto cases = root.all("testsuite")[0]->all("testcase");
    const Element& regressed = *cases[2];
    EXPECT_EQ(regressed.at("classname"), "production-day");
    EXPECT_EQ(regressed.at("name"), "issue-2 items engine.chart.items");
    EXPECT_EQ(regressed.all("failure")[0]->at("message"), "peak 1 -> 40, +39 beyond the 10 tolerance");
}

}  // namespace
}  // namespace memsoak::reports

namespace memsoak::reports {
namespace {

TEST(Junit, AFailedWholeProcessBudgetNamesTheActionThatRetainsMost) {
    harness::RunResult run = fixtures::sample_run();
    harness::BudgetResult process{"process", "The whole process", {}, harness::Verdict::fail};
    process.limits.push_back(fixtures::limit("os.rss_bytes", harness::LimitKind::peak, 50 * fixtures::kMiB,
                                             60 * fixtures::kMiB, harness::Verdict::fail,
                                             "peak 60.0 MiB exceeds 50.0 MiB"));
    run.budgets.push_back(process);
    run.retention = std::vector<harness::ActionRetention>{
        {"refresh_chart", 4, 8, 3 * fixtures::kMiB, 2.9 * fixtures::kMiB, 3.1 * fixtures::kMiB, 0, 0, 0, true}};
    const Element root = parse(render_run_junit(run));
    const auto cases = root.all("testsuite")[0]->all("testcase");
    ASSERT_EQ(cases.size(), 4u);
    EXPECT_EQ(cases[3]->all("failure")[0]->at("message"),
              "peak os.rss_bytes: 60.0 MiB measured, limit 50.0 MiB; refresh_chart retains 3.0 MiB per call "
              "(95% CI 2.9..3.1 MiB)");
    // An engine budget already names its component: its message stays as it was.
    EXPECT_EQ(cases[0]->all("failure")[0]->at("message").find("retains"), std::string::npos);
}

}  // namespace
}  // namespace memsoak::reports
