#pragma once
// Explicit storage of non-finite doubles: SQLite would turn a bound NaN into NULL.

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

namespace runboard::storage {

enum class NonFinite : std::int8_t { Finite = 0, NaN = 1, PosInf = 2, NegInf = 3 };

inline NonFinite classify(double v) {
    if (std::isnan(v)) return NonFinite::NaN;
    if (std::isinf(v)) return v > 0 ? NonFinite::PosInf : NonFinite::NegInf;
    return NonFinite::Finite;
}

// What is bound for a double: the value, or NULL for NaN and +-Inf, whose kind goes into the
// *_nonfinite column beside it (nonFiniteKind).
inline std::optional<double> finiteOrNull(double v) {
    return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}
inline std::int64_t nonFiniteKind(double v) {
    return static_cast<std::int64_t>(classify(v));
}

inline double decode(double stored, std::int64_t kind) {
    switch (static_cast<NonFinite>(kind)) {
        case NonFinite::NaN:
            return std::numeric_limits<double>::quiet_NaN();
        case NonFinite::PosInf:
            return std::numeric_limits<double>::infinity();
        case NonFinite::NegInf:
            return -std::numeric_limits<double>::infinity();
        case NonFinite::Finite:
            break;
    }
    return stored;
}

}  // namespace runboard::storage
