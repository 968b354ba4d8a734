// Data-parallel from the GUI (issue 19): the New Run dialog's Processes field, and a run queued
// with ddp.world_size = 2 trained by the engine thread as rank 0 with a `runboard train --rank 1`
// child, stopped by Run > Stop on both ranks.

#include <gtest/gtest.h>
#include <unistd.h>

#include <QLabel>
#include <QSignalSpy>
#include <QTest>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/main_window.h"
#include "app/run_launcher.h"
#include "app/training_worker.h"
#include "storage/run_store.h"
#include "support/fixtures.h"
#include "widgets/new_run_dialog.h"

using namespace runboard;

namespace {

config::Config twoRanks(const std::filesystem::path& data, std::int64_t epochs) {
    config::Config c = config::Config::defaults();
    c.set("data.dir", data.string());
    c.set("data.val_size", std::int64_t{100});
    c.set("epochs", epochs);
    c.set("batch_size", std::int64_t{20});
    c.set("model", std::string("mlp"));
    c.set("precision", std::string("fp32"));
    c.set("checks.enabled", false);
    c.set("ddp.world_size", std::int64_t{2});
    return c;
}

// The ranks this test process has started and not reaped: none once a run has ended.
int runningChildren() {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        std::ifstream in(e.path() / "stat");
        std::string line;
        if (!std::getline(in, line)) continue;
        const auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(line.substr(close + 2));
        char state = '?';
        int parent = 0;
        rest >> state >> parent;
        n += parent == ::getpid() && state != 'Z' ? 1 : 0;
    }
    return n;
}

class DdpGui : public ::testing::Test {
protected:
    void SetUp() override {
        ::setenv("RUNBOARD_RANK_EXE", RUNBOARD_EXE, 1);
        test::writeFakeFashionMnist(data_, 900, 100);
    }
    void TearDown() override { ::unsetenv("RUNBOARD_RANK_EXE"); }
    test::TempDir dir_;
    std::filesystem::path data_ = dir_.path() / "data";
};

}  // namespace

TEST(DdpGuiDialog, TheNewRunDialogHasAProcessesField) {
    widgets::NewRunDialog dialog(config::Config::defaults(), nullptr);
    bool found = false;
    for (const auto* label : dialog.findChildren<QLabel*>())
        found = found || label->text() == QStringLiteral("Processes (ddp.world_size)");
    EXPECT_TRUE(found);
}

TEST_F(DdpGui, ATwoProcessRunFromTheGuiIsOneRun) {
    app::MainWindow window(QString::fromStdString(dir_.file("gui.db")));
    QSignalSpy ended(window.training(), &app::TrainingController::ended);
    auto id = window.launcher()->startRun(twoRanks(data_, 2), "two ranks");
    ASSERT_TRUE(id);
    ASSERT_TRUE(QTest::qWaitFor([&] { return ended.count() == 1; }, 120'000));
    const auto end = ended.front().at(0).value<app::RunEnded>();
    EXPECT_EQ(end.status, storage::RunStatus::Finished) << end.message.toStdString();
    auto store = storage::RunStore::open(dir_.file("gui.db"), {.create = false, .readOnly = true});
    ASSERT_TRUE(store);
    EXPECT_EQ(store->runs()->size(), 1u);
    EXPECT_FALSE(store->series(id.value(), "time/rank1")->empty()) << "rank 1 trained";
    EXPECT_EQ(runningChildren(), 0);
}

TEST_F(DdpGui, StopEndsBothRanks) {
    app::MainWindow window(QString::fromStdString(dir_.file("stop.db")));
    QSignalSpy progress(window.training(), &app::TrainingController::progress);
    QSignalSpy ended(window.training(), &app::TrainingController::ended);
    ASSERT_TRUE(window.launcher()->startRun(twoRanks(data_, 500), "long"));
    ASSERT_TRUE(QTest::qWaitFor([&] { return progress.count() > 0; }, 60'000));
    window.training()->stopCurrent();
    ASSERT_TRUE(QTest::qWaitFor([&] { return ended.count() == 1; }, 30'000));
    EXPECT_EQ(ended.front().at(0).value<app::RunEnded>().status, storage::RunStatus::Stopped);
    EXPECT_EQ(runningChildren(), 0);
}
