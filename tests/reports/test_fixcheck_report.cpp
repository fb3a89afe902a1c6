// fixcheck's JSON and terminal table, rendered in reports/: the bytes fixcheck --out wrote before the move.

#include "memsoak/reports/fixcheck_report.hpp"

#include <cmath>
#include <sstream>

#include <gtest/gtest.h>

#include "support/report_fixtures.hpp"

namespace memsoak::reports {
namespace {

using fixtures::kMiB;

FixcheckResult sample_fixcheck() {
    FixcheckResult r;
    r.scenario_file = "scenarios/gui-hour.json";
    r.scenario_name = "gui-hour";
    r.leaks = {"issue-1", "issue-2"};
    r.with_leaks_report = "/work/with-leaks/gui-hour-seed1.json";
    r.fixed_report = "/work/fixed/gui-hour-seed1.json";
    r.with_leaks = fixtures::sample_run();  // issue-1 failed
    r.with_leaks.info.seed = 1;
    r.fixed = fixtures::sample_run();
    r.fixed.budgets.resize(1);
    r.fixed.budgets[0].verdict = harness::Verdict::pass;
    r.fixed.verdict = harness::Verdict::pass;
    r.measures = {{"peak RSS", "bytes", 52 * kMiB, 18 * kMiB, 34 * kMiB, 34.0 / 52 * 100},
                  {"RSS growth", "bytes_per_hour", std::nan(""), 1024, std::nan(""), std::nan("")}};
    return r;
}

TEST(FixcheckReport, JsonIsTheDocumentFixcheckWrote) {
    // The layout of fixcheck --out before its writer moved to reports/ (docs/architecture.md): sorted keys,
    // NaN as null, schema version 1.
    EXPECT_EQ(fixcheck_to_json(sample_fixcheck()).dump(1),
              "{\n"
              " \"fixed\": {\n"
              "  \"failed_budgets\": [],\n"
              "  \"report\": \"/work/fixed/gui-hour-seed1.json\",\n"
              "  \"verdict\": \"pass\"\n"
              " },\n"
              " \"leaks\": [\n"
              "  \"issue-1\",\n"
              "  \"issue-2\"\n"
              " ],\n"
              " \"measures\": [\n"
              "  {\n"
              "   \"fixed\": 18874368.0,\n"
              "   \"name\": \"peak RSS\",\n"
              "   \"percent\": 65.38461538461539,\n"
              "   \"saving\": 35651584.0,\n"
              "   \"unit\": \"bytes\",\n"
              "   \"with_leaks\": 54525952.0\n"
              "  },\n"
              "  {\n"
              "   \"fixed\": 1024.0,\n"
              "   \"name\": \"RSS growth\",\n"
              "   \"percent\": null,\n"
              "   \"saving\": null,\n"
              "   \"unit\": \"bytes_per_hour\",\n"
              "   \"with_leaks\": null\n"
              "  }\n"
              " ],\n"
              " \"scenario\": \"scenarios/gui-hour.json\",\n"
              " \"schema_version\": 1,\n"
              " \"seed\": 1,\n"
              " \"verdict_flips\": true,\n"
              " \"with_leaks\": {\n"
              "  \"failed_budgets\": [\n"
              "   \"issue-1\"\n"
              "  ],\n"
              "  \"report\": \"/work/with-leaks/gui-hour-seed1.json\",\n"
              "  \"verdict\": \"fail\"\n"
              " }\n"
              "}");
}

TEST(FixcheckReport, VerdictFlipsOnlyWhenTheLeakyRunFailsAndTheFixedRunPasses) {
    FixcheckResult r = sample_fixcheck();
    EXPECT_TRUE(r.verdict_flips());
    r.fixed.verdict = harness::Verdict::fail;
    EXPECT_FALSE(r.verdict_flips());
    r = sample_fixcheck();
    r.with_leaks.verdict = harness::Verdict::pass;
    EXPECT_FALSE(r.verdict_flips());
}

TEST(FixcheckReport, TerminalTable) {
    std::ostringstream out;
    print_fixcheck(out, sample_fixcheck());
    EXPECT_EQ(out.str(),
              "memsoak fixcheck: gui-hour (seed 1), issue-1, issue-2 switched on vs every fix\n"
              "\n"
              "measure     with leaks  fixed      saving    reduction\n"
              "peak RSS    52.0 MiB    18.0 MiB   34.0 MiB  65.4%\n"
              "RSS growth  n/a         1.0 KiB/h  n/a       n/a\n"
              "\n"
              "with leaks: fail (issue-1); fixed: pass\n");
}

}  // namespace
}  // namespace memsoak::reports
