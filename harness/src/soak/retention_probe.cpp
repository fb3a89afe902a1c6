#include "memsoak/harness/soak/retention_probe.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <boost/math/distributions/students_t.hpp>

#include "memsoak/harness/error.hpp"
#include "memsoak/harness/soak/samplers.hpp"
#include "memsoak/harness/units.hpp"

namespace memsoak::harness {
namespace {

using namespace std::chrono_literals;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kConfidence = 0.95;
constexpr std::size_t kMinCalls = 4;
constexpr std::size_t kMaxCalls = 2000;

std::string action_name(const Action& action) {
    if (action.kind == ActionKind::toggle_indicator) return fmt::format("toggle_indicator({})", action.argument);
    return std::string(to_string(action.kind));
}

// One distinct action of the workload and how often the scenario does it.
struct ProbedAction {
    Action action;
    std::string name;
    double per_hour = 0;           // occurrences in one virtual hour, summed over the items doing it
    VirtualDuration spacing = 1s;  // the first periodic item's period
    bool periodic = false;
};

double occurrences_per_hour(const WorkloadItem& item, const Scenario& scenario) {
    switch (item.timing) {
        case Timing::every: return item.every.count() > 0 ? 3600.0 / engine::to_seconds(item.every) : 0;
        case Timing::rate: return item.rate_per_second * 3600;
        case Timing::at: {
            const double hours = engine::to_seconds(scenario.duration) / 3600;
            return hours > 0 ? static_cast<double>(item.at.size()) / hours : 0;
        }
    }
    return 0;
}

std::vector<ProbedAction> distinct_actions(const Scenario& scenario) {
    std::vector<ProbedAction> actions;
    for (const WorkloadItem& item : scenario.workload) {
        // A freeze and a thaw switch a state; repeated alone they measure nothing but the state they leave.
        if (item.action.kind == ActionKind::gui_freeze || item.action.kind == ActionKind::gui_thaw) continue;
        const std::string name = action_name(item.action);
        auto it = std::find_if(actions.begin(), actions.end(), [&](const ProbedAction& a) { return a.name == name; });
        if (it == actions.end()) it = actions.insert(actions.end(), ProbedAction{item.action, name});
        it->per_hour += occurrences_per_hour(item, scenario);
        if (item.timing == Timing::every && !it->periodic && item.every.count() > 0) {
            it->spacing = item.every;
            it->periodic = true;
        }
    }
    return actions;
}

std::size_t calls_per_round(const ProbedAction& probed) {
    auto calls = static_cast<std::size_t>(std::clamp(std::llround(probed.per_hour), static_cast<long long>(kMinCalls),
                                                     static_cast<long long>(kMaxCalls)));
    // An even number of toggles leaves the overlay set as it was: every round starts from the same chart.
    if (probed.action.kind == ActionKind::toggle_indicator && calls % 2 != 0) ++calls;
    return calls;
}

// Reads one metric of a sampler; NaN without the sampler or the metric.
class MetricReader {
public:
    MetricReader(std::unique_ptr<Sampler> sampler, std::string_view metric) : sampler_(std::move(sampler)) {
        if (!sampler_) return;
        row_.resize(sampler_->metrics().size());
        const auto& metrics = sampler_->metrics();
        const auto it = std::find(metrics.begin(), metrics.end(), metric);
        if (it != metrics.end()) index_ = static_cast<std::size_t>(it - metrics.begin());
    }

    double read() {
        if (!sampler_ || !index_) return kNaN;
        sampler_->sample(row_);
        return row_[*index_];
    }

private:
    std::unique_ptr<Sampler> sampler_;
    std::vector<double> row_;
    std::optional<std::size_t> index_;
};

std::unique_ptr<Sampler> os_sampler_or_null() {
    try {
        return make_os_sampler();
    } catch (const Error&) {
        return nullptr;  // no procfs: the resident set reads NaN
    }
}

struct Interval {
    double mean = kNaN, low = kNaN, high = kNaN;
};

// Mean of the per-call values with a Student t interval; NaN when any round could not be read.
Interval t_interval(const std::vector<double>& values) {
    const auto n = static_cast<double>(values.size());
    if (values.size() < 2 || std::any_of(values.begin(), values.end(), [](double v) { return !std::isfinite(v); })) {
        return {};
    }
    double sum = 0;
    for (double v : values) sum += v;
    const double mean = sum / n;
    double squares = 0;
    for (double v : values) squares += (v - mean) * (v - mean);
    const double standard_error = std::sqrt(squares / (n - 1) / n);
    const boost::math::students_t distribution(n - 1);
    const double t = boost::math::quantile(boost::math::complement(distribution, (1 - kConfidence) / 2));
    return {mean, mean - t * standard_error, mean + t * standard_error};
}

bool excludes_zero(double low, double high) { return low > 0 || high < 0; }

// "1.8 MiB per call (95% CI 1.7..1.9 MiB)": the interval in the unit that format_bytes picks for the mean.
std::string describe_per_call(double mean, double low, double high) {
    constexpr double kKiB = 1024, kMiB = kKiB * 1024, kGiB = kMiB * 1024;
    const double magnitude = std::fabs(mean);
    std::string interval;
    if (magnitude < 1023.5) {
        interval = fmt::format("{:.0f}..{:.0f} B", low, high);
    } else {
        const auto [unit, name] = magnitude / kKiB < 1023.95   ? std::pair{kKiB, "KiB"}
                                  : magnitude / kMiB < 1023.95 ? std::pair{kMiB, "MiB"}
                                                               : std::pair{kGiB, "GiB"};
        interval = fmt::format("{:.1f}..{:.1f} {}", low / unit, high / unit, name);
    }
    return fmt::format("{} per call ({:g}% CI {})", format_bytes(mean), kConfidence * 100, interval);
}

}  // namespace

std::vector<ActionRetention> probe_retention(Target& target, const Scenario& scenario, VirtualTime start,
                                             const ProbeOptions& options) {
    if (options.rounds < 2) {
        throw Error(fmt::format("retention probe: expected at least 2 rounds, got {}", options.rounds));
    }
    MetricReader live(options.read_allocator ? make_allocator_sampler() : nullptr, metrics::allocator::live_bytes);
    MetricReader rss(options.read_os ? os_sampler_or_null() : nullptr, metrics::os::rss_bytes);

    VirtualTime now = start;
    std::vector<ActionRetention> results;
    for (const ProbedAction& probed : distinct_actions(scenario)) {
        if (options.stop_requested != nullptr && options.stop_requested->load(std::memory_order_relaxed)) break;
        const std::size_t calls = calls_per_round(probed);
        std::vector<double> live_per_call, rss_per_call;
        // Round 0 settles: caches and lazily built state that the first calls create are not retention.
        for (std::size_t round = 0; round <= options.rounds; ++round) {
            purge_allocator();
            const double live_before = live.read(), rss_before = rss.read();
            for (std::size_t i = 0; i < calls; ++i) {
                target.apply(probed.action, now);
                now += probed.spacing;
            }
            purge_allocator();
            const double live_after = live.read(), rss_after = rss.read();
            if (round == 0) continue;
            live_per_call.push_back((live_after - live_before) / static_cast<double>(calls));
            rss_per_call.push_back((rss_after - rss_before) / static_cast<double>(calls));
        }
        const Interval live_interval = t_interval(live_per_call);
        const Interval rss_interval = t_interval(rss_per_call);
        const bool live_measured = std::isfinite(live_interval.mean);
        results.push_back(ActionRetention{probed.name, calls, options.rounds, live_interval.mean, live_interval.low,
                                          live_interval.high, rss_interval.mean, rss_interval.low, rss_interval.high,
                                          live_measured ? excludes_zero(live_interval.low, live_interval.high)
                                                        : excludes_zero(rss_interval.low, rss_interval.high)});
    }
    return results;
}

double retained_per_call(const ActionRetention& r) {
    return std::isfinite(r.live_bytes_per_call) ? r.live_bytes_per_call : r.rss_bytes_per_call;
}

bool retains_more_than(const ActionRetention& r, double bytes_per_call) {
    const double low = std::isfinite(r.live_bytes_per_call) ? r.live_ci_low : r.rss_ci_low;
    return r.significant && low > bytes_per_call;
}

std::string retention_summary(const std::vector<ActionRetention>& retention) {
    // An action that significantly frees (a full history replacing its entries) does not retain.
    const auto retains = [](const ActionRetention& r) { return r.significant && retained_per_call(r) > 0; };
    const ActionRetention* largest = nullptr;
    for (const ActionRetention& r : retention) {
        if (!std::isfinite(retained_per_call(r))) continue;
        // Retaining actions first, then the largest.
        if (largest == nullptr ||
            std::pair(retains(r), retained_per_call(r)) > std::pair(retains(*largest), retained_per_call(*largest))) {
            largest = &r;
        }
    }
    if (largest == nullptr) return retention.empty() ? "" : "no action's retention could be measured";
    const bool live = std::isfinite(largest->live_bytes_per_call);
    const std::string per_call =
        live ? describe_per_call(largest->live_bytes_per_call, largest->live_ci_low, largest->live_ci_high)
             : describe_per_call(largest->rss_bytes_per_call, largest->rss_ci_low, largest->rss_ci_high) +
                   " of resident set";
    if (!retains(*largest)) {
        return fmt::format("no action retains memory significantly (largest: {} {})", largest->action, per_call);
    }
    return fmt::format("{} retains {}", largest->action, per_call);
}

}  // namespace memsoak::harness
