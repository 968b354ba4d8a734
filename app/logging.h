#pragma once
#include <string>

namespace runboard::app {

// spdlog to stderr and to a rotating file beside the database (<dir>/runboard.log).
// SPDLOG_LEVEL (e.g. "debug") overrides the level.
void setupLogging(const std::string& dbPath);

}  // namespace runboard::app
