#pragma once
// The little SQL the store needs, over SQLite and libpq alike: text parameters ($1, $2, ... in both), rows of
// optional text, one write transaction at a time. Private to the history library.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "memsoak/history/store.hpp"

namespace memsoak::history::sql {

using Value = std::optional<std::string>;  // nullopt is NULL
using Row = std::vector<Value>;

enum class Dialect { sqlite, postgres };

class Connection {
public:
    virtual ~Connection() = default;
    // Runs one statement with its parameters bound as text; returns the rows it produced. Throws history::Error
    // naming the database (and "locked" or "read-only" when that is why).
    virtual std::vector<Row> query(const std::string& statement, const std::vector<Value>& parameters = {}) = 0;
    // Starts the one write transaction: waits for other writers up to the busy timeout, then throws.
    virtual void begin_write() = 0;
    virtual void commit() = 0;
    virtual void rollback() noexcept = 0;
    virtual bool has_table(const std::string& name) = 0;
    virtual Dialect dialect() const = 0;
    virtual const std::string& location() const = 0;
};

std::unique_ptr<Connection> open_sqlite(const std::string& file, const StoreOptions& options);
std::unique_ptr<Connection> open_postgres(const std::string& url, const StoreOptions& options);

}  // namespace memsoak::history::sql
