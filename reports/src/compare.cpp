#include "memsoak/reports/compare.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "memsoak/harness/units.hpp"
#include "memsoak/reports/error.hpp"
#include "memsoak/reports/json_report.hpp"
#include "memsoak/reports/suite_report.hpp"
#include "text_format.hpp"

namespace memsoak::reports {
namespace {

namespace fs = std::filesystem;
using harness::LimitKind;
using harness::LimitResult;
using harness::RunResult;
using harness::Verdict;

bool counts_items(const std::string& metric) { return metric.ends_with(".items"); }

// A peak (or peak count) changes when it moves by more than max(absolute, relative x baseline): a single run has
// no interval for its peak, so the tolerance stands in for re-run noise.
Change compare_peaks(LimitComparison& row, const CompareOptions& options, const SeedSpread& spread,
                     std::vector<std::string>& reasons) {
    const double base = row.baseline.measured;
    const double cand = row.candidate.measured;
    if (!std::isfinite(base) || !std::isfinite(cand)) return Change::not_compared;
    const double absolute = row.kind == LimitKind::items ? options.items_tolerance : options.peak_tolerance_bytes;
    const double tolerance = std::max(absolute, options.relative_tolerance * std::abs(base)) + spread.measured;
    const double change = cand - base;
    if (std::abs(change) <= tolerance) return Change::same;
    reasons.push_back(fmt::format("peak {} -> {}, {} beyond the {} tolerance", text::in_unit(base, row.kind),
                                  text::in_unit(cand, row.kind), text::signed_in_unit(change, row.kind),
                                  text::in_unit(tolerance, row.kind)));
    return change > 0 ? Change::regressed : Change::improved;
}

// The virtual hours a growth fit spans: from the warm-up to the end of the shorter run.
double judged_hours(const RunResult& a, const RunResult& b) {
    const auto span = [](const RunResult& r) { return engine::to_hours(r.info.virtual_elapsed - r.info.warmup); };
    return std::min(span(a), span(b));
}

// Growth changes only when the two slopes' confidence intervals are apart by more than the tolerance, and the
// higher one is a significant trend: the intervals carry each run's own noise. The tolerance is also at least the
// peak tolerance spread over the judged hours: extra growth that adds up to less than that over the run cannot be
// told from the run-to-run variation in level (a few pages of RSS make tens of KiB/h in a two-hour run).
Change compare_growth(LimitComparison& row, const CompareOptions& options, double hours, const SeedSpread& spread,
                      std::vector<std::string>& reasons) {
    if (!row.baseline.growth || !row.candidate.growth) return Change::not_compared;
    const harness::Growth& base = *row.baseline.growth;
    const harness::Growth& cand = *row.candidate.growth;
    for (double v : {base.ci_low_per_hour, base.ci_high_per_hour, cand.ci_low_per_hour, cand.ci_high_per_hour}) {
        if (!std::isfinite(v)) return Change::not_compared;
    }
    const bool items = counts_items(row.metric);
    const double level = items ? options.items_tolerance : options.peak_tolerance_bytes;
    const double tolerance =
        std::max({items ? options.items_tolerance : options.growth_tolerance_per_hour,
                  options.relative_tolerance * std::abs(base.slope_per_hour), hours > 0 ? level / hours : 0.0}) +
        spread.slope_per_hour;
    const auto describe = [&] {
        const auto interval = [&](const harness::Growth& g) {
            return fmt::format("{}..{}", text::rate_of(g.ci_low_per_hour, row.metric),
                               text::rate_of(g.ci_high_per_hour, row.metric));
        };
        return fmt::format("growth {} -> {}, {} intervals {} and {} apart by more than {}",
                           text::rate_of(base.slope_per_hour, row.metric),
                           text::rate_of(cand.slope_per_hour, row.metric), text::confidence_level(base.confidence),
                           interval(base), interval(cand), text::rate_of(tolerance, row.metric));
    };
    if (cand.significant && cand.ci_low_per_hour > base.ci_high_per_hour + tolerance) {
        reasons.push_back(describe());
        return Change::regressed;
    }
    if (base.significant && base.ci_low_per_hour > cand.ci_high_per_hour + tolerance) {
        reasons.push_back(describe());
        return Change::improved;
    }
    return Change::same;
}

Change compare_verdicts(const LimitComparison& row, std::vector<std::string>& reasons) {
    const Verdict base = row.baseline.verdict;
    const Verdict cand = row.candidate.verdict;
    if (base == cand || base == Verdict::not_measured || cand == Verdict::not_measured) return Change::same;
    reasons.push_back(fmt::format("verdict {} -> {}", text::verdict_word(base), text::verdict_word(cand)));
    return cand == Verdict::fail ? Change::regressed : Change::improved;
}

void note_differences(const RunResult& base, const RunResult& cand, std::vector<std::string>& notes) {
    if (base.info.allocator != cand.info.allocator) {
        notes.push_back(
            fmt::format("allocators differ: baseline {}, candidate {}", base.info.allocator, cand.info.allocator));
    }
    if (base.info.seed != cand.info.seed) {
        notes.push_back(fmt::format("seeds differ: baseline {}, candidate {}", base.info.seed, cand.info.seed));
    }
    std::vector<std::string> missing;
    for (const std::string& layer : base.info.layers) {
        if (std::find(cand.info.layers.begin(), cand.info.layers.end(), layer) == cand.info.layers.end()) {
            missing.push_back(layer);
        }
    }
    if (!missing.empty()) {
        notes.push_back(fmt::format("the candidate measured fewer layers: {} not measured, its limits not compared",
                                    fmt::join(missing, ", ")));
    }
    if (base.info.leaks != cand.info.leaks) {
        const auto list = [](const std::vector<std::string>& leaks) {
            return leaks.empty() ? std::string("none") : fmt::format("{}", fmt::join(leaks, ", "));
        };
        notes.push_back(fmt::format("leaky behaviour differs: baseline {}, candidate {}", list(base.info.leaks),
                                    list(cand.info.leaks)));
    }
    if (base.info.virtual_elapsed != cand.info.virtual_elapsed) {
        notes.push_back(fmt::format("virtual time differs: baseline {}, candidate {}",
                                    text::virtual_duration(base.info.virtual_elapsed),
                                    text::virtual_duration(cand.info.virtual_elapsed)));
    }
}

const harness::BudgetResult* find_budget(const RunResult& run, const std::string& name) {
    for (const auto& budget : run.budgets) {
        if (budget.budget == name) return &budget;
    }
    return nullptr;
}

// Reports in a folder, keyed by scenario name and seed; the suite report and other files are skipped.
struct Found {
    fs::path file;
    RunResult result;
};

std::vector<Found> load_folder(const fs::path& folder) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& item : fs::directory_iterator(folder, ec)) {
        const fs::path& path = item.path();
        if (item.is_regular_file() && path.extension() == ".json" && path.filename() != kSuiteReportFile) {
            files.push_back(path);
        }
    }
    if (ec) throw Error(fmt::format("{}: cannot list folder: {}", folder.string(), ec.message()));
    std::sort(files.begin(), files.end());
    std::vector<Found> found;
    for (const fs::path& file : files) found.push_back({file, load_report(file)});
    return found;
}

std::string run_key(const RunResult& run) {
    return fmt::format("{} (seed {}, {})", run.info.scenario_name, run.info.seed, run.info.allocator);
}

std::string group_key(const RunResult& run) {
    return fmt::format("{} ({})", run.info.scenario_name, run.info.allocator);
}

// The spread of each limit over the baseline's seeds. The baseline's runs alone: a leak in one candidate seed
// must not widen its own tolerance.
SeedSpreads spreads_of(const std::vector<const RunResult*>& base_runs) {
    std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> values;
    for (const RunResult* run : base_runs) {
        for (const auto& budget : run->budgets) {
            for (const LimitResult& limit : budget.limits) {
                auto& [measured, slopes] = values[seed_spread_key(budget.budget, limit.metric, limit.kind)];
                if (std::isfinite(limit.measured)) measured.push_back(limit.measured);
                if (limit.growth && std::isfinite(limit.growth->slope_per_hour)) {
                    slopes.push_back(limit.growth->slope_per_hour);
                }
            }
        }
    }
    const auto range = [](const std::vector<double>& v) {
        return v.size() < 2 ? 0.0 : *std::max_element(v.begin(), v.end()) - *std::min_element(v.begin(), v.end());
    };
    SeedSpreads spreads;
    for (const auto& [key, v] : values) spreads[key] = SeedSpread{range(v.first), range(v.second)};
    return spreads;
}

std::string describe_report(const Found& f) { return fmt::format("{}: {}", run_key(f.result), f.file.string()); }

}  // namespace

std::string seed_spread_key(const std::string& budget, const std::string& metric, LimitKind kind) {
    return fmt::format("{}\n{}\n{}", budget, metric, static_cast<int>(kind));
}

Change LimitComparison::overall() const {
    const Change parts[] = {peak, growth, verdict};
    if (std::find(std::begin(parts), std::end(parts), Change::regressed) != std::end(parts)) return Change::regressed;
    if (std::find(std::begin(parts), std::end(parts), Change::improved) != std::end(parts)) return Change::improved;
    if (peak == Change::not_compared && growth == Change::not_compared) return Change::not_compared;
    return Change::same;
}

std::size_t ScenarioComparison::regressions() const {
    return static_cast<std::size_t>(
               std::count_if(limits.begin(), limits.end(),
                             [](const LimitComparison& l) { return l.overall() == Change::regressed; })) +
           (incomplete.empty() ? 0 : 1);
}

std::size_t Comparison::regressions() const {
    std::size_t total = 0;
    for (const auto& scenario : scenarios) total += scenario.regressions();
    return total;
}

std::size_t Comparison::unpaired() const { return only_in_baseline.size() + only_in_candidate.size(); }

bool Comparison::passed() const { return regressions() == 0 && (options.allow_unpaired || unpaired() == 0); }

ScenarioComparison compare_runs(const RunResult& baseline, const RunResult& candidate, const CompareOptions& options,
                                const SeedSpreads* spreads) {
    ScenarioComparison out;
    out.scenario = candidate.info.scenario_name;
    out.baseline = baseline;
    out.candidate = candidate;
    note_differences(baseline, candidate, out.notes);
    std::vector<std::string> stopped;
    for (const auto& [side, run] :
         {std::pair<const char*, const RunResult*>{"baseline", &baseline}, {"candidate", &candidate}}) {
        if (!run->info.interrupted && run->info.stop_reason.empty() &&
            run->info.virtual_elapsed >= run->info.virtual_duration) {
            continue;
        }
        stopped.push_back(fmt::format("the {} stopped after {} of {} ({})", side,
                                      text::virtual_duration(run->info.virtual_elapsed),
                                      text::virtual_duration(run->info.virtual_duration),
                                      run->info.stop_reason.empty() ? "no reason recorded" : run->info.stop_reason));
    }
    if (!stopped.empty()) out.incomplete = fmt::format("incomplete: {}", fmt::join(stopped, "; "));
    for (const auto& budget : candidate.budgets) {
        const harness::BudgetResult* base_budget = find_budget(baseline, budget.budget);
        if (base_budget == nullptr) {
            out.notes.push_back(fmt::format("budget {} is only in the candidate", budget.budget));
            continue;
        }
        for (const LimitResult& limit : budget.limits) {
            const auto base_limit =
                std::find_if(base_budget->limits.begin(), base_budget->limits.end(),
                             [&](const LimitResult& l) { return l.metric == limit.metric && l.kind == limit.kind; });
            if (base_limit == base_budget->limits.end()) {
                out.notes.push_back(
                    fmt::format("{}: {} is only in the candidate", budget.budget, text::limit_label(limit)));
                continue;
            }
            LimitComparison row;
            row.budget = budget.budget;
            row.metric = limit.metric;
            row.kind = limit.kind;
            row.baseline = *base_limit;
            row.candidate = limit;
            std::vector<std::string> reasons;
            SeedSpread spread;
            if (spreads != nullptr) {
                const auto found = spreads->find(seed_spread_key(budget.budget, limit.metric, limit.kind));
                if (found != spreads->end()) spread = found->second;
            }
            if (limit.kind != LimitKind::growth) row.peak = compare_peaks(row, options, spread, reasons);
            row.growth = compare_growth(row, options, judged_hours(baseline, candidate), spread, reasons);
            row.verdict = compare_verdicts(row, reasons);
            row.reason = fmt::format("{}", fmt::join(reasons, "; "));
            out.limits.push_back(std::move(row));
        }
    }
    for (const auto& budget : baseline.budgets) {
        if (find_budget(candidate, budget.budget) == nullptr) {
            out.notes.push_back(fmt::format("budget {} is only in the baseline", budget.budget));
        }
    }
    return out;
}

namespace {

// Both paths exist and are of one kind; true when they are folders.
bool check_comparable(const fs::path& baseline, const fs::path& candidate) {
    for (const fs::path& path : {baseline, candidate}) {
        if (!fs::exists(path)) {
            throw Error(
                fmt::format("{}: no such file or folder; expected a report or a folder of reports", path.string()));
        }
    }
    const bool base_folder = fs::is_directory(baseline);
    const bool cand_folder = fs::is_directory(candidate);
    if (base_folder != cand_folder) {
        throw Error(fmt::format("{} is a {} but {} is a {}: compare two reports or two folders of reports",
                                baseline.string(), base_folder ? "folder" : "file", candidate.string(),
                                cand_folder ? "folder" : "file"));
    }
    return base_folder;
}

// A folder holds at most one report of each scenario, seed and allocator.
void check_unique(const std::vector<Found>& runs) {
    std::map<std::string, const fs::path*> seen;
    for (const Found& f : runs) {
        const auto [it, added] = seen.emplace(run_key(f.result), &f.file);
        if (!added) {
            throw Error(fmt::format("{} and {}: two reports of {}", it->second->string(), f.file.string(), it->first));
        }
    }
}

// Pairs the reports of two folders into comparisons: same scenario, seed and allocator first, then across seeds.
class FolderPairing {
public:
    FolderPairing(std::vector<Found> base_runs, std::vector<Found> cand_runs, Comparison& comparison)
        : base_runs_(std::move(base_runs)),
          cand_runs_(std::move(cand_runs)),
          base_used_(base_runs_.size(), false),
          cand_used_(cand_runs_.size(), false),
          comparison_(comparison) {}

    void pair_same_seeds() {
        for (std::size_t c = 0; c < cand_runs_.size(); ++c) {
            for (std::size_t b = 0; b < base_runs_.size(); ++b) {
                if (!base_used_[b] && run_key(base_runs_[b].result) == run_key(cand_runs_[c].result)) {
                    pair_up(b, c, nullptr);
                }
            }
        }
    }

    // Then every run left over, compared across seeds with the other side's runs of its scenario and allocator:
    // the leftovers of both sides with each other, in file order, the shorter side repeated; a side with nothing
    // left over lends all its runs of the scenario (a night of seeds 1,2,3 against a baseline of seed 1 compares
    // seeds 2 and 3 with it too). Each limit's tolerance widens by its spread over the baseline's seeds of the
    // scenario, as a seed alone moves a value that much.
    void pair_across_seeds() {
        for (const auto& [key, group] : groups()) {
            if (group.bases.empty() || group.cands.empty()) continue;  // nothing to compare with: unpaired
            if (group.left_bases.empty() && group.left_cands.empty()) continue;
            pair_group(group);
        }
    }

    // The reports left with no counterpart, on either side.
    void list_unpaired() {
        for (std::size_t b = 0; b < base_runs_.size(); ++b) {
            if (!base_used_[b]) comparison_.only_in_baseline.push_back(describe_report(base_runs_[b]));
        }
        for (std::size_t c = 0; c < cand_runs_.size(); ++c) {
            if (!cand_used_[c]) comparison_.only_in_candidate.push_back(describe_report(cand_runs_[c]));
        }
    }

private:
    // The runs of one scenario and allocator on each side, and those of them not paired yet.
    struct Group {
        std::vector<std::size_t> bases, cands, left_bases, left_cands;
    };

    std::map<std::string, Group> groups() const {
        std::map<std::string, Group> groups;
        for (std::size_t b = 0; b < base_runs_.size(); ++b) {
            Group& group = groups[group_key(base_runs_[b].result)];
            group.bases.push_back(b);
            if (!base_used_[b]) group.left_bases.push_back(b);
        }
        for (std::size_t c = 0; c < cand_runs_.size(); ++c) {
            Group& group = groups[group_key(cand_runs_[c].result)];
            group.cands.push_back(c);
            if (!cand_used_[c]) group.left_cands.push_back(c);
        }
        return groups;
    }

    void pair_group(const Group& group) {
        std::vector<const RunResult*> base_group;
        for (std::size_t b : group.bases) base_group.push_back(&base_runs_[b].result);
        const SeedSpreads spreads = spreads_of(base_group);
        const std::string note =
            base_group.size() < 2
                ? std::string("compared across seeds: one baseline seed, so no spread to widen the tolerances by")
                : fmt::format(
                      "compared across seeds: tolerances widened by each limit's spread over the baseline's "
                      "{} seeds",
                      base_group.size());
        const auto& bases = group.left_bases.empty() ? group.bases : group.left_bases;
        const auto& cands = group.left_cands.empty() ? group.cands : group.left_cands;
        const std::size_t count = std::max(group.left_bases.size(), group.left_cands.size());
        for (std::size_t k = 0; k < count; ++k) {
            pair_up(bases[k % bases.size()], cands[k % cands.size()], &spreads);
            comparison_.scenarios.back().notes.push_back(note);
        }
    }

    void pair_up(std::size_t b, std::size_t c, const SeedSpreads* spreads) {
        ScenarioComparison one = compare_runs(base_runs_[b].result, cand_runs_[c].result, comparison_.options, spreads);
        one.baseline_file = base_runs_[b].file.string();
        one.candidate_file = cand_runs_[c].file.string();
        comparison_.scenarios.push_back(std::move(one));
        base_used_[b] = cand_used_[c] = true;
    }

    std::vector<Found> base_runs_;
    std::vector<Found> cand_runs_;
    std::vector<bool> base_used_;
    std::vector<bool> cand_used_;
    Comparison& comparison_;
};

}  // namespace

Comparison compare_paths(const fs::path& baseline, const fs::path& candidate, const CompareOptions& options) {
    Comparison comparison;
    comparison.options = options;
    if (!check_comparable(baseline, candidate)) {
        ScenarioComparison one = compare_runs(load_report(baseline), load_report(candidate), options);
        one.baseline_file = baseline.string();
        one.candidate_file = candidate.string();
        comparison.scenarios.push_back(std::move(one));
        return comparison;
    }
    std::vector<Found> base_runs = load_folder(baseline);
    std::vector<Found> cand_runs = load_folder(candidate);
    check_unique(base_runs);
    check_unique(cand_runs);
    FolderPairing pairing(std::move(base_runs), std::move(cand_runs), comparison);
    pairing.pair_same_seeds();
    pairing.pair_across_seeds();
    pairing.list_unpaired();
    if (comparison.scenarios.empty()) {
        throw Error(fmt::format("{} and {}: no scenario has a report in both folders under the same allocator",
                                baseline.string(), candidate.string()));
    }
    std::sort(comparison.scenarios.begin(), comparison.scenarios.end(),
              [](const ScenarioComparison& a, const ScenarioComparison& b) {
                  return std::tie(a.candidate_file, a.baseline_file) < std::tie(b.candidate_file, b.baseline_file);
              });
    return comparison;
}

double interval_confidence(const Comparison& comparison) {
    for (const ScenarioComparison& s : comparison.scenarios) {
        for (const LimitComparison& l : s.limits) {
            if (l.candidate.growth) return l.candidate.growth->confidence;
        }
    }
    return harness::Growth{}.confidence;
}

std::string_view to_string(Change change) {
    switch (change) {
        case Change::same: return "same";
        case Change::regressed: return "regressed";
        case Change::improved: return "improved";
        case Change::not_compared: return "not compared";
    }
    return "unknown";
}

}  // namespace memsoak::reports
