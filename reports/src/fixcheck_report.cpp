#include "memsoak/reports/fixcheck_report.hpp"

#include <cmath>

#include <fmt/format.h>

#include "memsoak/harness/units.hpp"
#include "terminal_table.hpp"

namespace memsoak::reports {
namespace {

using Json = nlohmann::json;

std::vector<std::string> failed_budgets(const harness::RunResult& result) {
    std::vector<std::string> failed;
    for (const harness::BudgetResult& budget : result.budgets) {
        if (budget.verdict == harness::Verdict::fail) failed.push_back(budget.budget);
    }
    return failed;
}

// "fail (issue-1, process)", "pass".
std::string describe_verdict(const harness::RunResult& result) {
    const std::vector<std::string> failed = failed_budgets(result);
    if (failed.empty()) return std::string(harness::to_string(result.verdict));
    return fmt::format("{} ({})", harness::to_string(result.verdict), fmt::join(failed, ", "));
}

Json side_to_json(const std::filesystem::path& report, const harness::RunResult& result) {
    return {{"report", report.string()},
            {"verdict", harness::to_string(result.verdict)},
            {"failed_budgets", failed_budgets(result)}};
}

Json number_or_null(double value) { return std::isfinite(value) ? Json(value) : Json(nullptr); }

std::string format_value(double value, const std::string& unit) {
    return unit == "bytes_per_hour" ? harness::format_size_rate(value) : harness::format_bytes(value);
}

std::string format_percent(double percent) { return std::isfinite(percent) ? fmt::format("{:.1f}%", percent) : "n/a"; }

}  // namespace

bool FixcheckResult::verdict_flips() const {
    return with_leaks.verdict == harness::Verdict::fail && fixed.verdict == harness::Verdict::pass;
}

nlohmann::json fixcheck_to_json(const FixcheckResult& result) {
    Json rows = Json::array();
    for (const harness::FixMeasure& m : result.measures) {
        rows.push_back({{"name", m.name},
                        {"unit", m.unit},
                        {"with_leaks", number_or_null(m.with_leaks)},
                        {"fixed", number_or_null(m.fixed)},
                        {"saving", number_or_null(m.saving)},
                        {"percent", number_or_null(m.percent)}});
    }
    return {{"schema_version", kFixcheckSchemaVersion},
            {"scenario", result.scenario_file.string()},
            {"seed", result.with_leaks.info.seed},
            {"leaks", result.leaks},
            {"with_leaks", side_to_json(result.with_leaks_report, result.with_leaks)},
            {"fixed", side_to_json(result.fixed_report, result.fixed)},
            {"verdict_flips", result.verdict_flips()},
            {"measures", std::move(rows)}};
}

void print_fixcheck(std::ostream& out, const FixcheckResult& result) {
    out << fmt::format("memsoak fixcheck: {} (seed {}), {} switched on vs every fix\n\n", result.scenario_name,
                       result.with_leaks.info.seed, fmt::join(result.leaks, ", "));
    std::vector<std::vector<std::string>> rows{{"measure", "with leaks", "fixed", "saving", "reduction"}};
    for (const harness::FixMeasure& m : result.measures) {
        rows.push_back({m.name, format_value(m.with_leaks, m.unit), format_value(m.fixed, m.unit),
                        format_value(m.saving, m.unit), format_percent(m.percent)});
    }
    const TerminalStyle plain;
    terminal::Printer p(out, plain);
    p.table(terminal::plain_rows(rows), 0);
    out << fmt::format("\nwith leaks: {}; fixed: {}\n", describe_verdict(result.with_leaks),
                       describe_verdict(result.fixed));
}

}  // namespace memsoak::reports
