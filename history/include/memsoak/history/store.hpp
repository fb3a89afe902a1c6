#pragma once
// The history store: nights (a commit, a branch, a time, an optional label) and every figure judged in them, in
// SQLite (a file, the default) or PostgreSQL (a connection URL), behind one interface. docs/history.md has the
// schema and its versioning.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace memsoak::history {

// The schema this build writes; a database with a higher one is refused, a lower one is migrated.
inline constexpr int kHistorySchemaVersion = 1;

// What one series follows across nights: one limit of one budget of one scenario under one allocator. Seeds are
// the repeats within a night, not separate series.
struct SeriesKey {
    std::string scenario;
    std::string allocator;
    std::string budget;
    std::string metric;
    std::string kind;  // "peak", "growth" or "items" (harness::to_string(LimitKind))

    // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the 0 of a defaulted <=>
    auto operator<=>(const SeriesKey&) const = default;
    std::string describe() const;  // "production-day [mimalloc] issue-2 peak engine.chart.bytes"
};

// One judged limit of one run. A value that was not measured is NaN (NULL in the database).
struct Figure {
    SeriesKey series;
    std::uint64_t seed = 0;
    double limit = 0;
    double measured = 0;
    double ci_low = 0;  // the growth slope's interval; NaN for peaks and counts
    double ci_high = 0;
    double detection_limit = 0;  // growth limits: the smallest steady leak the run would have failed; else NaN
    std::string verdict;         // "pass", "fail" or "not_measured"
};

struct NightInfo {
    std::string commit;
    std::string branch;
    std::string time;   // UTC, "YYYY-MM-DDTHH:MM:SSZ"; nights sort by it
    std::string label;  // "v1.4.0", or empty
};

struct Night {
    NightInfo info;
    std::vector<Figure> figures;
};

struct StoredNight {
    std::int64_t id = 0;
    NightInfo info;
};

struct StoredFigure {
    std::int64_t night_id = 0;
    Figure figure;
};

struct Acknowledgement {
    std::string change_id;
    SeriesKey series;
    std::string first_bad_time;  // the time of the change's first bad night
    std::string note;
    std::string acknowledged_at;
};

struct RecordOutcome {
    bool new_night = false;   // the night was not in the store before
    std::size_t added = 0;    // figures recorded
    std::size_t already = 0;  // figures that were already there (recording a run twice adds nothing)
};

struct StoreOptions {
    bool create = false;          // create the SQLite file (and the schema) when missing
    int busy_timeout_ms = 30000;  // how long a writer waits for another writer before giving up (locked)
};

class Store {
public:
    virtual ~Store() = default;
    // Records a night in one transaction: all of it or, on any error, nothing. Figures already there (the same
    // night, series and seed) are left as they are.
    virtual RecordOutcome record(const Night& night) = 0;
    virtual std::vector<StoredNight> nights() = 0;  // by time, then commit
    virtual std::vector<StoredFigure> figures() = 0;
    // Stores an acknowledgement; acknowledging the same change twice replaces the note.
    virtual void acknowledge(const Acknowledgement& ack) = 0;
    virtual std::vector<Acknowledgement> acknowledgements() = 0;
    virtual int schema_version() = 0;
    // The file or the URL (without a password), for messages.
    virtual const std::string& location() const = 0;
};

// "postgresql://..." or "postgres://..." opens PostgreSQL, anything else is a SQLite file. Creates or migrates the
// schema when the store is writable; throws history::Error naming the location for a database it cannot open, a
// newer schema, a locked or read-only database.
std::unique_ptr<Store> open_store(const std::string& location, const StoreOptions& options = {});

bool is_postgres_url(const std::string& location);

}  // namespace memsoak::history
