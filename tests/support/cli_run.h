#pragma once
// Runs the real `runboard` binary (RUNBOARD_EXE, a compile definition of the CLI tests) as a user
// does: stdout, stderr and the exit code; and golden files for help texts.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "support/fixtures.h"

namespace runboard::test {

struct Output {
    int code = -1;
    std::string out, err;
};

inline std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

inline Output runCli(const std::vector<std::string>& args, const TempDir& dir) {
    std::string cmd = quote(RUNBOARD_EXE);
    for (const auto& a : args) {
        cmd += ' ';  // (not `" " + quote(a)`: GCC 12 reports a false -Wrestrict there)
        cmd += quote(a);
    }
    const std::string out = dir.file("stdout.txt"), err = dir.file("stderr.txt");
    cmd.append(" > ").append(quote(out)).append(" 2> ").append(quote(err)).append(" < /dev/null");
    const int status = std::system(cmd.c_str());
    Output o;
    o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = readFile(out);
    o.err = readFile(err);
    return o;
}

// Starts `runboard ARGS...` in the background (stdout to /dev/null, stderr to errFile), for
// tests that signal a running command; -1 when it could not be started. `ownGroup`: in a process
// group of its own, as a shell starts a job, so that a Ctrl-C can be sent to all it starts.
inline pid_t spawnCli(std::vector<std::string> args, const std::string& errFile,
                      bool ownGroup = false) {
    std::string exe = RUNBOARD_EXE;
    args.insert(args.begin(), exe);
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    if (ownGroup) {
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attr, 0);
    }
    pid_t pid = 0;
    if (posix_spawn(&pid, exe.c_str(), &actions, &attr, argv.data(), environ) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return pid;
}

inline void expectGolden(const std::string& name, const std::string& actual) {
    const std::string path = std::string(GOLDEN_DIR) + "/" + name;
    if (std::getenv("RUNBOARD_UPDATE_GOLDEN") != nullptr) writeFile(path, actual);
    EXPECT_EQ(actual, readFile(path))
        << "golden file " << path << " differs (RUNBOARD_UPDATE_GOLDEN=1 rewrites it)";
}

}  // namespace runboard::test
