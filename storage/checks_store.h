#pragma once
// The pre-flight checklist of a run, stored with it: one row per check with its status, the
// measured value, the one-line explanation and the details (e.g. duplicate samples, dead
// parameters).

#include <map>
#include <string>
#include <vector>

#include "storage/result.h"
#include "storage/run_store.h"

namespace runboard::storage {

struct CheckRow {
    std::string name;
    std::string status;  // pass | warn | fail
    double value = 0;    // NaN/Inf kept
    std::string message;
    std::vector<std::string> details;
    bool operator==(const CheckRow&) const = default;
};

// Replaces the run's checklist, in one transaction. InvalidArgument for an unknown status.
Status storeChecks(Connection& db, RunId run, const std::vector<CheckRow>& checks);
// Adds one check at the end of the run's list (a check made during training).
Status appendCheck(Connection& db, RunId run, const CheckRow& check);
Result<std::vector<CheckRow>> runChecks(Connection& db, RunId run);
// The worst status of every run that has a checklist: fail > warn > pass.
Result<std::map<RunId, std::string>> checkSummaries(Connection& db);

}  // namespace runboard::storage
