#pragma once
// Results with messages: storage/ reports failures as values, never by dialogs or asserts.

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace runboard::storage {

enum class ErrorKind {
    CannotOpen,    // path missing, directory absent, permissions
    NotADatabase,  // the file exists but is not SQLite
    NewerSchema,   // written by a newer Runboard
    ReadOnly,      // cannot write
    NotFound,      // e.g. unknown run id
    InvalidArgument,
    Busy,      // another process holds the write lock longer than we waited
    DiskFull,  // ENOSPC (SQLITE_FULL): what was committed stays, nothing more can be written
    Io,        // EIO and friends (SQLITE_IOERR)
    Corrupt,   // the file is damaged (SQLITE_CORRUPT) or truncated
    Sql,       // any other SQLite failure
};

struct Error {
    ErrorKind kind = ErrorKind::Sql;
    std::string message;
};

// True for errors that make the database as a whole unusable (CLI exit code 4).
inline bool isDatabaseUnusable(ErrorKind k) {
    return k == ErrorKind::CannotOpen || k == ErrorKind::NotADatabase ||
           k == ErrorKind::NewerSchema || k == ErrorKind::ReadOnly || k == ErrorKind::DiskFull ||
           k == ErrorKind::Io || k == ErrorKind::Corrupt;
}

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        check();
        return std::get<0>(v_);
    }
    T&& value() && {
        check();
        return std::get<0>(std::move(v_));
    }
    const T& value() const& {
        check();
        return std::get<0>(v_);
    }
    T* operator->() { return &value(); }
    T& operator*() { return value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    void check() const {
        if (!ok()) throw std::logic_error("Result::value() on an error: " + error().message);
    }
    std::variant<T, Error> v_;
};

class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error error) : error_(std::move(error)) {}
    static Status success() { return {}; }

    bool ok() const { return !error_.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return *error_; }

private:
    std::optional<Error> error_;
};

}  // namespace runboard::storage
