#pragma once
// Results with messages: storage/ reports failures as values, never by dialogs or asserts.

#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
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

class Status;
template <class T>
class Result;

namespace detail {
// What transform() makes of f's return: Status for void, else Result<U>.
template <class U>
struct Wrapped {
    using type = Result<U>;
};
template <>
struct Wrapped<void> {
    using type = Status;
};
}  // namespace detail

// A value or an Error. and_then/transform chain steps as std::expected (C++23) does: the first
// error passes through and the later steps are not run, so a query and what is made of its rows
// read as one expression instead of an `if (!x) return x.error();` after each step.
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
    // By value: `for (auto& x : store.checkpoints(id).value())` would otherwise iterate a
    // vector that died with the temporary Result before the loop began (two such loops in the
    // resume tests read garbage paths).
    T value() && {
        check();
        return std::get<0>(std::move(v_));
    }
    const T& value() const& {
        check();
        return std::get<0>(v_);
    }
    T* operator->() { return &value(); }
    T& operator*() { return value(); }
    const T* operator->() const { return &value(); }
    const T& operator*() const { return value(); }
    const Error& error() const { return std::get<1>(v_); }

    // f(T) returns a Result<U> or a Status; an error skips it.
    template <class F>
    auto and_then(F&& f) && -> std::invoke_result_t<F, T&&> {
        if (!ok()) return error();
        return std::forward<F>(f)(std::get<0>(std::move(v_)));
    }
    template <class F>
    auto and_then(F&& f) & -> std::invoke_result_t<F, T&> {
        if (!ok()) return error();
        return std::forward<F>(f)(std::get<0>(v_));
    }
    // f(T) returns a plain U (Result<U>) or nothing (Status); an error skips it.
    template <class F>
    auto transform(F&& f) && -> typename detail::Wrapped<std::invoke_result_t<F, T&&>>::type {
        if (!ok()) return error();
        if constexpr (std::is_void_v<std::invoke_result_t<F, T&&>>) {
            std::forward<F>(f)(std::get<0>(std::move(v_)));
            return {};
        } else {
            return std::forward<F>(f)(std::get<0>(std::move(v_)));
        }
    }
    template <class F>
    auto transform(F&& f) & -> typename detail::Wrapped<std::invoke_result_t<F, T&>>::type {
        if (!ok()) return error();
        if constexpr (std::is_void_v<std::invoke_result_t<F, T&>>) {
            std::forward<F>(f)(std::get<0>(v_));
            return {};
        } else {
            return std::forward<F>(f)(std::get<0>(v_));
        }
    }
    T value_or(T fallback) && { return ok() ? std::get<0>(std::move(v_)) : std::move(fallback); }

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

    // f() returns a Result<U> or a Status, run only after a success.
    template <class F>
    auto and_then(F&& f) const -> std::invoke_result_t<F> {
        if (!ok()) return error();
        return std::forward<F>(f)();
    }
    // f() returns a plain U: a Result<U> after a success.
    template <class F>
    auto transform(F&& f) const -> Result<std::invoke_result_t<F>> {
        if (!ok()) return error();
        return std::forward<F>(f)();
    }

private:
    std::optional<Error> error_;
};

}  // namespace runboard::storage
