// Hostile configs through the real binary (issue 13, item 6): a number beyond the double range in
// a config file was an uncaught nlohmann exception (exit 134 from std::terminate). Every config
// problem is a usage error (exit 2) naming the file and the key, and leaves no database behind.

#include <gtest/gtest.h>

#include <filesystem>

#include "support/cli_run.h"
#include "support/fixtures.h"

using runboard::test::Output;
using runboard::test::runCli;
using runboard::test::TempDir;

TEST(CliConfig, OverflowingNumbersAndBadSetValuesExitTwoInWords) {
    TempDir dir;
    const std::string db = dir.file("runs.db");
    runboard::test::writeFile(dir.file("epochs.json"), "{\"model\": \"mlp\", \"epochs\": 1e400}");
    runboard::test::writeFile(dir.file("lr.json"), "{\"model\": \"mlp\", \"lr\": -1e999}");
    struct Case {
        std::vector<std::string> args;
        std::vector<std::string> words;
    };
    for (const std::string command : {"train", "lr-find", "check"}) {
        for (const Case& k : std::initializer_list<Case>{
                 {{"--config", dir.file("epochs.json")},
                  {dir.file("epochs.json"), "'epochs'", "1e400", "out of range"}},
                 {{"--config", dir.file("lr.json")},
                  {dir.file("lr.json"), "'lr'", "-1e999", "out of range"}},
                 {{"--set", "lr=-1e999"}, {"'lr' is out of range: '-1e999'"}},
                 {{"--set", "epochs=99999999999999999999"}, {"'epochs' is out of range"}},
                 {{"--set", "lr=nan"}, {"'lr' must be finite, got nan"}},
                 {{"--set", "\x1b[2Jlr=1"}, {"unknown config key '\\x1b[2Jlr'"}}}) {
            std::vector<std::string> args = {command, "--db", db};
            args.insert(args.end(), k.args.begin(), k.args.end());
            const Output o = runCli(args, dir);
            const std::string what = command + " " + k.args.back();
            EXPECT_EQ(o.code, 2) << what << "\n" << o.err;
            for (const std::string& w : k.words)
                EXPECT_NE(o.err.find(w), std::string::npos) << what << ": " << w << "\n" << o.err;
            EXPECT_EQ(o.err.find('\x1b'), std::string::npos) << what;
        }
    }
    EXPECT_FALSE(std::filesystem::exists(db));
}
