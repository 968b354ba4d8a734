#include "app/local_ranks.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "engine/runtime.h"

namespace runboard::app {

LocalRanks::LocalRanks(int worldSize, const config::Config& config, const std::string& dir)
    : world_(worldSize), configFile_((std::filesystem::path(dir) / "ddp-config.json").string()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::ofstream(configFile_) << config.toJson();
    if (ec || !std::ifstream(configFile_))
        throw std::runtime_error("cannot write '" + configFile_ +
                                 "' for the other data-parallel ranks");
}

engine::DistOptions localJobOptions(int worldSize, std::unique_ptr<LocalRanks>& ranks) {
    engine::DistOptions o;
    o.launch = engine::dist::localLaunch(worldSize, 0, 0);
    o.onListening = [&ranks](int port) {
        if (!ranks) throw std::logic_error("no data-parallel ranks to start");
        ranks->start(port);
    };
    o.explainFailure = [&ranks] {
        return ranks ? ranks->explainFailure(std::chrono::seconds(2)) : std::string();
    };
    o.ranksGone = [&ranks] {
        return ranks ? ranks->explainFailure(std::chrono::milliseconds(0)) : std::string();
    };
    return o;
}

void shareCores(config::Config& config, int worldSize) {
    if (worldSize > 1 && config.integer("threads") == 0)
        config.set("threads",
                   static_cast<std::int64_t>(std::max(1, engine::defaultThreads() / worldSize)));
}

LocalRanks::~LocalRanks() {
    for (auto& c : children_) {
        if (c.exited) continue;
        ::kill(c.pid, SIGKILL);
        while (::waitpid(c.pid, &c.status, 0) < 0 && errno == EINTR) {
        }
    }
}

void LocalRanks::start(int port) {
    const pid_t parent = ::getpid();
    // This executable (the GUI is the CLI too), unless the tests name the CLI they built.
    const char* override = std::getenv("RUNBOARD_RANK_EXE");
    // The real path, so the ranks are named runboard in ps and pgrep (not "exe").
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    const std::string exe = override != nullptr && *override ? override
                            : ec                             ? std::string("/proc/self/exe")
                                                             : self.string();
    for (int rank = 1; rank < world_; ++rank) {
        // Everything the child needs is built before fork: after it, in a process with other
        // threads, only async-signal-safe calls (prctl, getppid, execv, _exit).
        std::vector<std::string> args{"runboard",      "train",
                                      "--config",      configFile_,
                                      "--world-size",  std::to_string(world_),
                                      "--rank",        std::to_string(rank),
                                      "--master-addr", "127.0.0.1",
                                      "--master-port", std::to_string(port)};
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        const pid_t pid = ::fork();
        if (pid < 0)
            throw std::runtime_error("cannot start data-parallel rank " + std::to_string(rank) +
                                     ": " + std::strerror(errno));
        if (pid == 0) {
            // A Ctrl-C before the rank has its handler must not kill it: rank 0 has the stop too,
            // and the allreduce brings it to every rank (ignored stays ignored across exec, until
            // the rank's InterruptGuard takes SIGINT over).
            ::signal(SIGINT, SIG_IGN);
            if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(1);
            ::execv(exe.c_str(), argv.data());
            ::_exit(127);
        }
        children_.push_back({rank, pid, false, 0});
    }
}

void LocalRanks::poll() {
    for (auto& c : children_) {
        if (c.exited) continue;
        int status = 0;
        const pid_t r = ::waitpid(c.pid, &status, WNOHANG);
        if (r == c.pid || (r < 0 && errno == ECHILD)) {
            c.exited = true;
            c.status = r == c.pid ? status : 0;
        }
    }
}

std::string LocalRanks::describeFailures() const {
    for (const auto& c : children_) {
        if (!c.exited) continue;
        const std::string who =
            "rank " + std::to_string(c.rank) + " (pid " + std::to_string(c.pid) + ")";
        if (WIFSIGNALED(c.status)) {
            const int sig = WTERMSIG(c.status);
            return who + " was killed by signal " + std::to_string(sig) + " (" + ::strsignal(sig) +
                   ")";
        }
        // 130 (stopped by request) and 5 (diverged) end every rank with the run: not a failure.
        const int code = WIFEXITED(c.status) ? WEXITSTATUS(c.status) : 0;
        if (code != 0 && code != 130 && code != 5)
            return who + " exited with code " + std::to_string(WEXITSTATUS(c.status)) +
                   " (its error went to stderr, marked [rank " + std::to_string(c.rank) + "])";
    }
    return {};
}

std::string LocalRanks::explainFailure(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (true) {
        poll();
        if (auto why = describeFailures(); !why.empty()) return why;
        if (std::chrono::steady_clock::now() >= deadline) return {};
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::string LocalRanks::finish(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        poll();
        bool running = false;
        for (const auto& c : children_)
            running = running || !c.exited;
        if (!running || std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::string why = describeFailures();
    for (auto& c : children_) {
        if (c.exited) continue;
        if (why.empty())
            why = "rank " + std::to_string(c.rank) + " (pid " + std::to_string(c.pid) +
                  ") had not ended " + std::to_string(timeout.count() / 1000) +
                  " s after rank 0 and was killed";
        ::kill(c.pid, SIGKILL);
        while (::waitpid(c.pid, &c.status, 0) < 0 && errno == EINTR) {
        }
        c.exited = true;
    }
    return why;
}

}  // namespace runboard::app
