#pragma once
// Small RAII wrappers over SQLite's C API: a connection, a prepared statement, a transaction.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "storage/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace runboard::storage {

class Statement {
public:
    Statement() = default;
    Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    // Parameters are 1-based, as in SQLite.
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    Statement& bindBlob(int index, std::span<const std::byte> blob);
    Statement& bindNull(int index);

    // Steps once: true when a row is available, false when done.
    Result<bool> step();
    // Steps to completion, for statements that return no rows.
    Status run();
    void reset();

    std::int64_t columnInt64(int col) const;
    double columnDouble(int col) const;
    std::string columnText(int col) const;
    std::span<const std::byte> columnBlob(int col) const;
    bool columnIsNull(int col) const;

private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
    int bindError_ = 0;
};

// ReadOnlyImmutable: for a file on a read-only file system, where SQLite cannot create the
// WAL's shared-memory file: it reads without any locking (nothing can change the file there).
enum class OpenMode { ReadWriteCreate, ReadWrite, ReadOnly, ReadOnlyImmutable };

class Connection {
public:
    Connection() = default;
    Connection(Connection&& other) noexcept;
    Connection& operator=(Connection&& other) noexcept;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    static Result<Connection> open(const std::string& path, OpenMode mode);

    Status exec(std::string_view sql);
    Result<Statement> prepare(std::string_view sql);
    // Runs a query that yields one integer (e.g. a PRAGMA).
    Result<std::int64_t> queryInt(std::string_view sql);
    std::int64_t lastInsertId() const;
    int changes() const;
    const std::string& path() const { return path_; }
    sqlite3* handle() const { return db_; }
    bool isOpen() const { return db_ != nullptr; }

private:
    sqlite3* db_ = nullptr;
    std::string path_;
};

// Steps a query to the end, turning each row into a value with `read(const Statement&)`.
template <class F>
auto collectRows(Statement& stmt, F&& read)
    -> Result<std::vector<std::invoke_result_t<F&, const Statement&>>> {
    std::vector<std::invoke_result_t<F&, const Statement&>> out;
    for (;;) {
        auto row = stmt.step();
        if (!row) return row.error();
        if (!row.value()) break;
        out.push_back(read(static_cast<const Statement&>(stmt)));
    }
    stmt.reset();
    return out;
}

// Makes an Error from the connection's last failure.
Error sqliteError(sqlite3* db, int code, std::string_view what);

// BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless committed.
class Transaction {
public:
    explicit Transaction(Connection& db);
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    const Status& begun() const { return begun_; }
    Status commit();

private:
    Connection& db_;
    Status begun_;
    bool done_ = false;
};

}  // namespace runboard::storage
