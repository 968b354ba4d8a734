#include "storage/sqlite.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <cctype>
#include <utility>

namespace runboard::storage {

Error sqliteError(sqlite3* db, int code, std::string_view what) {
    // Messages are for people: they name the file and the problem, never the SQL (which goes to
    // the debug log at the call site).
    const int primary = code & 0xff;
    const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
    const std::string name = file != nullptr && *file != '\0' ? file : "(no file)";
    const std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    std::string prefix = what.empty() ? std::string() : std::string(what) + ": ";
    switch (primary) {
        case SQLITE_NOTADB:
            return {ErrorKind::NotADatabase, prefix + "'" + name + "' is not a SQLite database"};
        case SQLITE_CANTOPEN:
            return {ErrorKind::CannotOpen, prefix + "cannot open '" + name + "': " + detail};
        case SQLITE_READONLY:
        case SQLITE_PERM:
            return {ErrorKind::ReadOnly,
                    prefix + "database '" + name + "' is not writable (" + detail + ")"};
        case SQLITE_BUSY:  // (not SQLITE_LOCKED: a conflict within one connection, no wait helps)
            return {ErrorKind::Busy, prefix + "database '" + name +
                                         "' is locked by another process; try again when it "
                                         "has finished writing"};
        case SQLITE_FULL:
            return {ErrorKind::DiskFull,
                    prefix + "the disk holding database '" + name + "' is full"};
        case SQLITE_IOERR:
            return {ErrorKind::Io,
                    prefix + "cannot read or write database '" + name + "': disk I/O error"};
        case SQLITE_CORRUPT:
            return {ErrorKind::Corrupt,
                    prefix + "database '" + name + "' is damaged or truncated (" + detail + ")"};
        default:
            return {ErrorKind::Sql, prefix + "database '" + name + "': " + detail};
    }
}

// ---- Statement ----

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      bindError_(other.bindError_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        db_ = std::exchange(other.db_, nullptr);
        stmt_ = std::exchange(other.stmt_, nullptr);
        bindError_ = other.bindError_;
    }
    return *this;
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::int64_t value) {
    if (int rc = sqlite3_bind_int64(stmt_, index, value); rc != SQLITE_OK) bindError_ = rc;
    return *this;
}

Statement& Statement::bind(int index, double value) {
    if (int rc = sqlite3_bind_double(stmt_, index, value); rc != SQLITE_OK) bindError_ = rc;
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    // A default string_view has a null data(), which SQLite would bind as NULL: text is text.
    int rc = sqlite3_bind_text(stmt_, index, text.data() != nullptr ? text.data() : "",
                               static_cast<int>(text.size()), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) bindError_ = rc;
    return *this;
}

Statement& Statement::bindBlob(int index, std::span<const std::byte> blob) {
    int rc = sqlite3_bind_blob(stmt_, index, blob.data(), static_cast<int>(blob.size()),
                               SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) bindError_ = rc;
    return *this;
}

Statement& Statement::bindNull(int index) {
    if (int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK) bindError_ = rc;
    return *this;
}

Result<bool> Statement::step() {
    // Every error path resets the statement: a halted statement refuses new bindings
    // (SQLITE_MISUSE), and the writer keeps its statements to retry a failed batch.
    if (bindError_ != SQLITE_OK) {
        int rc = std::exchange(bindError_, SQLITE_OK);
        Error e = sqliteError(db_, rc, "binding a parameter");
        reset();
        return e;
    }
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    spdlog::debug("SQLite error {} in \"{}\"", rc, sqlite3_sql(stmt_));
    Error e = sqliteError(db_, rc, {});
    reset();
    return e;
}

Status Statement::run() {
    for (;;) {
        auto r = step();
        if (!r) return r.error();
        if (!r.value()) break;
    }
    reset();
    return {};
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::columnInt64(int col) const {
    return sqlite3_column_int64(stmt_, col);
}
double Statement::columnDouble(int col) const {
    return sqlite3_column_double(stmt_, col);
}
bool Statement::columnIsNull(int col) const {
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

std::string Statement::columnText(int col) const {
    const auto* text = sqlite3_column_text(stmt_, col);
    if (text == nullptr) return {};
    return {reinterpret_cast<const char*>(text),
            static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
}

std::span<const std::byte> Statement::columnBlob(int col) const {
    const void* data = sqlite3_column_blob(stmt_, col);
    const int n = sqlite3_column_bytes(stmt_, col);
    return {static_cast<const std::byte*>(data), static_cast<std::size_t>(n)};
}

// ---- Connection ----

Connection::Connection(Connection&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        sqlite3_close_v2(db_);
        db_ = std::exchange(other.db_, nullptr);
        path_ = std::move(other.path_);
    }
    return *this;
}

Connection::~Connection() {
    sqlite3_close_v2(db_);
}

Result<Connection> Connection::open(const std::string& path, OpenMode mode) {
    int flags = SQLITE_OPEN_NOMUTEX;
    switch (mode) {
        case OpenMode::ReadWriteCreate:
            flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
            break;
        case OpenMode::ReadWrite:
            flags |= SQLITE_OPEN_READWRITE;
            break;
        case OpenMode::ReadOnly:
            flags |= SQLITE_OPEN_READONLY;
            break;
        case OpenMode::ReadOnlyImmutable:
            flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
            break;
    }
    Connection c;
    c.path_ = path;
    std::string name = path;
    if (mode == OpenMode::ReadOnlyImmutable) {
        // A URI of our own making from a plain path: every byte but the safe ones escaped.
        static constexpr char kHex[] = "0123456789ABCDEF";
        name = "file:";
        for (unsigned char ch : path) {
            if (std::isalnum(ch) || ch == '/' || ch == '.' || ch == '_' || ch == '-')
                name += static_cast<char>(ch);
            else
                name.append({'%', kHex[ch >> 4], kHex[ch & 15]});
        }
        name += "?immutable=1";
    }
    const int rc = sqlite3_open_v2(name.c_str(), &c.db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        Error e = sqliteError(c.db_, rc, "cannot open database '" + path + "'");
        e.kind = ErrorKind::CannotOpen;
        return e;
    }
    sqlite3_extended_result_codes(c.db_, 1);
    sqlite3_busy_timeout(c.db_, 10'000);
    return c;
}

Status Connection::exec(std::string_view sql) {
    const std::string s(sql);
    char* msg = nullptr;
    const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &msg);
    if (rc != SQLITE_OK) {
        spdlog::debug("SQLite error {} ({}) in \"{}\"", rc, msg != nullptr ? msg : "", s);
        sqlite3_free(msg);
        return sqliteError(db_, rc, {});
    }
    return {};
}

Result<Statement> Connection::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        spdlog::debug("SQLite error {} preparing \"{}\"", rc, sql);
        return sqliteError(db_, rc, {});
    }
    return Statement(db_, stmt);
}

Result<std::int64_t> Connection::queryInt(std::string_view sql) {
    auto stmt = prepare(sql);
    if (!stmt) return stmt.error();
    auto row = stmt->step();
    if (!row) return row.error();
    if (!row.value())
        return Error{ErrorKind::Sql, "database '" + path_ + "': a query found no row"};
    return stmt->columnInt64(0);
}

std::int64_t Connection::lastInsertId() const {
    return sqlite3_last_insert_rowid(db_);
}
int Connection::changes() const {
    return sqlite3_changes(db_);
}

// ---- Transaction ----

Transaction::Transaction(Connection& db) : db_(db), begun_(db.exec("BEGIN IMMEDIATE")) {}

Transaction::~Transaction() {
    if (!done_ && begun_.ok()) (void)db_.exec("ROLLBACK");
}

Status Transaction::commit() {
    if (!begun_.ok()) return begun_;
    done_ = true;
    Status s = db_.exec("COMMIT");
    if (!s.ok()) (void)db_.exec("ROLLBACK");
    return s;
}

}  // namespace runboard::storage
