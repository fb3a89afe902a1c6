// memsoak history: the nightly history store (docs/history.md). record, check, ack, compare, show, bisect.

#include <cmath>
#include <iostream>

#include <fmt/format.h>

#include "cli.hpp"
#include "memsoak/history/check.hpp"
#include "memsoak/history/error.hpp"
#include "memsoak/history/night.hpp"
#include "memsoak/history/release.hpp"
#include "memsoak/history/store.hpp"
#include "memsoak/history/trend.hpp"
#include "memsoak/reports/atomic_file.hpp"
#include "memsoak/reports/compare.hpp"
#include "memsoak/reports/error.hpp"
#include "memsoak/reports/json_report.hpp"

namespace po = boost::program_options;

namespace memsoak::cli {
namespace {

constexpr const char* kUsage =
    "memsoak history record DB REPORT|SUITE_DIR... [--commit C] [--branch B] [--time T] [--label L]\n"
    "memsoak history check DB [--json F] [--markdown F]\n"
    "memsoak history ack DB CHANGE_ID --note TEXT\n"
    "memsoak history compare DB --baseline SEL --candidate SEL [--html F] [--markdown F] [--json F]\n"
    "memsoak history show DB [--html F] [--scenario S] [--budget B]\n"
    "memsoak history bisect DB CHANGE_ID [--seed N]\n"
    "memsoak history bisect --judge REPORT --budget B --kind K --metric M --threshold X\n"
    "DB is a SQLite file or a postgresql:// URL. SEL is a label, a commit (prefix) or a date range FROM..TO.\n"
    "See docs/history.md.";

std::string required(const po::variables_map& vm, const char* name, const char* what) {
    if (!vm.count(name)) throw UsageError(fmt::format("name {}", what));
    return vm[name].as<std::string>();
}

int wait_ms(const po::variables_map& vm) {
    return static_cast<int>(parse_whole_number("wait", vm["wait"].as<std::string>(), 0, 86400) * 1000);
}

void add_check_options(po::options_description& options) {
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
    options.add_options()
        ("max-p", po::value<double>()->default_value(0.001), "a change point's t-test p must be below this")
        ("min-change", po::value<double>()->default_value(5), "a change must be at least this many percent");
    // clang-format on
}

history::CheckOptions check_options(const po::variables_map& vm) {
    history::CheckOptions options;
    options.max_p = vm["max-p"].as<double>();
    options.min_relative = vm["min-change"].as<double>() / 100;
    if (!(options.max_p > 0 && options.max_p < 1)) throw UsageError("--max-p: expected a probability between 0 and 1");
    if (!(options.min_relative >= 0)) throw UsageError("--min-change: expected a percentage, 0 or more");
    return options;
}

int record(const std::vector<std::string>& args) {
    po::options_description options("memsoak history record DB REPORT|SUITE_DIR... [options]");
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
    options.add_options()
        ("help,h", "show this help")
        ("db", po::value<std::string>(), "the history: a SQLite file (created when missing) or a postgresql:// URL")
        ("reports", po::value<std::vector<std::string>>()->multitoken(), "run reports, suite folders, merged folders")
        ("commit", po::value<std::string>()->default_value(""), "the night's commit (default: the reports' git_commit)")
        ("branch", po::value<std::string>()->default_value("main"), "the night's branch")
        ("time", po::value<std::string>()->default_value(""),
         "the night's UTC time, 2026-11-29 or 2026-11-29T23:00:00Z (default: the earliest report's start); shards "
         "of one night must agree on it")
        ("label", po::value<std::string>()->default_value(""), "a release label for the night, e.g. v1.4.0")
        ("wait", po::value<std::string>()->default_value("30"), "seconds to wait for another writer before giving up")
        ("quiet,q", "print nothing but errors");
    // clang-format on
    po::positional_options_description positional;
    positional.add("db", 1).add("reports", -1);
    if (wants_help(args)) {
        std::cout << options
                  << "\nRecords every judged limit of the reports as one night, in one transaction: all or\n"
                     "nothing. Recording the same run again adds nothing.\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    const std::string db = required(vm, "db", "the history database");
    if (!vm.count("reports")) throw UsageError("name at least one report or suite folder to record");
    std::vector<std::filesystem::path> paths;
    for (const std::string& p : vm["reports"].as<std::vector<std::string>>()) paths.emplace_back(p);
    history::NightOverrides overrides{vm["commit"].as<std::string>(), vm["branch"].as<std::string>(),
                                      vm["time"].as<std::string>(), vm["label"].as<std::string>()};
    std::vector<std::string> warnings;
    // Everything is read and checked before the database is opened: a bad report leaves no trace.
    const history::Night night = history::read_night(paths, overrides, warnings);
    auto store = history::open_store(db, {.create = true, .busy_timeout_ms = wait_ms(vm)});
    const history::RecordOutcome outcome = store->record(night);
    for (const std::string& w : warnings) std::cerr << "memsoak history record: warning: " << w << "\n";
    if (!vm.count("quiet")) {
        std::cout << fmt::format("{}: night {} {} ({}){}: {} figures recorded{}\n", store->location(), night.info.time,
                                 night.info.commit, night.info.branch,
                                 night.info.label.empty() ? "" : " " + night.info.label, outcome.added,
                                 outcome.already ? fmt::format(", {} already there", outcome.already) : "");
    }
    return kExitPass;
}

nlohmann::json change_to_json(const history::History& h, const history::Change& c) {
    auto finite = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
    return {{"id", c.id},
            {"scenario", c.series.scenario},
            {"allocator", c.series.allocator},
            {"budget", c.series.budget},
            {"kind", c.series.kind},
            {"metric", c.series.metric},
            {"last_good", {{"commit", h.nights[c.last_good].info.commit}, {"time", h.nights[c.last_good].info.time}}},
            {"first_bad", {{"commit", h.nights[c.first_bad].info.commit}, {"time", h.nights[c.first_bad].info.time}}},
            {"night_index", c.first_bad},
            {"before", finite(c.before)},
            {"after", finite(c.after)},
            {"absolute", finite(c.absolute)},
            {"percent", finite(c.percent)},
            {"p_value", finite(c.p_value)},
            {"regression", c.regression},
            {"acknowledged", c.acknowledged.has_value()},
            {"note", c.acknowledged ? c.acknowledged->note : ""}};
}

int check(const std::vector<std::string>& args) {
    po::options_description options("memsoak history check DB [options]");
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
    options.add_options()
        ("help,h", "show this help")
        ("db", po::value<std::string>(), "the history: a SQLite file or a postgresql:// URL")
        ("json", po::value<std::string>(), "also write every change found as JSON here")
        ("markdown", po::value<std::string>(), "also write the regressions as a Markdown summary here")
        ("quiet,q", "print nothing but errors");
    // clang-format on
    add_check_options(options);
    po::positional_options_description positional;
    positional.add("db", 1);
    if (wants_help(args)) {
        std::cout << options
                  << "\nFinds change points in every series across nights (E-Divisive with means, a pooled\n"
                     "t-test and a minimum magnitude; docs/history.md). Exit 1 when a regression is not\n"
                     "acknowledged (memsoak history ack), 0 otherwise.\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    const history::CheckOptions opts = check_options(vm);
    auto store = history::open_store(required(vm, "db", "the history database"));
    const history::History h = history::load_history(*store);
    const auto changes = history::find_changes(h, opts);
    std::size_t open = 0;
    nlohmann::json json = {{"schema_version", history::kCheckSchemaVersion},
                           {"nights", h.nights.size()},
                           {"series", h.series.size()}};
    json["changes"] = nlohmann::json::array();
    std::string markdown = "## memsoak history check\n\n";
    std::vector<std::vector<std::string>> rows{
        {"", "id", "scenario", "budget", "limit", "metric", "last good..first bad", "before", "after", "change", "p"}};
    for (const history::Change& c : changes) {
        json["changes"].push_back(change_to_json(h, c));
        const bool counts = c.regression && !c.acknowledged;
        open += counts;
        const std::string status = !c.regression ? "improved" : c.acknowledged ? "acked" : "REGRESSED";
        const std::string range =
            fmt::format("{}..{}", h.nights[c.last_good].info.commit, h.nights[c.first_bad].info.commit);
        rows.push_back({status, c.id, fmt::format("{} [{}]", c.series.scenario, c.series.allocator), c.series.budget,
                        c.series.kind, c.series.metric, range, history::format_value(c.series.kind, c.before),
                        history::format_value(c.series.kind, c.after),
                        fmt::format("{} ({})", history::format_value(c.series.kind, c.absolute),
                                    reports::format_percent_change(c.percent)),
                        fmt::format("{:.1e}", c.p_value)});
        if (counts) {
            markdown +=
                fmt::format("- **{}** {} `{}` {}: {} -> {} ({}), commits {}, first bad night {} (change {})\n",
                            c.series.scenario, c.series.budget, c.series.metric, c.series.kind,
                            history::format_value(c.series.kind, c.before),
                            history::format_value(c.series.kind, c.after), reports::format_percent_change(c.percent),
                            range, h.nights[c.first_bad].info.time, c.id);
        }
    }
    json["unacknowledged_regressions"] = open;
    if (open == 0) markdown += "No unacknowledged regression.\n";
    if (vm.count("json")) reports::write_file_atomically(vm["json"].as<std::string>(), json.dump(2) + "\n");
    if (vm.count("markdown")) reports::write_file_atomically(vm["markdown"].as<std::string>(), markdown);
    if (!vm.count("quiet")) {
        std::cout << fmt::format("{}: {} nights, {} series, {} change points\n", store->location(), h.nights.size(),
                                 h.series.size(), changes.size());
        if (!changes.empty()) print_aligned(std::cout, rows, 2);
        std::cout << (open ? fmt::format("{} unacknowledged regression{} (memsoak history ack DB ID --note ...)\n",
                                         open, open == 1 ? "" : "s")
                           : std::string("no unacknowledged regression\n"));
    }
    return open ? kExitBudgetFailed : kExitPass;
}

int ack(const std::vector<std::string>& args) {
    po::options_description options("memsoak history ack DB CHANGE_ID --note TEXT");
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
    options.add_options()
        ("help,h", "show this help")
        ("db", po::value<std::string>(), "the history: a SQLite file or a postgresql:// URL")
        ("id", po::value<std::string>(), "the change's id, as history check prints it")
        ("note", po::value<std::string>(), "why the change is accepted (required)")
        ("wait", po::value<std::string>()->default_value("30"), "seconds to wait for another writer");
    // clang-format on
    add_check_options(options);
    po::positional_options_description positional;
    positional.add("db", 1).add("id", 1);
    if (wants_help(args)) {
        std::cout << options
                  << "\nAcknowledges a change found by history check, so that it no longer fails the check.\n"
                     "It stays acknowledged when later nights move its change point by one night.\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    const std::string db = required(vm, "db", "the history database");
    const std::string id = required(vm, "id", "the change to acknowledge (its id from history check)");
    const std::string note = required(vm, "note", "--note: why the change is accepted");
    auto store = history::open_store(db, {.create = false, .busy_timeout_ms = wait_ms(vm)});
    const history::History h = history::load_history(*store);
    for (const history::Change& c : history::find_changes(h, check_options(vm))) {
        if (c.id != id) continue;
        store->acknowledge({c.id, c.series, h.nights[c.first_bad].info.time, note, ""});
        std::cout << fmt::format("acknowledged {}: {} at {} ({})\n", c.id, c.series.describe(),
                                 h.nights[c.first_bad].info.time, reports::format_percent_change(c.percent));
        return kExitPass;
    }
    throw history::Error(
        fmt::format("{}: no change {} among the change points history check finds now", store->location(), id));
}

int compare(const std::vector<std::string>& args) {
    po::options_description options("memsoak history compare DB --baseline SEL --candidate SEL [options]");
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
    options.add_options()
        ("help,h", "show this help")
        ("db", po::value<std::string>(), "the history: a SQLite file or a postgresql:// URL")
        ("baseline", po::value<std::string>(), "a label, a commit (prefix) or a date range FROM..TO")
        ("candidate", po::value<std::string>(), "a label, a commit (prefix) or a date range FROM..TO")
        ("html", po::value<std::string>(), "also write the comparison as an HTML page here")
        ("markdown", po::value<std::string>(), "also write it as Markdown here")
        ("json", po::value<std::string>(), "also write it as JSON here")
        ("quiet,q", "print nothing but errors");
    // clang-format on
    add_check_options(options);
    po::positional_options_description positional;
    positional.add("db", 1);
    if (wants_help(args)) {
        std::cout << options
                  << "\nEvery limit's change in percent between two sets of nights, with its 95% interval,\n"
                     "and a line per scenario. Exit 1 when a limit regressed.\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    const history::CheckOptions opts = check_options(vm);
    const std::string baseline = required(vm, "baseline", "--baseline: the nights to compare against");
    const std::string candidate = required(vm, "candidate", "--candidate: the nights to compare");
    auto store = history::open_store(required(vm, "db", "the history database"));
    const history::History h = history::load_history(*store);
    history::ReleaseComparison comparison;
    try {
        comparison = history::compare_releases(h, baseline, candidate, opts);
    } catch (const history::Error& e) {
        throw history::Error(fmt::format("{}: {}", store->location(), e.what()), e.kind());  // which history
    }
    if (vm.count("html")) {
        reports::write_file_atomically(vm["html"].as<std::string>(), history::render_release_html(h, comparison));
    }
    if (vm.count("markdown")) {
        reports::write_file_atomically(vm["markdown"].as<std::string>(),
                                       history::render_release_markdown(h, comparison));
    }
    if (vm.count("json")) {
        reports::write_file_atomically(vm["json"].as<std::string>(),
                                       history::release_to_json(h, comparison).dump(2) + "\n");
    }
    if (!vm.count("quiet")) std::cout << history::render_release_text(h, comparison);
    return comparison.regressions() ? kExitBudgetFailed : kExitPass;
}

int show(const std::vector<std::string>& args) {
    po::options_description options("memsoak history show DB [options]");
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
    options.add_options()
        ("help,h", "show this help")
        ("db", po::value<std::string>(), "the history: a SQLite file or a postgresql:// URL")
        ("html", po::value<std::string>(), "write the trend page here (self-contained)")
        ("scenario", po::value<std::string>()->default_value(""), "only this scenario")
        ("budget", po::value<std::string>()->default_value(""), "only this budget")
        ("quiet,q", "print nothing but errors");
    // clang-format on
    add_check_options(options);
    po::positional_options_description positional;
    positional.add("db", 1);
    if (wants_help(args)) {
        std::cout << options
                  << "\nPer scenario and limit: the series across nights with each night's interval, the\n"
                     "budget line, change points with their commit range, and the failing nights.\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    auto store = history::open_store(required(vm, "db", "the history database"));
    const history::History h = history::load_history(*store);
    const auto changes = history::find_changes(h, check_options(vm));
    const history::TrendFilter filter{vm["scenario"].as<std::string>(), vm["budget"].as<std::string>()};
    if (vm.count("html")) {
        reports::write_file_atomically(vm["html"].as<std::string>(), history::render_trend_html(h, changes, filter));
    }
    if (!vm.count("quiet")) std::cout << history::render_trend_text(h, changes, filter);
    return kExitPass;
}

// --judge: one step of `git bisect run`: exit 1 (bad) when the report's figure is above the threshold, 0 (good)
// when not, 125 (skip) when the report or the figure is missing (the commit did not build or run).
int judge(const po::variables_map& vm) {
    const std::string file = vm["judge"].as<std::string>();
    const std::string budget = required(vm, "budget", "--budget");
    const std::string kind = required(vm, "kind", "--kind (peak, growth or items)");
    const std::string metric = required(vm, "metric", "--metric");
    if (!vm.count("threshold")) throw UsageError("name --threshold");
    const double threshold = vm["threshold"].as<double>();
    harness::RunResult run;
    try {
        run = reports::load_report(file);
    } catch (const reports::Error& e) {
        std::cerr << "memsoak history bisect: skip: " << e.what() << "\n";
        return 125;
    }
    for (const auto& b : run.budgets) {
        if (b.budget != budget) continue;
        for (const auto& l : b.limits) {
            if (l.metric != metric || harness::to_string(l.kind) != kind) continue;
            const bool bad = l.measured > threshold;
            std::cout << fmt::format("{} {}: {} {} the threshold {}: {}\n", run.info.git_commit, budget,
                                     history::format_value(kind, l.measured), bad ? "above" : "not above",
                                     history::format_value(kind, threshold), bad ? "bad" : "good");
            return bad ? 1 : 0;
        }
    }
    std::cerr << fmt::format("memsoak history bisect: skip: {} has no {} {} {}\n", file, budget, kind, metric);
    return 125;
}

int bisect(const std::vector<std::string>& args) {
    po::options_description options("memsoak history bisect DB CHANGE_ID | --judge REPORT ... [options]");
    // One option a line reads better than the packed calls clang-format makes of them.
    // clang-format off
    options.add_options()
        ("help,h", "show this help")
        ("db", po::value<std::string>(), "the history: a SQLite file or a postgresql:// URL")
        ("id", po::value<std::string>(), "the change to bisect (its id from history check)")
        ("seed", po::value<std::string>()->default_value("1"), "the seed each bisect step runs")
        ("judge", po::value<std::string>(), "judge one bisect step's report instead (exit 0 good, 1 bad, 125 skip)")
        ("budget", po::value<std::string>(), "--judge: the budget")
        ("kind", po::value<std::string>(), "--judge: peak, growth or items")
        ("metric", po::value<std::string>(), "--judge: the metric")
        ("threshold", po::value<double>(), "--judge: above this is bad");
    // clang-format on
    add_check_options(options);
    po::positional_options_description positional;
    positional.add("db", 1).add("id", 1);
    if (wants_help(args)) {
        std::cout << options
                  << "\nPrints the git bisect recipe that finds a change point's first bad commit: each\n"
                     "step builds memsoak, runs the scenario in virtual time and judges the figure with\n"
                     "--judge against the midpoint of the levels before and after the change.\n";
        return kExitPass;
    }
    const po::variables_map vm = parse(args, options, positional);
    if (vm.count("judge")) return judge(vm);
    const std::string id = required(vm, "id", "the change to bisect (its id from history check)");
    const std::uint64_t seed = parse_seed(vm["seed"].as<std::string>());
    auto store = history::open_store(required(vm, "db", "the history database"));
    const history::History h = history::load_history(*store);
    for (const history::Change& c : history::find_changes(h, check_options(vm))) {
        if (c.id != id) continue;
        const double threshold = (c.before + c.after) / 2;
        const auto& good = h.nights[c.last_good].info;
        const auto& bad = h.nights[c.first_bad].info;
        std::cout << fmt::format(
            "# change {}: {} {} -> {} between {} (good) and {} (bad)\n"
            "# In the memsoak checkout; the judging binary is copied out so that each step's build cannot replace it.\n"
            "cp build/tools/memsoak /tmp/memsoak-judge\n"
            "git bisect start {} {}\n"
            "git bisect run sh -c 'cmake --build build --target memsoak >/dev/null || exit 125; "
            "build/tools/memsoak run scenarios/{}.json --seed {} --quiet --out /tmp/memsoak-bisect.json; "
            "/tmp/memsoak-judge history bisect --judge /tmp/memsoak-bisect.json --budget {} --kind {} --metric {} "
            "--threshold {}'\n"
            "git bisect reset\n",
            c.id, c.series.describe(), history::format_value(c.series.kind, c.before),
            history::format_value(c.series.kind, c.after), good.commit, bad.commit, bad.commit, good.commit,
            c.series.scenario, seed, c.series.budget, c.series.kind, c.series.metric, threshold);
        return kExitPass;
    }
    throw history::Error(
        fmt::format("{}: no change {} among the change points history check finds now", store->location(), id));
}

}  // namespace

int history_command(const std::vector<std::string>& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        (args.empty() ? std::cerr : std::cout) << "Usage:\n" << kUsage << "\n";
        return args.empty() ? kExitBadInput : kExitPass;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    // A report it cannot record, a database it cannot use, a selector that matches nothing: bad input (exit 2),
    // by the kind of the error the history library throws.
    if (args[0] == "record") return record(rest);
    if (args[0] == "check") return check(rest);
    if (args[0] == "ack") return ack(rest);
    if (args[0] == "compare") return compare(rest);
    if (args[0] == "show") return show(rest);
    if (args[0] == "bisect") return bisect(rest);
    throw UsageError(
        fmt::format("unknown history subcommand \"{}\"; expected record, check, ack, compare, show or "
                    "bisect",
                    args[0]));
}

}  // namespace memsoak::cli
