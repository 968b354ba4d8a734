// `runboard train`: validate everything that can be validated before touching the database,
// then train, with Ctrl-C ending the run cleanly.

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "app/cli.h"
#include "app/cli_common.h"
#include "app/cli_dist.h"
#include "app/exit_codes.h"
#include "app/local_ranks.h"
#include "app/logging.h"
#include "app/progress.h"
#include "app/run_json.h"
#include "app/run_session.h"
#include "engine/errors.h"
#include "engine/trainer.h"
#include "storage/leaderboard.h"
#include "storage/resume_store.h"

namespace runboard::app {

namespace {

// What a finished, stopped, diverged or failed run prints and exits with (train and resume).
int reportOutcome(storage::RunStore& store, const RunOutcome& outcome, bool json) {
    if (json) {
        auto j = runToJson(store, outcome.id);
        if (!j) return failStorage(j.error());
        std::printf("%s\n", jsonText(j.value()).c_str());
    } else {
        std::printf("%lld\n", static_cast<long long>(outcome.id));
    }
    if (outcome.storageBusy) {
        return fail(kExitBusy, "run " + std::to_string(outcome.id) +
                                   ": stopped while the database was busy: " + outcome.message);
    }
    if (outcome.storageFailed && outcome.status != storage::RunStatus::Failed) {
        // Trained, but its final status could not be stored (the database shows it running
        // until the next open marks it interrupted).
        return fail(kExitDatabase,
                    "run " + std::to_string(outcome.id) +
                        ": its final status could not be recorded: " + outcome.message);
    }
    switch (outcome.status) {
        case storage::RunStatus::Finished:
            return kExitOk;
        case storage::RunStatus::Stopped:
            return kExitInterrupted;
        case storage::RunStatus::Diverged:
            spdlog::error("run {} diverged: {}", outcome.id, outcome.message);
            return kExitDiverged;
        default:
            if (!outcome.message.empty())
                std::fprintf(stderr, "runboard: run %lld failed: %s\n",
                             static_cast<long long>(outcome.id), outcome.message.c_str());
            return outcome.checkFailed     ? kExitCheckFailed
                   : outcome.storageFailed ? kExitDatabase
                                           : kExitFailure;
    }
}

}  // namespace

int trainCommand(const QStringList& args) {
    QCommandLineParser parser;
    const QCommandLineOption nameOpt("name", "The run's name.", "NAME");
    const QCommandLineOption parentOpt("parent", "The run this one derives from.", "RUN");
    parser.addOption(kDbOption);
    parser.addOption(kConfigOption);
    parser.addOption(kSetOption);
    parser.addOption(nameOpt);
    parser.addOption(parentOpt);
    parser.addOption(kJsonOption);
    for (const auto* o :
         {&kNprocOption, &kWorldSizeOption, &kRankOption, &kMasterAddrOption, &kMasterPortOption})
        parser.addOption(*o);
    const QString usage =
        "runboard train [--db PATH] [--config FILE.json] [--set KEY=VALUE]... [--name NAME] "
        "[--parent RUN] [--json] [--nproc N | --world-size W --rank R --master-addr HOST "
        "--master-port PORT]";
    const QString description = QString::fromStdString(
        "Train a model and log every metric and prediction to the database.\n"
        "Prints the run id (with --json, the same object as `runboard show --json`).\n\n"
        "Config keys (KEY TYPE DEFAULT MEANING):\n" +
        configKeyList());
    if (auto code = parseSubcommand(parser, args, usage, description)) return *code;
    if (!parser.positionalArguments().isEmpty())
        return fail(kExitUsage, "train takes no positional arguments, got '" +
                                    parser.positionalArguments().join(' ').toStdString() + "'");

    // 1. The config: defaults, then the file, then each --set, then the ranges.
    config::Config cfg = config::Config::defaults();
    std::optional<storage::RunId> parent;
    try {
        cfg = configFromOptions(parser);
        if (parser.isSet(parentOpt)) {
            parent = parseRunId(parser.value(parentOpt));
            if (!parent)
                throw config::ConfigError("--parent must be a run id, got '" +
                                          parser.value(parentOpt).toStdString() + "'");
        }
    } catch (const config::ConfigError& e) {
        return fail(kExitUsage, e.what());
    }
    // Data-parallel: the ranks other than 0 never touch the database.
    auto dist = distLaunch(parser, cfg);
    if (auto* message = std::get_if<std::string>(&dist)) return fail(kExitUsage, *message);
    const DistLaunch launch = std::get<DistLaunch>(dist);
    if (launch.launch && launch.launch->rank != 0) return trainOtherRank(cfg, *launch.launch);
    // The database's name and the parent, before the minutes a dataset can take to load.
    const std::string dbPath = databasePath(parser);
    if (auto file = storage::databaseFile(dbPath, /*mustExist=*/false); !file)
        return failStorage(file.error());
    if (parent) {
        // Write access when the file exists: an older schema is upgraded, as training would.
        std::error_code ec;
        auto store =
            openStore(dbPath, std::filesystem::exists(dbPath, ec) ? Access::Write : Access::Read);
        if (!store) return failStorage(store.error());
        if (auto p = store->run(*parent); !p)
            return fail(kExitUsage, "--parent " + std::to_string(*parent) + ": no run with id " +
                                        std::to_string(*parent) + " in '" + dbPath + "'");
    }

    // 2. The data, before the database: a missing dataset leaves no trace.
    setupLogging(dbPath);
    // --nproc: ranks 1..N-1, started once rank 0 listens (after its checklist).
    std::unique_ptr<LocalRanks> ranks;
    const engine::DistOptions distOptions = launch.local
                                                ? localJobOptions(launch.launch->worldSize, ranks)
                                                : engine::DistOptions{.launch = launch.launch};
    engine::Trainer trainer(
        cfg, {.checkpointDir = {}, .stop = &InterruptGuard::flag(), .dist = distOptions});
    try {
        trainer.loadData();
    } catch (const engine::DataError& e) {
        return fail(kExitData, e.what());
    }

    // 3. The database.
    auto session = RunSession::open(dbPath);
    if (!session) return failStorage(session.error());
    RunRequest request{cfg, parser.value(nameOpt).toStdString(), parent};
    auto id = session.value()->start(request);
    if (!id) return failStorage(id.error());
    spdlog::info("run {} in {}", id.value(), dbPath);

    // 4. Train. Checkpoints live beside the database; Ctrl-C stops within one step.
    const std::string filesDir = session.value()->store().filesDir(id.value());
    trainer.setCheckpointDir(filesDir);
    if (launch.local) {
        // The other ranks train with rank 0's config as resolved (model = auto decided).
        try {
            ranks =
                std::make_unique<LocalRanks>(launch.launch->worldSize, trainer.config(), filesDir);
        } catch (const std::exception& e) {
            return fail(kExitDatabase, e.what());
        }
    }
    ProgressPrinter progress(stderr);
    auto hideTest = storage::competitionMode(session.value()->store().connection());
    if (!hideTest) return failStorage(hideTest.error());
    progress.setHideTest(hideTest.value());
    const RunOutcome outcome = [&] {
        InterruptGuard interrupt;
        return session.value()->train(trainer, &progress);
    }();
    if (ranks) {
        // Every rank ends after the same step; one still running after the timeout is killed.
        const auto timeout = std::chrono::milliseconds(
            static_cast<std::int64_t>(trainer.config().number("ddp.timeout") * 1000));
        // After a failure the others have failed too, or hang: no reason to wait long.
        const bool failed = outcome.status == storage::RunStatus::Failed;
        if (const auto why = ranks->finish(failed ? std::chrono::milliseconds(2000) : timeout);
            !why.empty())
            spdlog::warn("data-parallel: {}", why);
    }

    return reportOutcome(session.value()->store(), outcome, parser.isSet(kJsonOption));
}

int resumeCommand(const QStringList& args) {
    QCommandLineParser parser;
    parser.addOption(kDbOption);
    parser.addOption(kJsonOption);
    const QString usage = "runboard resume RUN [--db PATH] [--json]";
    const QString description =
        "Continue a stopped, interrupted or failed run from its newest valid checkpoint, bit for\n"
        "bit, to its configured end and final test evaluation. The run keeps its id; what it\n"
        "logged after the checkpoint is archived (runboard show --json lists the resumes).\n"
        "A damaged or missing checkpoint is skipped for the one before it; without one the run\n"
        "restarts from step 0. Refused (exit 2) while the run is alive, or when its config or\n"
        "data changed since the checkpoint. Exit codes as for train (130 Ctrl-C, 5 diverged).";
    if (auto code = parseSubcommand(parser, args, usage, description)) return *code;
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1)
        return fail(kExitUsage, "resume takes one run id\nusage: " + usage.toStdString());
    const auto id = parseRunId(positional.front());
    if (!id)
        return fail(kExitUsage,
                    "resume: '" + positional.front().toStdString() + "' is not a run id");

    // 1. The run: it must exist and be resumable before any data is read.
    const std::string dbPath = databasePath(parser);
    config::Config cfg = config::Config::defaults();
    {
        // An existing database only (migrated if older, as train would): a mistyped --db must
        // not leave a new empty one behind.
        auto store = storage::RunStore::open(dbPath, {.create = false});
        if (!store) return failStorage(store.error());
        auto record = store->run(*id);
        if (!record) return failStorage(record.error());
        if (auto s = storage::checkResumable(store.value(), *id); !s) return failStorage(s.error());
        try {
            cfg.mergeJson(record->configJson, "run " + std::to_string(*id));
        } catch (const config::ConfigError& e) {
            return fail(kExitUsage, std::string("run ") + std::to_string(*id) +
                                        "'s stored config is not valid here: " + e.what());
        }
    }

    // 2. The data and the checkpoint, still without changing anything.
    setupLogging(dbPath);
    auto session = RunSession::open(dbPath);
    if (!session) return failStorage(session.error());
    storage::RunStore& store = session.value()->store();
    engine::Trainer trainer(
        cfg, {.checkpointDir = store.filesDir(*id), .stop = &InterruptGuard::flag()});
    ResumeChoice choice;
    try {
        trainer.loadData();
        choice = chooseCheckpoint(store, *id, trainer);
    } catch (const engine::DataError& e) {
        return fail(kExitData, e.what());
    } catch (const engine::ResumeRefused& e) {
        return fail(kExitUsage, "cannot resume run " + std::to_string(*id) + ": " + e.what());
    } catch (const std::exception& e) {
        return fail(kExitFailure, "cannot resume run " + std::to_string(*id) + ": " + e.what());
    }

    // 3. Take the run over (archiving its tail) and train on.
    auto resumed = session.value()->resume(*id, choice);
    if (!resumed) return failStorage(resumed.error());
    ProgressPrinter progress(stderr);
    auto hideTest = storage::competitionMode(store.connection());
    if (!hideTest) return failStorage(hideTest.error());
    progress.setHideTest(hideTest.value());
    const RunOutcome outcome = [&] {
        InterruptGuard interrupt;
        return session.value()->train(trainer, &progress);
    }();
    return reportOutcome(store, outcome, parser.isSet(kJsonOption));
}

}  // namespace runboard::app
