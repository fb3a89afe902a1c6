#include "memsoak/harness/analysis/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>
#include <boost/math/distributions/students_t.hpp>
#include <nlohmann/json.hpp>

#include "memsoak/harness/analysis/judge.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/units.hpp"

namespace memsoak::harness {
namespace {

using Json = nlohmann::json;
using json_input::fail;

struct Moments {
    double mean = 0, sd = 0, max = 0;
};

Moments moments(const std::vector<double>& values) {
    Moments m;
    const double n = static_cast<double>(values.size());
    m.mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
    double squares = 0;
    for (double v : values) squares += (v - m.mean) * (v - m.mean);
    m.sd = values.size() > 1 ? std::sqrt(squares / (n - 1)) : 0;
    m.max = *std::max_element(values.begin(), values.end());
    return m;
}

// mean + t(n-1, 1-a) * sd * sqrt(1 + 1/n): a one-sided prediction bound for the next draw.
double prediction_bound(const Moments& m, std::size_t n, double false_alarm_rate) {
    const boost::math::students_t t(static_cast<double>(n - 1));
    const double quantile = boost::math::quantile(boost::math::complement(t, false_alarm_rate));
    return m.mean + quantile * m.sd * std::sqrt(1 + 1 / static_cast<double>(n));
}

double read_number(const Json& object, std::string_view key, const std::string& file, const std::string& path) {
    const Json& value = json_input::require(object, key, "a number", file, path);
    if (!value.is_number()) fail(file, fmt::format("{}.{}", path, key), "a number", value);
    return value.get<double>();
}

std::string read_string(const Json& object, std::string_view key, const std::string& file, const std::string& path) {
    const Json& value = json_input::require(object, key, "a string", file, path);
    if (!value.is_string()) fail(file, fmt::format("{}.{}", path, key), "a string", value);
    return value.get<std::string>();
}

CalibratedLimit read_limit(const std::string& metric, const Json& value, const std::string& file,
                           const std::string& path) {
    json_input::check_object(value,
                             {"runs", "mean", "sd", "floor", "tail_mean", "tail_sd", "tail_floor", "limit",
                              "decided_by"},
                             "a calibrated limit object", file, path);
    CalibratedLimit limit;
    limit.metric = metric;
    const Json& runs = json_input::require(value, "runs", "a whole number of at least 2", file, path);
    if (!runs.is_number_unsigned() || runs.get<std::uint64_t>() < 2) {
        fail(file, path + ".runs", "a whole number of at least 2", runs);
    }
    limit.runs = runs.get<std::size_t>();
    limit.mean = read_number(value, "mean", file, path);
    limit.sd = read_number(value, "sd", file, path);
    limit.floor = read_number(value, "floor", file, path);
    limit.tail_mean = read_number(value, "tail_mean", file, path);
    limit.tail_sd = read_number(value, "tail_sd", file, path);
    limit.tail_floor = read_number(value, "tail_floor", file, path);
    limit.limit = read_number(value, "limit", file, path);
    if (!(limit.limit > 0) || !std::isfinite(limit.limit))
        fail(file, path + ".limit", "a positive number", value.at("limit"));
    limit.decided_by = read_string(value, "decided_by", file, path);
    return limit;
}

ScenarioCalibration read_entry(const Json& value, const std::string& file, const std::string& path) {
    json_input::check_object(value, {"scenario", "allocator", "fingerprint", "seeds", "limits"},
                             "a scenario calibration object", file, path);
    ScenarioCalibration entry;
    entry.scenario = read_string(value, "scenario", file, path);
    entry.allocator = read_string(value, "allocator", file, path);
    entry.fingerprint = read_string(value, "fingerprint", file, path);
    const Json& seeds = json_input::require(value, "seeds", "an array of seeds", file, path);
    if (!seeds.is_array()) fail(file, path + ".seeds", "an array of seeds", seeds);
    for (std::size_t i = 0; i < seeds.size(); ++i) {
        if (!seeds[i].is_number_unsigned()) fail(file, fmt::format("{}.seeds[{}]", path, i), "a seed", seeds[i]);
        entry.seeds.push_back(seeds[i].get<std::uint64_t>());
    }
    const Json& limits = json_input::require(value, "limits", "an object of limits by metric", file, path);
    if (!limits.is_object() || limits.empty()) fail(file, path + ".limits", "an object of limits by metric", limits);
    for (const auto& [metric, limit] : limits.items()) {
        entry.limits.push_back(read_limit(metric, limit, file, fmt::format("{}.limits[\"{}\"]", path, metric)));
    }
    return entry;
}

}  // namespace

const CalibratedLimit* ScenarioCalibration::find(std::string_view metric) const {
    for (const CalibratedLimit& limit : limits) {
        if (limit.metric == metric) return &limit;
    }
    return nullptr;
}

const ScenarioCalibration* CalibrationFile::find(std::string_view scenario, std::string_view allocator) const {
    for (const ScenarioCalibration& entry : scenarios) {
        if (entry.scenario == scenario && entry.allocator == allocator) return &entry;
    }
    return nullptr;
}

void CalibrationFile::put(ScenarioCalibration calibration) {
    for (ScenarioCalibration& entry : scenarios) {
        if (entry.scenario == calibration.scenario && entry.allocator == calibration.allocator) {
            entry = std::move(calibration);
            return;
        }
    }
    scenarios.push_back(std::move(calibration));
    std::sort(scenarios.begin(), scenarios.end(), [](const ScenarioCalibration& a, const ScenarioCalibration& b) {
        return std::tie(a.scenario, a.allocator) < std::tie(b.scenario, b.allocator);
    });
}

CalibrationFile load_calibration(const std::filesystem::path& file) {
    const json_input::Document document = json_input::read_document(file);
    return json_input::read_with_positions(document,
                                           [&](const Json& root) { return parse_calibration(root, document.source); });
}

CalibrationFile parse_calibration(const Json& document, const std::string& file) {
    json_input::check_object(document,
                             {"schema_version", "description", "tool_version", "git_commit", "created_at",
                              "false_alarm_rate", "min_margin_per_hour", "resident_min_margin_per_hour", "scenarios"},
                             "a calibration object", file, "$");
    json_input::check_schema_version(document, kCalibrationSchemaVersion, file);
    CalibrationFile calibration;
    calibration.file = file;
    calibration.tool_version = read_string(document, "tool_version", file, "$");
    calibration.git_commit = read_string(document, "git_commit", file, "$");
    calibration.created_at = read_string(document, "created_at", file, "$");
    calibration.false_alarm_rate = read_number(document, "false_alarm_rate", file, "$");
    if (!(calibration.false_alarm_rate > 0 && calibration.false_alarm_rate < 0.5)) {
        fail(file, "$.false_alarm_rate", "a probability between 0 and 0.5", document.at("false_alarm_rate"));
    }
    calibration.min_margin = read_number(document, "min_margin_per_hour", file, "$");
    calibration.resident_min_margin = read_number(document, "resident_min_margin_per_hour", file, "$");
    const Json& scenarios = json_input::require(document, "scenarios", "an array of scenario calibrations", file, "$");
    if (!scenarios.is_array()) fail(file, "$.scenarios", "an array of scenario calibrations", scenarios);
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
        calibration.scenarios.push_back(read_entry(scenarios[i], file, fmt::format("$.scenarios[{}]", i)));
    }
    return calibration;
}

Json to_json(const CalibrationFile& calibration) {
    Json scenarios = Json::array();
    for (const ScenarioCalibration& entry : calibration.scenarios) {
        Json limits = Json::object();
        for (const CalibratedLimit& l : entry.limits) {
            limits[l.metric] = {{"runs", l.runs},
                                {"mean", l.mean},
                                {"sd", l.sd},
                                {"floor", l.floor},
                                {"tail_mean", l.tail_mean},
                                {"tail_sd", l.tail_sd},
                                {"tail_floor", l.tail_floor},
                                {"limit", l.limit},
                                {"decided_by", l.decided_by}};
        }
        scenarios.push_back({{"scenario", entry.scenario},
                             {"allocator", entry.allocator},
                             {"fingerprint", entry.fingerprint},
                             {"seeds", entry.seeds},
                             {"limits", std::move(limits)}});
    }
    return {
        {"schema_version", kCalibrationSchemaVersion},
        {"description",
         "Growth limits calibrated on the fixed engine by `memsoak calibrate` (docs/budgets.md). Do not edit by hand: "
         "recalibrate after an intended change and compare."},
        {"tool_version", calibration.tool_version},
        {"git_commit", calibration.git_commit},
        {"created_at", calibration.created_at},
        {"false_alarm_rate", calibration.false_alarm_rate},
        {"min_margin_per_hour", calibration.min_margin},
        {"resident_min_margin_per_hour", calibration.resident_min_margin},
        {"scenarios", std::move(scenarios)},
    };
}

std::optional<NullSample> null_sample(const SampleSeries& series, VirtualDuration warmup, std::string_view metric,
                                      const JudgeOptions& options) {
    const TrendFitter fitter(series, warmup, options);
    const std::optional<TrendFitter::Fit> fit = fitter.fit(metric);
    if (!fit) return std::nullopt;
    const double rate = judged_rate_without_fill(fit->growth);
    if (!std::isfinite(rate) || !std::isfinite(fit->growth.tail_rate_per_hour)) return std::nullopt;
    return NullSample{rate, fit->growth.tail_rate_per_hour};
}

CalibratedLimit calibrate_limit(std::string metric, const std::vector<NullSample>& samples, double false_alarm_rate,
                                double min_margin) {
    if (samples.size() < 2)
        throw Error(fmt::format("{}: a calibration needs at least 2 runs, got {}", metric, samples.size()));
    std::vector<double> rates, tails;
    for (const NullSample& s : samples) {
        rates.push_back(s.rate);
        tails.push_back(s.tail);
    }
    const Moments r = moments(rates), t = moments(tails);
    CalibratedLimit limit;
    limit.metric = std::move(metric);
    limit.runs = samples.size();
    limit.mean = r.mean;
    limit.sd = r.sd;
    limit.floor = r.max;
    limit.tail_mean = t.mean;
    limit.tail_sd = t.sd;
    limit.tail_floor = t.max;
    const double by_rate = prediction_bound(r, samples.size(), false_alarm_rate);
    const double by_tail =
        std::max(prediction_bound(t, samples.size(), false_alarm_rate), t.max) / plateau_tail_fraction(limit.metric);
    const double by_margin = std::max(r.max, 0.0) + min_margin;
    limit.limit = std::max({by_rate, by_tail, by_margin});
    limit.decided_by = limit.limit == by_rate ? "rate" : limit.limit == by_tail ? "tail" : "margin";
    return limit;
}

std::vector<std::string> calibrated_metrics(const Ledger& ledger, const std::vector<std::string>& budgets) {
    std::vector<std::string> metrics;
    for (const std::string& name : budgets) {
        const BudgetSpec* budget = ledger.find(name);
        if (budget == nullptr) continue;
        for (const LimitSpec& limit : budget->limits) {
            if (limit.calibrated && std::find(metrics.begin(), metrics.end(), limit.metric) == metrics.end()) {
                metrics.push_back(limit.metric);
            }
        }
    }
    return metrics;
}

void resolve_calibrated_limits(Ledger& ledger, const Scenario& scenario, std::string_view allocator,
                               const CalibrationFile& calibration) {
    const std::string fix = fmt::format("run `memsoak calibrate {}` with the build of that allocator", scenario.file);
    for (BudgetSpec& budget : ledger.budgets) {
        if (std::find(scenario.budgets.begin(), scenario.budgets.end(), budget.name) == scenario.budgets.end()) {
            continue;
        }
        for (LimitSpec& limit : budget.limits) {
            if (!limit.calibrated) continue;
            const ScenarioCalibration* entry = calibration.find(scenario.name, allocator);
            if (entry == nullptr) {
                throw Error(
                    fmt::format("{}: calibrated limit on {}: {} has no calibration for scenario \"{}\" under "
                                "the {} allocator; {}",
                                limit.source, limit.metric, calibration.file, scenario.name, allocator, fix));
            }
            if (entry->fingerprint != scenario.fingerprint) {
                throw Error(
                    fmt::format("{}: calibrated limit on {}: the calibration of \"{}\" in {} was made on a "
                                "different scenario (fingerprint {}, this file {}); {}",
                                limit.source, limit.metric, scenario.name, calibration.file, entry->fingerprint,
                                scenario.fingerprint, fix));
            }
            const CalibratedLimit* found = entry->find(limit.metric);
            if (found == nullptr) {
                throw Error(fmt::format("{}: calibrated limit on {}: the calibration of \"{}\" in {} has no {}; {}",
                                        limit.source, limit.metric, scenario.name, calibration.file, limit.metric,
                                        fix));
            }
            limit.limit = found->limit;
            limit.calibration = Calibration{calibration.file,
                                            found->runs,
                                            found->floor,
                                            found->mean,
                                            found->sd,
                                            calibration.false_alarm_rate,
                                            found->limit - found->floor};
        }
    }
}

std::string scenario_fingerprint(const Json& document) {
    Json content = document;
    if (content.is_object()) {
        content.erase("seed");
        content.erase("description");
    }
    // FNV-1a over the canonical dump (nlohmann keeps object keys sorted): stable across formatting and key order.
    std::uint64_t hash = 14695981039346656037ULL;
    for (const char c : content.dump()) {
        hash ^= static_cast<unsigned char>(c);  // the byte's value, whatever char's signedness
        hash *= 1099511628211ULL;
    }
    return fmt::format("fnv1a64:{:016x}", hash);
}

}  // namespace memsoak::harness
