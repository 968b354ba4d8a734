#pragma once
// Where this process stands in a data-parallel job (issue 19).
//
// The launch follows torchrun's contract, so that torchrun-style launchers and cluster schedulers
// work unchanged: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT are read when set, and
// the command line's --world-size, --rank, --master-addr and --master-port win over them. A
// mistake is reported in words that name the variable or option and what it holds, before any
// process waits on a peer: a rank that waits for a peer that can never come waits for the whole
// timeout.

#include <functional>
#include <optional>
#include <string>
#include <variant>

namespace runboard::engine::dist {

// The largest world accepted: far beyond what Gloo over TCP serves well, small enough that a typo
// (WORLD_SIZE=20000) is caught.
inline constexpr int kMaxWorldSize = 1024;

struct Launch {
    int worldSize = 1;
    int rank = 0;
    int localRank = 0;  // the rank among this machine's processes (torchrun's LOCAL_RANK)
    std::string masterAddr = "127.0.0.1";
    int masterPort = 0;  // 0: rank 0 listens on a free port (only for --nproc on one machine)

    [[nodiscard]] bool distributed() const { return worldSize > 1; }
};

// What the command line gave, as typed (nullopt: not given).
struct LaunchArgs {
    std::optional<std::string> worldSize, rank, masterAddr, masterPort;
};

// Reads a variable of the environment: std::getenv in the CLI, a map in tests.
using Getenv = std::function<const char*(const char*)>;

// The launch the options and the environment describe, or a message in words. Nothing given: one
// process. A world of more than one needs a rank below it and a master port (1-65535); LOCAL_RANK
// defaults to RANK.
std::variant<Launch, std::string> resolveLaunch(const LaunchArgs& args, const Getenv& getenv);

// The launch of rank `rank` of `nproc` processes on this machine (runboard train --nproc N): a
// loopback rendezvous on `port` (0 until rank 0 has picked a free one).
Launch localLaunch(int nproc, int rank, int port);

}  // namespace runboard::engine::dist
