// SQLite behind sql::Connection: WAL journal (readers never block the writer), BEGIN IMMEDIATE for writes (two
// writers queue on the busy timeout instead of deadlocking), synchronous=FULL (a committed night survives kill -9
// and power loss alike).

#include <filesystem>
#include <unordered_map>

#include <fmt/format.h>
#include <sqlite3.h>

#include "memsoak/history/error.hpp"
#include "sql.hpp"

namespace memsoak::history::sql {
namespace {

class SqliteConnection final : public Connection {
public:
    SqliteConnection(const std::string& file, const StoreOptions& options)
        : file_(file), busy_timeout_ms_(options.busy_timeout_ms) {
        // A "file:" URI (SQLite's own syntax, e.g. file:h.sqlite?mode=ro) names its file before any "?".
        const std::string path = file.starts_with("file:") ? file.substr(5, file.find('?') - 5) : file;
        const bool exists = std::filesystem::exists(path);
        if (!exists && !options.create) {
            throw Error(fmt::format("{}: no such history database (memsoak history record creates it)", file));
        }
        const int flags =
            SQLITE_OPEN_READWRITE | (options.create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI;
        if (sqlite3_open_v2(file.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
            const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            db_ = nullptr;
            throw Error(fmt::format("{}: cannot open the history database: {}", file, why));
        }
        sqlite3_busy_timeout(db_, busy_timeout_ms_);
        sqlite3_extended_result_codes(db_, 1);
        // Not a SQLite database at all (a report given as DB, a truncated file) fails here, by name.
        query("PRAGMA foreign_keys = ON");
        if (sqlite3_db_readonly(db_, "main") == 0) {
            query("PRAGMA journal_mode = WAL");
        }
        query("PRAGMA synchronous = FULL");
    }

    ~SqliteConnection() override {
        for (auto& [text, statement] : statements_) sqlite3_finalize(statement);
        sqlite3_close(db_);
    }

    std::vector<Row> query(const std::string& statement, const std::vector<Value>& parameters = {}) override {
        sqlite3_stmt* prepared = prepare(statement);
        sqlite3_reset(prepared);
        sqlite3_clear_bindings(prepared);
        for (std::size_t i = 0; i < parameters.size(); ++i) {
            const int index = sqlite3_bind_parameter_index(prepared, fmt::format("${}", i + 1).c_str());
            if (index == 0) continue;
            if (parameters[i]) {
                sqlite3_bind_text(prepared, index, parameters[i]->data(), static_cast<int>(parameters[i]->size()),
                                  SQLITE_TRANSIENT);
            } else {
                sqlite3_bind_null(prepared, index);
            }
        }
        std::vector<Row> rows;
        while (true) {
            const int status = sqlite3_step(prepared);
            if (status == SQLITE_DONE) break;
            if (status != SQLITE_ROW) {
                const int code = sqlite3_extended_errcode(db_);
                const std::string why = sqlite3_errmsg(db_);
                sqlite3_reset(prepared);
                fail(code, why);
            }
            Row row(static_cast<std::size_t>(sqlite3_column_count(prepared)));
            for (int c = 0; c < static_cast<int>(row.size()); ++c) {
                if (sqlite3_column_type(prepared, c) == SQLITE_NULL) continue;
                const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(prepared, c));
                row[static_cast<std::size_t>(c)] =
                    std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(prepared, c)));
            }
            rows.push_back(std::move(row));
        }
        sqlite3_reset(prepared);
        return rows;
    }

    void begin_write() override { query("BEGIN IMMEDIATE"); }
    void commit() override { query("COMMIT"); }
    void rollback() noexcept override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

    bool has_table(const std::string& name) override {
        return !query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = $1", {name}).empty();
    }
    Dialect dialect() const override { return Dialect::sqlite; }
    const std::string& location() const override { return file_; }

private:
    sqlite3_stmt* prepare(const std::string& statement) {
        if (auto found = statements_.find(statement); found != statements_.end()) return found->second;
        sqlite3_stmt* prepared = nullptr;
        if (sqlite3_prepare_v2(db_, statement.c_str(), -1, &prepared, nullptr) != SQLITE_OK) {
            fail(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_));
        }
        statements_.emplace(statement, prepared);
        return prepared;
    }

    [[noreturn]] void fail(int code, const std::string& why) const {
        switch (code & 0xff) {
            case SQLITE_BUSY:
            case SQLITE_LOCKED:
                throw Error(
                    fmt::format("{}: the history database is locked by another writer (waited {} s); "
                                "nothing was recorded",
                                file_, busy_timeout_ms_ / 1000.0));
            case SQLITE_READONLY:
                throw Error(
                    fmt::format("{}: the history database is read-only ({}); nothing was recorded", file_, why));
            case SQLITE_NOTADB:
            case SQLITE_CORRUPT: throw Error(fmt::format("{}: not a usable history database: {}", file_, why));
            default: throw Error(fmt::format("{}: {}", file_, why));
        }
    }

    std::string file_;
    int busy_timeout_ms_;
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace

std::unique_ptr<Connection> open_sqlite(const std::string& file, const StoreOptions& options) {
    return std::make_unique<SqliteConnection>(file, options);
}

}  // namespace memsoak::history::sql
