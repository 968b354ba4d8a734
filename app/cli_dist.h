#pragma once
// `runboard train`'s data-parallel options (issue 19): --nproc N on this machine, or one rank of
// a job across machines (--world-size, --rank, --master-addr, --master-port, or torchrun's
// variables). Only rank 0 opens the database; the other ranks train without one.

#include <QCommandLineParser>
#include <optional>
#include <string>
#include <variant>

#include "engine/config/config.h"
#include "engine/dist/launch.h"

namespace runboard::app {

inline const QCommandLineOption kNprocOption{
    "nproc",
    "Train data-parallel with N processes on this machine (each takes cores / N threads and "
    "batch_size samples a step).",
    "N"};
inline const QCommandLineOption kWorldSizeOption{
    "world-size", "Data-parallel across machines: the number of processes in the job.", "W"};
inline const QCommandLineOption kRankOption{
    "rank", "Data-parallel across machines: this process's rank (0 opens the database).", "R"};
inline const QCommandLineOption kMasterAddrOption{
    "master-addr", "Data-parallel across machines: rank 0's host.", "HOST"};
inline const QCommandLineOption kMasterPortOption{
    "master-port", "Data-parallel across machines: rank 0's port.", "PORT"};

struct DistLaunch {
    std::optional<engine::dist::Launch> launch;  // none: one process
    bool local = false;                          // --nproc: this process starts the others
};

// Reads the options and torchrun's variables, and sets ddp.world_size (and, with --nproc and
// threads = 0, threads = cores / N) in `config`. A message in the user's words on a mistake.
std::variant<DistLaunch, std::string> distLaunch(const QCommandLineParser& parser,
                                                 config::Config& config);

// A rank other than 0: trains without a database, logging to stderr marked "[rank R]". Returns
// the exit code (0, 130 stopped, 5 diverged, 3 data, 1 failed).
int trainOtherRank(const config::Config& config, const engine::dist::Launch& launch);

}  // namespace runboard::app
