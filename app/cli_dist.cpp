#include "app/cli_dist.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "app/cli_common.h"
#include "app/exit_codes.h"
#include "app/local_ranks.h"
#include "engine/errors.h"
#include "engine/trainer.h"

namespace runboard::app {

namespace {

std::optional<std::string> value(const QCommandLineParser& parser,
                                 const QCommandLineOption& option) {
    if (!parser.isSet(option)) return std::nullopt;
    return parser.value(option).toStdString();
}

}  // namespace

std::variant<DistLaunch, std::string> distLaunch(const QCommandLineParser& parser,
                                                 config::Config& config) {
    const std::int64_t configured = config.integer("ddp.world_size");
    DistLaunch out;
    if (parser.isSet(kNprocOption)) {
        for (const auto* o :
             {&kWorldSizeOption, &kRankOption, &kMasterAddrOption, &kMasterPortOption})
            if (parser.isSet(*o))
                return "--nproc starts every process on this machine: it cannot be combined "
                       "with --" +
                       o->names().front().toStdString();
        const std::string text = parser.value(kNprocOption).toStdString();
        char* end = nullptr;
        const long n = std::strtol(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || n < 1 || n > engine::dist::kMaxWorldSize)
            return "--nproc must be a number of processes from 1 to " +
                   std::to_string(engine::dist::kMaxWorldSize) + ", got '" + text + "'";
        if (configured != 1 && configured != n)
            return "--nproc " + text + " and ddp.world_size = " + std::to_string(configured) +
                   " disagree: give one of them";
        if (n > 1) {
            out.launch = engine::dist::localLaunch(static_cast<int>(n), 0, 0);
            out.local = true;
        }
    } else {
        const engine::dist::LaunchArgs args{
            value(parser, kWorldSizeOption), value(parser, kRankOption),
            value(parser, kMasterAddrOption), value(parser, kMasterPortOption)};
        auto resolved = engine::dist::resolveLaunch(
            args, [](const char* name) -> const char* { return std::getenv(name); });
        if (auto* message = std::get_if<std::string>(&resolved)) return *message;
        const auto& launch = std::get<engine::dist::Launch>(resolved);
        if (launch.distributed()) {
            if (configured != 1 && configured != launch.worldSize)
                return "the job has " + std::to_string(launch.worldSize) +
                       " processes but ddp.world_size = " + std::to_string(configured);
            out.launch = launch;
        } else if (configured > 1) {
            return "ddp.world_size = " + std::to_string(configured) +
                   ": start the run with --nproc " + std::to_string(configured) +
                   " (this machine), or each rank with --world-size, --rank, --master-addr and "
                   "--master-port";
        }
    }
    if (out.launch) {
        config.set("ddp.world_size", static_cast<std::int64_t>(out.launch->worldSize));
        if (out.local) shareCores(config, out.launch->worldSize);
    }
    return out;
}

int trainOtherRank(const config::Config& config, const engine::dist::Launch& launch) {
    // stderr only, marked with the rank, and quiet: rank 0 reports the run.
    auto logger = std::make_shared<spdlog::logger>(
        "runboard", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    logger->set_pattern("[%H:%M:%S.%e] [rank " + std::to_string(launch.rank) + "] [%^%l%$] %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::warn);
    try {
        InterruptGuard interrupt;  // before anything: a Ctrl-C while loading stops, never kills
        engine::Trainer trainer(
            config,
            {.checkpointDir = {}, .stop = &InterruptGuard::flag(), .dist = {.launch = launch}});
        engine::Observer none;
        const engine::RunResult r = trainer.run(none);
        switch (r.outcome) {
            case engine::Outcome::Finished:
                return kExitOk;
            case engine::Outcome::Stopped:
                return kExitInterrupted;
            case engine::Outcome::Diverged:
                return kExitDiverged;
        }
        return kExitFailure;
    } catch (const engine::DataError& e) {
        spdlog::error("{}", e.what());
        return kExitData;
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return kExitFailure;
    }
}

}  // namespace runboard::app
