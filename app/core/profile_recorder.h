#pragma once
// Stores what the profiler measures: the model's cost when training starts and each op profiler
// window when it ends. Few rows, rarely: written at once through the session's own connection (as
// the checklist is), not queued through the batched writer. A failure is logged and training goes
// on: a profile is a diagnosis, not the run's result.

#include "engine/observer.h"
#include "storage/profile_store.h"

namespace runboard::app {

// The stored forms, for the recorder and the tests.
storage::RunCost costRow(const engine::CostEvent& e);
storage::ProfileWindowRow windowRow(const engine::profile::Window& w);

class ProfileRecorder : public engine::Observer {
public:
    ProfileRecorder(storage::Connection& db, storage::RunId run) : db_(db), run_(run) {}
    void onCost(const engine::CostEvent& e) override;
    void onProfile(const engine::profile::Window& w) override;

private:
    storage::Connection& db_;
    storage::RunId run_;
};

}  // namespace runboard::app
