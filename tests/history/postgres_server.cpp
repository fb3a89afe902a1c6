#include "postgres_server.hpp"

#include <glob.h>
#include <pwd.h>
#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <libpq-fe.h>

namespace memsoak::testing {
namespace {

std::string find_postgres_bin() {
    glob_t found{};
    std::string bin;
    if (::glob("/usr/lib/postgresql/*/bin/pg_ctl", 0, nullptr, &found) == 0 && found.gl_pathc > 0) {
        bin = std::filesystem::path(found.gl_pathv[found.gl_pathc - 1]).parent_path();
    }
    ::globfree(&found);
    return bin;
}

}  // namespace

PostgresServer& PostgresServer::instance() {
    static PostgresServer server;
    return server;
}

std::string PostgresServer::run_as_server_user(const std::string& command) const {
    if (::geteuid() != 0) return command;
    return fmt::format("runuser -u postgres -- {}", command);
}

PostgresServer::PostgresServer() {
    bin_ = find_postgres_bin();
    if (bin_.empty()) {
        problem_ = "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl; apt-get install postgresql)";
        return;
    }
    if (::geteuid() == 0 && ::getpwnam("postgres") == nullptr) {
        problem_ = "running as root and there is no postgres user to run the server as (initdb refuses root)";
        return;
    }
    char pattern[] = "/tmp/memsoak-pg-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
        problem_ = "mkdtemp failed";
        return;
    }
    folder_ = pattern;
    if (::geteuid() == 0) {
        const passwd* user = ::getpwnam("postgres");
        if (::chown(folder_.c_str(), user->pw_uid, user->pw_gid) != 0) {
            problem_ = "cannot hand the server's folder to the postgres user";
            return;
        }
    }
    const std::string init = run_as_server_user(
        fmt::format("{}/initdb -D {}/data -U postgres -A trust --no-sync -E UTF8 > {}/initdb.log 2>&1", bin_, folder_,
                    folder_));
    if (std::system(init.c_str()) != 0) {
        problem_ = fmt::format("initdb failed (see {}/initdb.log)", folder_);
        return;
    }
    // No TCP (listen_addresses empty), the socket in our folder, no fsync: a test server, thrown away afterwards.
    const std::string start = run_as_server_user(fmt::format(
        "{}/pg_ctl -D {}/data -l {}/server.log -w -t 60 -o \"-k {} -c listen_addresses= -F\" start > /dev/null 2>&1",
        bin_, folder_, folder_, folder_));
    if (std::system(start.c_str()) != 0) {
        problem_ = fmt::format("the PostgreSQL server did not start (see {}/server.log)", folder_);
        return;
    }
    available_ = true;
}

std::string PostgresServer::new_database_url() {
    const std::string name = fmt::format("memsoak_test_{}", ++databases_);
    execute(fmt::format("postgresql:///postgres?host={}&user=postgres", folder_), "CREATE DATABASE " + name);
    return fmt::format("postgresql:///{}?host={}&user=postgres", name, folder_);
}

void PostgresServer::execute(const std::string& url, const std::string& statement) {
    PGconn* connection = PQconnectdb(url.c_str());
    if (PQstatus(connection) != CONNECTION_OK) {
        const std::string why = PQerrorMessage(connection);
        PQfinish(connection);
        throw std::runtime_error("cannot connect to " + url + ": " + why);
    }
    PGresult* result = PQexec(connection, statement.c_str());
    const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK;
    const std::string why = PQresultErrorMessage(result);
    PQclear(result);
    PQfinish(connection);
    if (!ok) throw std::runtime_error(statement + ": " + why);
}

void PostgresServer::stop() {
    if (available_) {
        const std::string stop = run_as_server_user(
            fmt::format("{}/pg_ctl -D {}/data -m immediate -w stop > /dev/null 2>&1", bin_, folder_));
        (void)std::system(stop.c_str());
        available_ = false;
    }
    if (!folder_.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(folder_, ignored);
        folder_.clear();
    }
}

PostgresServer::~PostgresServer() { stop(); }

}  // namespace memsoak::testing
