// The store's logic, written once over sql::Connection: the versioned schema and its migrations, recording a night
// in one transaction, reading nights, figures and acknowledgements back.

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "memsoak/history/error.hpp"
#include "memsoak/history/store.hpp"
#include "sql.hpp"

namespace memsoak::history {
namespace {

using sql::Dialect;
using sql::Row;
using sql::Value;

// Migration N takes a database from schema N-1 to N. Never edit a shipped one: add the next.
std::vector<std::string> migration(int version, Dialect dialect) {
    const std::string id = dialect == Dialect::sqlite ? "INTEGER PRIMARY KEY" : "BIGSERIAL PRIMARY KEY";
    const std::string real = "DOUBLE PRECISION";
    const std::string compact = dialect == Dialect::sqlite ? " WITHOUT ROWID" : "";
    if (version == 1) {
        return {
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            fmt::format("CREATE TABLE nights (id {}, commit_id TEXT NOT NULL, branch TEXT NOT NULL, "
                        "time TEXT NOT NULL, label TEXT NOT NULL, recorded_at TEXT NOT NULL, "
                        "UNIQUE (branch, commit_id, time))",
                        id),
            "CREATE INDEX nights_by_label ON nights (label)",
            fmt::format("CREATE TABLE series (id {}, scenario TEXT NOT NULL, allocator TEXT NOT NULL, "
                        "budget TEXT NOT NULL, metric TEXT NOT NULL, kind TEXT NOT NULL, "
                        "UNIQUE (scenario, allocator, budget, metric, kind))",
                        id),
            fmt::format("CREATE TABLE figures (night_id BIGINT NOT NULL REFERENCES nights (id), "
                        "series_id BIGINT NOT NULL REFERENCES series (id), seed TEXT NOT NULL, "
                        "limit_value {0}, measured {0}, ci_low {0}, ci_high {0}, detection_limit {0}, "
                        "verdict TEXT NOT NULL, PRIMARY KEY (night_id, series_id, seed)){1}",
                        real, compact),
            // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one statement over three lines, as above
            "CREATE TABLE acknowledgements (change_id TEXT PRIMARY KEY, "
            "series_id BIGINT NOT NULL REFERENCES series (id), first_bad_time TEXT NOT NULL, "
            "note TEXT NOT NULL, acknowledged_at TEXT NOT NULL)",
        };
    }
    return {};
}

Value number(double value) {
    if (!std::isfinite(value)) return std::nullopt;
    return fmt::format("{}", value);
}

double to_number(const Value& value) {
    if (!value) return std::nan("");
    return std::strtod(value->c_str(), nullptr);
}

std::string text(const Value& value) { return value.value_or(""); }

std::string now_utc() {
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                       std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

class SqlStore final : public Store {
public:
    SqlStore(std::unique_ptr<sql::Connection> connection) : db_(std::move(connection)) { migrate(); }

    RecordOutcome record(const Night& night) override {
        RecordOutcome outcome;
        db_->begin_write();
        try {
            auto inserted = db_->query(
                "INSERT INTO nights (commit_id, branch, time, label, recorded_at) VALUES ($1, $2, $3, $4, $5) "
                "ON CONFLICT (branch, commit_id, time) DO NOTHING RETURNING id",
                {night.info.commit, night.info.branch, night.info.time, night.info.label, now_utc()});
            outcome.new_night = !inserted.empty();
            const std::string night_id =
                outcome.new_night ? text(inserted[0][0])
                                  : text(db_->query("SELECT id FROM nights WHERE branch = $1 AND commit_id = $2 "
                                                    "AND time = $3",
                                                    {night.info.branch, night.info.commit, night.info.time})
                                             .at(0)[0]);
            if (!outcome.new_night && !night.info.label.empty()) {
                db_->query("UPDATE nights SET label = $1 WHERE id = $2", {night.info.label, night_id});
            }
            std::map<SeriesKey, std::string> series_ids;
            for (const Figure& f : night.figures) {
                auto found = series_ids.find(f.series);
                if (found == series_ids.end()) {
                    found = series_ids.emplace(f.series, series_id(f.series)).first;
                }
                const auto added = db_->query(
                    "INSERT INTO figures (night_id, series_id, seed, limit_value, measured, ci_low, ci_high, "
                    "detection_limit, verdict) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                    "ON CONFLICT (night_id, series_id, seed) DO NOTHING RETURNING 1",
                    {night_id, found->second, std::to_string(f.seed), number(f.limit), number(f.measured),
                     number(f.ci_low), number(f.ci_high), number(f.detection_limit), f.verdict});
                (added.empty() ? outcome.already : outcome.added) += 1;
            }
            db_->commit();
        } catch (...) {
            db_->rollback();
            throw;
        }
        return outcome;
    }

    std::vector<StoredNight> nights() override {
        std::vector<StoredNight> out;
        for (const Row& row : db_->query("SELECT id, commit_id, branch, time, label FROM nights "
                                         "ORDER BY time, commit_id, branch")) {
            out.push_back({std::stoll(text(row[0])), {text(row[1]), text(row[2]), text(row[3]), text(row[4])}});
        }
        return out;
    }

    std::vector<StoredFigure> figures() override {
        std::map<std::string, SeriesKey> series;
        for (const Row& row : db_->query("SELECT id, scenario, allocator, budget, metric, kind FROM series")) {
            series[text(row[0])] = {text(row[1]), text(row[2]), text(row[3]), text(row[4]), text(row[5])};
        }
        std::vector<StoredFigure> out;
        for (const Row& row : db_->query("SELECT night_id, series_id, seed, limit_value, measured, ci_low, ci_high, "
                                         "detection_limit, verdict FROM figures ORDER BY night_id, series_id, seed")) {
            StoredFigure f;
            f.night_id = std::stoll(text(row[0]));
            f.figure.series = series.at(text(row[1]));
            f.figure.seed = std::stoull(text(row[2]));
            f.figure.limit = to_number(row[3]);
            f.figure.measured = to_number(row[4]);
            f.figure.ci_low = to_number(row[5]);
            f.figure.ci_high = to_number(row[6]);
            f.figure.detection_limit = to_number(row[7]);
            f.figure.verdict = text(row[8]);
            out.push_back(std::move(f));
        }
        return out;
    }

    void acknowledge(const Acknowledgement& ack) override {
        db_->begin_write();
        try {
            const std::string series = series_id(ack.series);
            db_->query(
                "INSERT INTO acknowledgements (change_id, series_id, first_bad_time, note, acknowledged_at) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (change_id) DO UPDATE SET note = $4, "
                "acknowledged_at = $5",
                {ack.change_id, series, ack.first_bad_time, ack.note,
                 ack.acknowledged_at.empty() ? now_utc() : ack.acknowledged_at});
            db_->commit();
        } catch (...) {
            db_->rollback();
            throw;
        }
    }

    std::vector<Acknowledgement> acknowledgements() override {
        std::vector<Acknowledgement> out;
        for (const Row& row : db_->query(
                 "SELECT a.change_id, s.scenario, s.allocator, s.budget, s.metric, s.kind, a.first_bad_time, a.note, "
                 "a.acknowledged_at FROM acknowledgements a JOIN series s ON s.id = a.series_id "
                 "ORDER BY a.acknowledged_at, a.change_id")) {
            out.push_back({text(row[0]),
                           {text(row[1]), text(row[2]), text(row[3]), text(row[4]), text(row[5])},
                           text(row[6]),
                           text(row[7]),
                           text(row[8])});
        }
        return out;
    }

    int schema_version() override { return read_version(); }
    const std::string& location() const override { return db_->location(); }

private:
    // Within a write transaction.
    std::string series_id(const SeriesKey& key) {
        const std::vector<Value> values{key.scenario, key.allocator, key.budget, key.metric, key.kind};
        auto rows = db_->query(
            "INSERT INTO series (scenario, allocator, budget, metric, kind) VALUES ($1, $2, $3, $4, "
            "$5) ON CONFLICT (scenario, allocator, budget, metric, kind) DO NOTHING RETURNING id",
            values);
        if (rows.empty()) {
            rows = db_->query(
                "SELECT id FROM series WHERE scenario = $1 AND allocator = $2 AND budget = $3 AND "
                "metric = $4 AND kind = $5",
                values);
        }
        return text(rows.at(0)[0]);
    }

    int read_version() {
        if (!db_->has_table("meta")) return 0;
        const auto rows = db_->query("SELECT value FROM meta WHERE key = 'schema_version'");
        if (rows.empty() || !rows[0][0]) {
            throw Error(fmt::format("{}: not a memsoak history database (meta has no schema_version)", location()));
        }
        return std::atoi(rows[0][0]->c_str());
    }

    void check_not_newer(int version) const {
        if (version > kHistorySchemaVersion) {
            throw Error(
                fmt::format("{}: the history database has schema version {}, newer than this memsoak's {}; "
                            "use a newer memsoak (nothing was changed)",
                            location(), version, kHistorySchemaVersion));
        }
    }

    // Brings the schema up to date in one write transaction; a database already current is only read.
    void migrate() {
        int version = read_version();
        check_not_newer(version);
        if (version == kHistorySchemaVersion) return;
        db_->begin_write();
        try {
            version = read_version();  // another writer may have migrated while this one waited
            check_not_newer(version);
            for (int next = version + 1; next <= kHistorySchemaVersion; ++next) {
                for (const std::string& statement : migration(next, db_->dialect())) db_->query(statement);
            }
            if (version < kHistorySchemaVersion) {
                db_->query("DELETE FROM meta WHERE key = 'schema_version'");
                db_->query("INSERT INTO meta (key, value) VALUES ('schema_version', $1)",
                           {std::to_string(kHistorySchemaVersion)});
            }
            db_->commit();
        } catch (...) {
            db_->rollback();
            throw;
        }
    }

    std::unique_ptr<sql::Connection> db_;
};

}  // namespace

std::string SeriesKey::describe() const {
    return fmt::format("{} [{}] {} {} {}", scenario, allocator, budget, kind, metric);
}

bool is_postgres_url(const std::string& location) {
    return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::unique_ptr<Store> open_store(const std::string& location, const StoreOptions& options) {
    if (is_postgres_url(location)) return std::make_unique<SqlStore>(sql::open_postgres(location, options));
    return std::make_unique<SqlStore>(sql::open_sqlite(location, options));
}

}  // namespace memsoak::history
