#pragma once
// The Profile tab's and `runboard profile`'s read: one run's step phases, model cost and op
// profiler windows from storage, made into analysis::ProfileReport. Qt-free.

#include "engine/analysis/profile_report.h"
#include "storage/run_store.h"

namespace runboard::widgets {

storage::Result<analysis::ProfileReport> loadProfileReport(storage::RunStore& store,
                                                           storage::RunId run);

}  // namespace runboard::widgets
