#pragma once
// The stable JSON and text forms of runs (`runs`, `show`, `train --json`).

#include <nlohmann/json.hpp>
#include <string>

#include "storage/run_store.h"

namespace runboard::app {

// `show --json`: id, name, status, parent, created_at, started_at, finished_at, params,
// metrics (non-finite as null), checkpoints [{epoch, step, path}], plus seed, notes, message.
storage::Result<nlohmann::json> runToJson(storage::RunStore& store, storage::RunId id);
// `show` for people.
storage::Result<std::string> runToText(storage::RunStore& store, storage::RunId id);
// `runs` for people: one line a run.
storage::Result<std::string> runsToText(storage::RunStore& store);

}  // namespace runboard::app
