#pragma once
// A throw-away PostgreSQL server for the history tests: initdb and pg_ctl from Debian's postgresql package, on a
// Unix socket in a temp folder (no TCP port), started on first use and stopped when the test program ends. initdb
// refuses to run as root, so as root the server runs as the postgres system user.

#include <string>

namespace memsoak::testing {

class PostgresServer {
public:
    // The one server of this test program, started on first call. `available()` says whether it started; when it
    // did not, `problem()` says why (for GTEST_SKIP).
    static PostgresServer& instance();
    bool available() const { return available_; }
    const std::string& problem() const { return problem_; }
    // A fresh, empty database on the server, as a postgresql:// URL.
    std::string new_database_url();
    // Runs SQL on a database of this server (a URL from new_database_url) outside any transaction; throws on error.
    static void execute(const std::string& url, const std::string& statement);
    void stop();
    ~PostgresServer();

private:
    PostgresServer();
    std::string run_as_server_user(const std::string& command) const;  // the command line, wrapped for root
    bool available_ = false;
    std::string problem_;
    std::string folder_;
    std::string bin_;
    int databases_ = 0;
};

}  // namespace memsoak::testing
