#pragma once
// Runs the real `runboard` binary (RUNBOARD_EXE, a compile definition of the CLI tests) as a user
// does: stdout, stderr and the exit code; and golden files for help texts.

#include <gtest/gtest.h>
#include <sys/wait.h>

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

inline void expectGolden(const std::string& name, const std::string& actual) {
    const std::string path = std::string(GOLDEN_DIR) + "/" + name;
    if (std::getenv("RUNBOARD_UPDATE_GOLDEN") != nullptr) writeFile(path, actual);
    EXPECT_EQ(actual, readFile(path))
        << "golden file " << path << " differs (RUNBOARD_UPDATE_GOLDEN=1 rewrites it)";
}

}  // namespace runboard::test
