#pragma once
// `runboard train --nproc N` (issue 19): this process is rank 0 and starts ranks 1..N-1 as child
// processes of the same executable, `runboard train --rank R --world-size N --master-port P
// --config FILE`, once it listens on a free loopback port (so a port is never guessed, and the
// pre-flight checklist has run, once, before any other rank exists).
//
// No process is left behind:
// - each child asks the kernel for SIGKILL when the thread that started it ends
//   (PR_SET_PDEATHSIG), so a launcher that is killed, even with kill -9, takes its ranks along;
// - the destructor kills and reaps every child still running (a failed run's stragglers);
// - Ctrl-C reaches every rank (one process group): each sets its stop flag, and the per-step
//   allreduce stops them all after the same step.
//
// The ranks run this executable (/proc/self/exe: the GUI binary is the CLI too); the GUI tests,
// whose executable is not, name the CLI in RUNBOARD_RANK_EXE.
//
// A child that dies is named by its rank, pid and signal or exit code (explainFailure), which
// Gloo's "connection closed by peer" on rank 0 cannot do.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engine/config/config.h"
#include "engine/trainer.h"

namespace runboard::app {

class LocalRanks {
public:
    // Writes `config`, which every rank trains with, to `dir`/ddp-config.json (throws
    // std::runtime_error naming the file when it cannot).
    LocalRanks(int worldSize, const config::Config& config, const std::string& dir);
    ~LocalRanks();
    LocalRanks(const LocalRanks&) = delete;
    LocalRanks& operator=(const LocalRanks&) = delete;

    // Starts ranks 1..N-1 to meet rank 0 on 127.0.0.1:`port`. Throws std::runtime_error when a
    // process cannot be started (the ones already started are killed by the destructor).
    void start(int port);
    // The first rank that has died (killed, or exited with an error), waiting up to `wait` for
    // one to: "rank 1 (pid 4242) was killed by signal 9 (Killed)"; empty when all are running
    // or finished cleanly.
    std::string explainFailure(std::chrono::milliseconds wait);
    // Waits up to `timeout` for every rank to exit, then kills those still running. Returns what
    // went wrong with them (as explainFailure), or empty.
    std::string finish(std::chrono::milliseconds timeout);

private:
    struct Child {
        int rank = 0;
        pid_t pid = -1;
        bool exited = false;
        int status = 0;  // waitpid's
    };
    // Reaps the children that have exited, without waiting.
    void poll();
    std::string describeFailures() const;

    int world_;
    std::string configFile_;
    std::vector<Child> children_;
};

// Rank 0's hooks for a job of `ranks`: start them once listening, explain a failure by them.
engine::DistOptions localJobOptions(int worldSize, std::unique_ptr<LocalRanks>& ranks);

// threads = 0 (every core) becomes the cores shared out among `worldSize` processes of this
// machine: two processes of one thread beat one of two here (README, Data-parallel).
void shareCores(config::Config& config, int worldSize);

}  // namespace runboard::app
