#pragma once
// An LR sweep from request to stored rows, shared by `runboard lr-find` and the GUI's worker:
// the sweep runs first (the engine), then it is stored whole (storage), so a sweep that fails
// or is killed leaves nothing half-written.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/config/config.h"
#include "engine/sweep/lr_sweep.h"
#include "storage/sweep_store.h"

namespace runboard::app {

struct SweepRequest {
    config::Config config;
    sweep::Options options;
    std::string name;  // empty: derived from the config
};

std::string defaultSweepName(const config::Config& config);

// The rows of a finished sweep (any stop reason).
storage::NewSweep toNewSweep(const SweepRequest& request, const sweep::Result& result,
                             double seconds);
storage::Result<storage::SweepId> storeSweep(const std::string& dbPath, const SweepRequest& request,
                                             const sweep::Result& result, double seconds);

// The options a stored sweep ran with.
sweep::Options sweepOptions(const storage::SweepRecord& record);

// `lr-find --json`: id, name, created_at, config, options, stop {lr, step, reason}, suggestions
// {rule: lr}, points [{lr, loss, smoothed}] (non-finite as null), seconds.
nlohmann::json sweepToJson(const storage::SweepRecord& record,
                           const std::vector<storage::SweepPointRow>& points);
// For people: the stop point and the table of suggestions.
std::string sweepToText(const storage::SweepRecord& record);

}  // namespace runboard::app
