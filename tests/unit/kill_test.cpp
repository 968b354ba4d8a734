// A process writing metrics is SIGKILLed. Afterwards the database passes integrity_check, holds
// every row queued well before the kill (the writer commits at least every 250 ms), and the run
// shows as interrupted.

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "storage/run_store.h"
#include "support/fixtures.h"

using namespace runboard::storage;
using Clock = std::chrono::steady_clock;

TEST(Kill, SigkillLosesNoCommittedRowAndMarksRunInterrupted) {
    runboard::test::TempDir dir;
    const std::string db = dir.file("kill.db");
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::string exe = KILL_CHILD_PATH;
    std::vector<char*> argv = {exe.data(), const_cast<char*>(db.c_str()), nullptr};
    pid_t pid = 0;
    ASSERT_EQ(posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);

    FILE* out = fdopen(fds[0], "r");
    ASSERT_NE(out, nullptr);
    std::vector<std::pair<Clock::time_point, long long>> seen;
    char line[64];
    long long runId = -1;
    Clock::time_point first{};
    while (std::fgets(line, sizeof line, out) != nullptr) {
        if (runId < 0) {
            ASSERT_EQ(std::sscanf(line, "run %lld", &runId), 1);
            first = Clock::now();
            continue;
        }
        seen.emplace_back(Clock::now(), std::atoll(line));
        if (Clock::now() - first > std::chrono::milliseconds(1500)) break;
    }
    const auto killedAt = Clock::now();
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    waitpid(pid, &status, 0);
    std::fclose(out);
    ASSERT_TRUE(WIFSIGNALED(status));
    ASSERT_GT(seen.size(), 100u);

    // Rows queued at least 500 ms before the kill: 250 ms interval plus the commit itself.
    long long mustHave = -1;
    for (const auto& [t, step] : seen)
        if (killedAt - t >= std::chrono::milliseconds(500)) mustHave = step;
    ASSERT_GE(mustHave, 0);

    auto check = Connection::open(db, OpenMode::ReadWrite);
    ASSERT_TRUE(check);
    auto integrity = check->prepare("PRAGMA integrity_check");
    ASSERT_TRUE(integrity->step().value());
    EXPECT_EQ(integrity->columnText(0), "ok");
    auto count = check->prepare("SELECT count(*), max(step) FROM metrics WHERE step <= ?");
    count->bind(1, static_cast<std::int64_t>(mustHave));
    ASSERT_TRUE(count->step().value());
    EXPECT_EQ(count->columnInt64(0), mustHave + 1)
        << "rows 0.." << mustHave << " must all be stored";

    auto store = RunStore::open(db);
    ASSERT_TRUE(store) << store.error().message;
    auto run = store->run(runId);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->status, RunStatus::Interrupted);
}
