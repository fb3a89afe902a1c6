// PostgreSQL behind sql::Connection, through libpq. Writers serialise on a transaction-scoped advisory lock (so two
// shards creating the schema or the same night at once queue instead of failing) and give up after the busy
// timeout (lock_timeout), as SQLite's writers do.

#include <regex>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "memsoak/history/error.hpp"
#include "sql.hpp"

namespace memsoak::history::sql {
namespace {

// The URL without its password, for messages.
std::string redact(const std::string& url) {
    static const std::regex password(R"(://([^:/@]*):[^@/]*@)");
    return std::regex_replace(url, password, "://$1:***@");
}

class PostgresConnection final : public Connection {
public:
    PostgresConnection(const std::string& url, const StoreOptions& options)
        : location_(redact(url)), busy_timeout_ms_(options.busy_timeout_ms) {
        connection_ = PQconnectdb(url.c_str());
        if (PQstatus(connection_) != CONNECTION_OK) {
            const std::string why = PQerrorMessage(connection_);
            PQfinish(connection_);
            connection_ = nullptr;
            throw Error(fmt::format("{}: cannot connect to the history database: {}", location_, trim(why)));
        }
        query("SET client_min_messages = warning");
        query(fmt::format("SET lock_timeout = {}", busy_timeout_ms_));
    }

    ~PostgresConnection() override { PQfinish(connection_); }

    std::vector<Row> query(const std::string& statement, const std::vector<Value>& parameters = {}) override {
        std::vector<const char*> values;
        values.reserve(parameters.size());
        for (const Value& p : parameters) values.push_back(p ? p->c_str() : nullptr);
        PGresult* result = PQexecParams(connection_, statement.c_str(), static_cast<int>(values.size()), nullptr,
                                        values.data(), nullptr, nullptr, 0);
        const ExecStatusType status = PQresultStatus(result);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
            const std::string code = state ? state : "";
            const std::string why = trim(PQresultErrorMessage(result));
            PQclear(result);
            if (code == "55P03") {
                throw Error(
                    fmt::format("{}: the history database is locked by another writer (waited {} s); "
                                "nothing was recorded",
                                location_, busy_timeout_ms_ / 1000.0));
            }
            if (code == "25006" || code == "42501") {
                throw Error(
                    fmt::format("{}: the history database is read-only for this user ({}); nothing was "
                                "recorded",
                                location_, why));
            }
            throw Error(fmt::format("{}: {}", location_, why));
        }
        std::vector<Row> rows(static_cast<std::size_t>(PQntuples(result)));
        const int columns = PQnfields(result);
        for (int r = 0; r < static_cast<int>(rows.size()); ++r) {
            Row& row = rows[static_cast<std::size_t>(r)];
            row.resize(static_cast<std::size_t>(columns));
            for (int c = 0; c < columns; ++c) {
                if (!PQgetisnull(result, r, c)) {
                    row[static_cast<std::size_t>(c)] =
                        std::string(PQgetvalue(result, r, c), static_cast<std::size_t>(PQgetlength(result, r, c)));
                }
            }
        }
        PQclear(result);
        return rows;
    }

    void begin_write() override {
        query("BEGIN");
        try {
            query("SELECT pg_advisory_xact_lock(7314101402)");  // any fixed number: memsoak's history writers
        } catch (...) {
            rollback();
            throw;
        }
    }
    void commit() override { query("COMMIT"); }
    void rollback() noexcept override { PQclear(PQexec(connection_, "ROLLBACK")); }

    bool has_table(const std::string& name) override {
        const auto rows = query("SELECT to_regclass($1)::text", {name});
        return !rows.empty() && rows[0][0].has_value();
    }
    Dialect dialect() const override { return Dialect::postgres; }
    const std::string& location() const override { return location_; }

private:
    static std::string trim(std::string text) {
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
        return text;
    }

    std::string location_;
    int busy_timeout_ms_;
    PGconn* connection_ = nullptr;
};

}  // namespace

std::unique_ptr<Connection> open_postgres(const std::string& url, const StoreOptions& options) {
    return std::make_unique<PostgresConnection>(url, options);
}

}  // namespace memsoak::history::sql
