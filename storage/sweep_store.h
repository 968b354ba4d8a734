#pragma once
// LR sweeps as first-class rows: the config they swept, their options, every point, where and why
// they stopped, and each rule's suggestion. A sweep is written whole in one transaction (never
// half a sweep), so a crash mid-sweep leaves no trace rather than a misleading one.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/result.h"
#include "storage/sqlite.h"

namespace runboard::storage {

using SweepId = std::int64_t;

struct SweepPointRow {
    std::int64_t step = 0;
    double lr = 0;
    double loss = 0;      // NaN/Inf kept
    double smoothed = 0;  // NaN/Inf kept
};

struct SweepSuggestionRow {
    std::string rule;
    double lr = 0;
    std::int64_t step = 0;
    bool operator==(const SweepSuggestionRow&) const = default;
};

struct NewSweep {
    std::string name;
    std::string configJson;
    double start = 0, end = 0;
    std::int64_t steps = 0;
    std::string mode;  // exp | linear
    double beta = 0, stopFactor = 0;
    std::int64_t stopStep = 0;
    double stopLr = 0;
    std::string stopReason;
    double seconds = 0;
    std::vector<SweepPointRow> points;
    std::vector<SweepSuggestionRow> suggestions;
};

struct SweepRecord {
    SweepId id = 0;
    std::string name;
    std::string createdAt;
    std::string configJson;
    double start = 0, end = 0;
    std::int64_t steps = 0;
    std::string mode;
    double beta = 0, stopFactor = 0;
    std::int64_t stopStep = 0;
    double stopLr = 0;
    std::string stopReason;
    double seconds = 0;
    std::int64_t pointCount = 0;
    std::vector<SweepSuggestionRow> suggestions;
};

Result<SweepId> insertSweep(Connection& db, const NewSweep& sweep);
// Newest first.
Result<std::vector<SweepRecord>> listSweeps(Connection& db);
Result<SweepRecord> sweepRecord(Connection& db, SweepId id);
Result<std::vector<SweepPointRow>> sweepPoints(Connection& db, SweepId id);
Status renameSweep(Connection& db, SweepId id, const std::string& name);
Status deleteSweep(Connection& db, SweepId id);

}  // namespace runboard::storage
