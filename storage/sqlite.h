#pragma once
// Small RAII wrappers over SQLite's C API: a connection, a prepared statement, a transaction,
// and one way to run a query. `db.query(sql, args...)` prepares and binds every argument in order
// (SQLiteCpp's VariadicBind idea: `?1..?N` from the argument list, a std::optional binds NULL when
// empty), `db.exec(sql, args...)` runs it for its effect, and rows are read by `forEachRow` or
// `collectRows` with typed columns (`st.get<std::optional<double>>(4)`). With Result's
// and_then/transform a read is one expression: before this, each of the 71 prepares in storage
// was followed by its own `if (!s) return s.error();`, binds and a step loop.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "storage/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace runboard::storage {

namespace detail {
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
}  // namespace detail

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
    Statement& bind(int index, bool value) { return bind(index, std::int64_t{value ? 1 : 0}); }
    Statement& bind(int index, const std::string& text) {
        return bind(index, std::string_view(text));
    }
    Statement& bind(int index, std::span<const std::byte> blob) { return bindBlob(index, blob); }
    Statement& bind(int index, std::nullopt_t) { return bindNull(index); }
    template <class T>
    Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bindNull(index);
    }
    Statement& bindBlob(int index, std::span<const std::byte> blob);
    Statement& bindNull(int index);
    // Binds the arguments to parameters 1..N in order.
    template <class... Args>
    Statement& bindAll(const Args&... args) {
        int index = 0;
        (bind(++index, args), ...);
        return *this;
    }

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
    // A column as T: std::int64_t, int, std::int32_t, double, float, bool, std::string, or
    // std::optional of one of them (nullopt for NULL).
    template <class T>
    T get(int col) const {
        if constexpr (detail::IsOptional<T>::value) {
            if (columnIsNull(col)) return std::nullopt;
            return get<typename T::value_type>(col);
        } else if constexpr (std::is_same_v<T, std::string>) {
            return columnText(col);
        } else if constexpr (std::is_same_v<T, bool>) {
            return columnInt64(col) != 0;
        } else if constexpr (std::is_integral_v<T>) {
            return static_cast<T>(columnInt64(col));
        } else {
            static_assert(std::is_floating_point_v<T>, "no column reader for this type");
            return static_cast<T>(columnDouble(col));
        }
    }

    // Steps to the end calling f(const Statement&) on each row; resets the statement.
    template <class F>
    Status forEachRow(F&& f) {
        for (;;) {
            auto row = step();
            if (!row) return row.error();
            if (!row.value()) break;
            f(static_cast<const Statement&>(*this));
        }
        reset();
        return {};
    }

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

    // Runs SQL text (one statement or several) that binds nothing, e.g. a migration.
    Status exec(std::string_view sql);
    Result<Statement> prepare(std::string_view sql);
    // One statement with its parameters bound in order (Statement::bindAll).
    template <class... Args>
    Result<Statement> query(std::string_view sql, const Args&... args) {
        auto stmt = prepare(sql);
        if (stmt) stmt->bindAll(args...);
        return stmt;
    }
    // One statement with arguments, run for its effect (INSERT, UPDATE, DELETE).
    template <class A, class... Args>
    Status exec(std::string_view sql, const A& first, const Args&... rest) {
        return query(sql, first, rest...).and_then([](Statement s) { return s.run(); });
    }
    // Every row of a query, each made into a value by read(const Statement&).
    template <class F, class... Args>
    auto rows(std::string_view sql, F&& read, const Args&... args);
    // Column 0 of the first row as T; nullopt when there is no row or the value is NULL.
    template <class T, class... Args>
    Result<std::optional<T>> queryValue(std::string_view sql, const Args&... args) {
        return query(sql, args...).and_then([](Statement s) -> Result<std::optional<T>> {
            auto row = s.step();
            if (!row) return row.error();
            std::optional<T> out;
            if (row.value() && !s.columnIsNull(0)) out = s.get<T>(0);
            s.reset();
            return out;
        });
    }
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
    return stmt.forEachRow([&](const Statement& row) { out.push_back(read(row)); }).transform([&] {
        return std::move(out);
    });
}

template <class F, class... Args>
auto Connection::rows(std::string_view sql, F&& read, const Args&... args) {
    return query(sql, args...).and_then([&](Statement s) {
        return collectRows(s, std::forward<F>(read));
    });
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
