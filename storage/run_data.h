#pragma once
// What data a run trained on, as it saw it: its classes by index (the names its predictions'
// labels mean) and, for tables and text, whose predictions name samples by their position, the
// name of the source with a fingerprint of its contents. The prediction review shows a run's
// labels by these names, and refuses to show a source's rows as the run's when the source has
// changed since (an edited CSV would put other texts beside the run's predictions).

#include <optional>
#include <string>
#include <vector>

#include "storage/result.h"
#include "storage/run_store.h"

namespace runboard::storage {

struct RunData {
    std::string sourceName;  // "fortunes.csv#1a2b3c4d"; empty: samples are named by file
    std::vector<std::string> classNames;
    bool operator==(const RunData&) const = default;
};

// Replaces what the run recorded (a resumed run records again), in one transaction.
Status storeRunData(Connection& db, RunId run, const RunData& data);
// Empty for a run that recorded nothing (it never started, or predates schema version 11).
Result<std::optional<RunData>> runData(Connection& db, RunId run);

}  // namespace runboard::storage
