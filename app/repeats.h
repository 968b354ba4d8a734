#pragma once
// Seed repeats: N copies of a run that differ only in their seed, queued as a group, so that a
// difference can be compared with the noise between seeds.

#include <vector>

#include "app/run_session.h"
#include "storage/run_store.h"

namespace runboard::app {

// The requests for n repeats of `run`: its config with seeds no run of its group has used yet,
// the run as parent, and its group (the run's own id when it starts one). InvalidArgument for n
// outside 1..100, NotFound for an unknown run.
storage::Result<std::vector<RunRequest>> repeatRequests(storage::RunStore& store,
                                                        storage::RunId run, int n);

}  // namespace runboard::app
