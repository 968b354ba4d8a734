#include "engine/dist/launch.h"

#include <charconv>

namespace runboard::engine::dist {
namespace {

// Where a value came from, for messages: "--rank" or "RANK".
struct Given {
    std::string value;
    std::string where;
};

std::optional<Given> pick(const std::optional<std::string>& arg, const char* option,
                          const Getenv& getenv, const char* variable) {
    if (arg) return Given{*arg, std::string("--").append(option)};
    if (const char* v = getenv(variable); v != nullptr)
        return Given{v, std::string("the environment's ").append(variable)};
    return std::nullopt;
}

// A whole number in [lo, hi], or a message naming where it came from.
std::variant<int, std::string> number(const Given& g, int lo, int hi, const char* what) {
    int value = 0;
    const char* end = g.value.data() + g.value.size();
    const auto [ptr, ec] = std::from_chars(g.value.data(), end, value);
    if (g.value.empty() || ec != std::errc() || ptr != end || value < lo || value > hi)
        return g.where + " is '" + g.value + "': " + what + " must be a whole number from " +
               std::to_string(lo) + " to " + std::to_string(hi);
    return value;
}

}  // namespace

std::variant<Launch, std::string> resolveLaunch(const LaunchArgs& args, const Getenv& getenv) {
    Launch launch;
    const auto world = pick(args.worldSize, "world-size", getenv, "WORLD_SIZE");
    if (world) {
        auto n = number(*world, 1, kMaxWorldSize, "the number of processes");
        if (auto* e = std::get_if<std::string>(&n)) return *e;
        launch.worldSize = std::get<int>(n);
    }
    const auto rank = pick(args.rank, "rank", getenv, "RANK");
    if (rank) {
        auto r = number(*rank, 0, launch.worldSize - 1, "the rank (below the world size)");
        if (auto* e = std::get_if<std::string>(&r)) return *e;
        launch.rank = std::get<int>(r);
    } else if (launch.distributed()) {
        return "a world of " + std::to_string(launch.worldSize) +
               " processes needs this process's rank: --rank R or RANK (0 to " +
               std::to_string(launch.worldSize - 1) + ")";
    }
    launch.localRank = launch.rank;
    if (const char* v = getenv("LOCAL_RANK"); v != nullptr) {
        auto r = number({v, "the environment's LOCAL_RANK"}, 0, launch.worldSize - 1,
                        "the rank on this machine");
        if (auto* e = std::get_if<std::string>(&r)) return *e;
        launch.localRank = std::get<int>(r);
    }
    if (const auto addr = pick(args.masterAddr, "master-addr", getenv, "MASTER_ADDR")) {
        if (addr->value.empty() || addr->value.find_first_of(" \t\r\n") != std::string::npos)
            return addr->where + " is '" + addr->value +
                   "': it must be rank 0's host name or address";
        launch.masterAddr = addr->value;
    }
    const auto port = pick(args.masterPort, "master-port", getenv, "MASTER_PORT");
    if (port) {
        auto p = number(*port, 1, 65535, "rank 0's port");
        if (auto* e = std::get_if<std::string>(&p)) return *e;
        launch.masterPort = std::get<int>(p);
    } else if (launch.distributed()) {
        return "a world of " + std::to_string(launch.worldSize) +
               " processes needs rank 0's port: --master-port PORT or MASTER_PORT (1-65535)";
    }
    return launch;
}

Launch localLaunch(int nproc, int rank, int port) {
    Launch launch;
    launch.worldSize = nproc;
    launch.rank = rank;
    launch.localRank = rank;
    launch.masterPort = port;
    return launch;
}

}  // namespace runboard::engine::dist
