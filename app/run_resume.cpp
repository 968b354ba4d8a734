// Resuming a run: which checkpoint to continue from, and taking the run over in the store.

#include <spdlog/spdlog.h>

#include <filesystem>

#include "app/run_session.h"
#include "engine/data/checksum.h"
#include "engine/errors.h"
#include "storage/resume_store.h"

namespace runboard::app {

ResumeChoice chooseCheckpoint(storage::RunStore& store, storage::RunId id,
                              engine::Trainer& trainer) {
    // Before anything, also without a checkpoint: a restart from step 0 would need the ranks.
    if (const auto world = trainer.config().integer("ddp.world_size"); world > 1)
        throw engine::ResumeRefused(
            "it trained data-parallel (ddp.world_size = " + std::to_string(world) +
            "), and resuming such a run is not supported yet: start a new run with its config");
    ResumeChoice choice;
    auto all = store.checkpoints(id);
    if (!all)
        throw engine::EngineError("cannot read the run's checkpoints: " + all.error().message);
    for (auto it = all->rbegin(); it != all->rend(); ++it) {
        const storage::CheckpointRecord& cp = *it;
        std::optional<std::string> problem;
        std::error_code ec;
        if (cp.crc32 && cp.bytes)
            problem = engine::checkFileChecksum(cp.path, static_cast<std::uint32_t>(*cp.crc32),
                                                *cp.bytes);
        else if (!std::filesystem::exists(cp.path, ec))
            problem = "it is missing";
        if (!problem) {
            std::vector<engine::KnownCheckpoint> known;
            for (auto k = all->begin(); k != it.base(); ++k)
                known.push_back({k->path, k->epoch, k->step});
            try {
                trainer.resumeFrom(cp.path, std::move(known));
                choice.checkpoint = cp;
                return choice;
            } catch (const engine::ResumeRefused&) {
                throw;
            } catch (const engine::EngineError& e) {
                problem = e.what();
            }
        }
        choice.skipped.push_back("the checkpoint at step " + std::to_string(cp.step) + " ('" +
                                 cp.path + "') cannot be used: " + *problem);
        spdlog::warn("run {}: {}; trying the one before", id, choice.skipped.back());
    }
    spdlog::warn(
        "run {}: no usable checkpoint, so it restarts from step 0; everything it logged "
        "is archived",
        id);
    return choice;
}

storage::Result<storage::ResumeRecord> RunSession::resume(storage::RunId id,
                                                          const ResumeChoice& choice) {
    // The final test metrics are logged at the last checkpoint's own step, after it.
    auto resumed = storage::beginResume(store_, id, {choice.checkpoint, {"test/"}});
    if (!resumed) return resumed.error();
    run_ = std::move(resumed->run);
    resumedFrom_ = choice.checkpoint;
    const auto& r = resumed->resume;
    spdlog::info("run {} resumes after step {}; {} rows logged after it were archived", id,
                 r.atStep, r.archivedRows);
    return r;
}

}  // namespace runboard::app
