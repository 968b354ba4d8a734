#pragma once
// Lineage: a run made from another records its parent, and what it changed against it (the keys
// of the flattened config whose values differ, or that only one of them has) is computed once and
// stored. Seed repeats form a group named by the run they repeat. And the diff of any two runs'
// configs, for the compare view and `runboard compare`.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/result.h"
#include "storage/run_store.h"
#include "storage/sqlite.h"

namespace runboard::storage {

// The keys whose values differ between two flattened configs, or that one of them lacks, by key.
// Operational params (how a run executes: threads, logging, checks) are never changes, as in the
// stored change sets, so compare and lineage agree on "what changed".
std::vector<Change> diffParams(const std::vector<Param>& from, const std::vector<Param>& to);

// Stores what `run` changed against its parent (nothing when it has none); replaces what was
// stored. recordChangeSets does it for every run with a parent (the schema migrations' backfill;
// operationalColumn is false before schema version 8). Operational params are never changes.
Status recordChangeSet(Connection& db, RunId run);
Status recordChangeSets(Connection& db, bool operationalColumn = true);

Result<std::vector<Change>> changeSet(Connection& db, RunId run);
// Every stored change set, by run.
Result<std::map<RunId, std::vector<Change>>> allChangeSets(Connection& db);

// "2 changes: lr, batch_size — this comparison can't tell which one helped"; empty for 0 or 1.
std::string changeWarning(const std::vector<Change>& changes);

// Puts `run` into the group of seed repeats named `group`.
Status joinGroup(Connection& db, RunId group, RunId run);
// The group's runs, by id (the repeated run first).
Result<std::vector<RunId>> groupMembers(Connection& db, RunId group);

}  // namespace runboard::storage
