#pragma once
// The CLI's exit codes: a stable contract, documented in the README and in --help.

namespace runboard::app {

enum ExitCode : int {
    kExitOk = 0,
    kExitFailure = 1,        // an unexpected engine failure (logged)
    kExitUsage = 2,          // bad usage or config, or an unknown run id
    kExitData = 3,           // input data missing or corrupt
    kExitDatabase = 4,       // database unusable: missing, not SQLite, damaged, not writable, full
    kExitDiverged = 5,       // the run diverged (NaN/Inf loss)
    kExitCheckFailed = 6,    // a sanity check failed (pre-flight checks)
    kExitBusy = 7,           // another process held the database's write lock too long
    kExitInterrupted = 130,  // Ctrl-C: run marked stopped, everything flushed
};

}  // namespace runboard::app
