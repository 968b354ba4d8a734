#include "app/logging.h"

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>

namespace runboard::app {

void setupLogging(const std::string& dbPath) {
    std::vector<spdlog::sink_ptr> sinks;
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    const auto dir = std::filesystem::path(dbPath).parent_path();
    std::error_code ec;
    if (!dbPath.empty() && std::filesystem::is_directory(dir.empty() ? "." : dir, ec)) {
        try {
            sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
                (dir / "runboard.log").string(), 5 * 1024 * 1024, 3));
        } catch (const spdlog::spdlog_ex&) {
            // A read-only directory: stderr only.
        }
    }
    auto logger = std::make_shared<spdlog::logger>("runboard", sinks.begin(), sinks.end());
    logger->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::info);
    spdlog::cfg::load_env_levels();
}

}  // namespace runboard::app
