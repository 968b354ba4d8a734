// GUI tests of the main window, offscreen: runs through the window's own API train, update live,
// stop and finish; rename, notes and delete go through their dialogs; sweeps run on the engine
// thread; competition mode hides the private part in every view.

#include "app/main_window.h"

#include <gtest/gtest.h>

#include <QAbstractAxis>
#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QDialogButtonBox>
#include <QInputDialog>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <QTimer>
#include <QValueAxis>
#include <cmath>
#include <filesystem>
#include <functional>
#include <tuple>

#include "app/run_launcher.h"
#include "engine/analysis/leaderboard.h"
#include "storage/leaderboard.h"
#include "storage/profile_store.h"
#include "storage/sweep_store.h"
#include "storage/writer.h"
#include "support/dialogs.h"
#include "support/fixtures.h"
#include "support/predictions.h"
#include "widgets/curves_panels.h"
#include "widgets/curves_view.h"
#include "widgets/gallery_view.h"
#include "widgets/leaderboard_view.h"
#include "widgets/lr_finder_view.h"
#include "widgets/new_run_dialog.h"
#include "widgets/plot/plot_tools.h"
#include "widgets/profile_models.h"
#include "widgets/profile_view.h"
#include "widgets/runs_model.h"
#include "widgets/sweeps_model.h"

using namespace runboard;
using runboard::test::actionNamed;
using runboard::test::answerNextDialog;

TEST(MainWindow, TrainsATinyRunEndToEndWithLiveUpdates) {
    test::TempDir dir;
    test::writeFakeFashionMnist(dir.path() / "data", 900, 100);
    app::MainWindow window(QString::fromStdString(dir.file("gui.db")));
    window.resize(1200, 800);
    window.show();
    QSignalSpy progress(window.training(), &app::TrainingController::progress);
    QSignalSpy ended(window.training(), &app::TrainingController::ended);
    config::Config c = config::Config::defaults();
    c.set("data.dir", (dir.path() / "data").string());
    c.set("data.val_size", std::int64_t{100});
    c.set("epochs", std::int64_t{3});
    c.set("batch_size", std::int64_t{20});
    c.set("model", std::string("mlp"));
    c.set("precision", std::string("fp32"));
    auto first = window.launcher()->startRun(c, "tiny");
    auto second = window.launcher()->startRun(c, "queued second");
    ASSERT_TRUE(first && second);
    EXPECT_EQ(window.training()->queued(), 1);
    // The queued run is in the table at once, as 'queued'.
    ASSERT_TRUE(QTest::qWaitFor([&] { return window.runsModel()->rowCount() == 2; }, 5000));
    ASSERT_TRUE(QTest::qWaitFor([&] { return ended.count() == 2; }, 120'000));
    EXPECT_GT(progress.count(), 0) << "live progress arrived";
    for (const auto& args : ended)
        EXPECT_EQ(args.at(0).value<app::RunEnded>().status, storage::RunStatus::Finished);
    // The table shows both finished, with their accuracy, after the next poll.
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
            const int row = window.runsModel()->rowOf(first.value());
            return row >= 0 &&
                   window.runsModel()->run(row).run.status == storage::RunStatus::Finished &&
                   window.runsModel()->run(window.runsModel()->rowOf(second.value())).run.status ==
                       storage::RunStatus::Finished;
        },
        5000));
    EXPECT_FALSE(window.runsModel()
                     ->data(window.runsModel()->index(window.runsModel()->rowOf(first.value()),
                                                      widgets::RunsModel::TestAccuracyColumn))
                     .isNull());
    // Selecting the run draws its loss curve.
    window.selectRuns({first.value()});
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
            const auto& series = window.curves()->snapshot().series;
            return series.size() == 1 && series.front().run == first.value();
        },
        5000));
    EXPECT_EQ(window.curves()->snapshot().series.front().total, 3 * (800 / 20));
    // Two panels by default, sharing the selection.
    ASSERT_EQ(window.panels()->panels().size(), 2u);
    EXPECT_EQ(window.panels()->panels()[1]->metric(), "val/accuracy");

    // The epoch axis puts the 120 steps of three epochs on [0, 3].
    auto maxX = [&] {
        double m = -1;
        for (const auto& p : window.curves()->snapshot().series.front().raw)
            m = std::max(m, p.x);
        return m;
    };
    window.panels()->setXAxis(widgets::XAxis::Epoch);
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
            const auto& snap = window.curves()->snapshot();
            return snap.xAxis == widgets::XAxis::Epoch && !snap.series.empty();
        },
        5000));
    EXPECT_NEAR(maxX(), 3.0, 1e-9);
    EXPECT_EQ(window.curves()->plot().xTitle(), "epoch");
    // Wall time: seconds since the series' first point, increasing with the steps.
    window.panels()->setXAxis(widgets::XAxis::WallTime);
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
            const auto& snap = window.curves()->snapshot();
            return snap.xAxis == widgets::XAxis::WallTime && !snap.series.empty();
        },
        5000));
    const auto& raw = window.curves()->snapshot().series.front().raw;
    EXPECT_EQ(raw.front().x, 0.0);
    EXPECT_GT(maxX(), 0.0);
    EXPECT_LT(maxX(), 120.0);
    for (std::size_t i = 1; i < raw.size(); ++i)
        EXPECT_LE(raw[i - 1].x, raw[i].x);

    // The Predictions tab: the run's final test set with the images of its data directory, and
    // its three validation epochs on the slider.
    auto* tabs = window.findChild<QTabWidget*>();
    tabs->setCurrentWidget(window.gallery());
    ASSERT_TRUE(
        QTest::qWaitFor([&] { return window.gallery()->model()->rowCount() == 100; }, 10'000))
        << window.gallery()->summaryText().toStdString();
    EXPECT_EQ(window.gallery()->snapshot().split, "test");
    EXPECT_EQ(window.gallery()->snapshot().valEpochs, (std::vector<std::int64_t>{1, 2, 3}));
    EXPECT_TRUE(window.gallery()->snapshot().imagesError.isEmpty());
    EXPECT_FALSE(
        window.gallery()
            ->model()
            ->data(window.gallery()->model()->index(0), widgets::PredictionsModel::ImageRole)
            .value<QImage>()
            .isNull());
}

TEST(MainWindow, StopEndsTheRunAsStopped) {
    test::TempDir dir;
    test::writeFakeFashionMnist(dir.path() / "data", 3000, 100);
    app::MainWindow window(QString::fromStdString(dir.file("stop.db")));
    QSignalSpy progress(window.training(), &app::TrainingController::progress);
    QSignalSpy ended(window.training(), &app::TrainingController::ended);
    config::Config c = config::Config::defaults();
    c.set("data.dir", (dir.path() / "data").string());
    c.set("data.val_size", std::int64_t{100});
    c.set("epochs", std::int64_t{200});
    c.set("model", std::string("mlp"));
    ASSERT_TRUE(window.launcher()->startRun(c, "long"));
    ASSERT_TRUE(QTest::qWaitFor([&] { return progress.count() > 0; }, 30'000));
    window.training()->stopCurrent();
    ASSERT_TRUE(QTest::qWaitFor([&] { return ended.count() == 1; }, 10'000));
    EXPECT_EQ(ended.front().at(0).value<app::RunEnded>().status, storage::RunStatus::Stopped);
}

TEST(MainWindow, RenameNotesAndDeleteGoThroughTheirDialogs) {
    test::TempDir dir;
    const std::string db = dir.file("edit.db");
    storage::RunId keep = 0, doomed = 0;
    std::filesystem::path doomedFiles;
    {
        auto store = storage::RunStore::open(db);
        auto a =
            store->createRun({"first", std::nullopt, "{}", 0, {}, storage::RunStatus::Finished});
        auto b =
            store->createRun({"second", std::nullopt, "{}", 0, {}, storage::RunStatus::Finished});
        ASSERT_TRUE(a && b);
        keep = a->id;
        doomed = b->id;
        a->lock.release();
        b->lock.release();
        doomedFiles = storage::runFilesDir(db, doomed);
        std::filesystem::create_directories(doomedFiles);
        test::writeFile((doomedFiles / "step-1.pt").string(), "checkpoint");
    }
    app::MainWindow window(QString::fromStdString(db));
    window.show();
    ASSERT_TRUE(QTest::qWaitFor([&] { return window.runsModel()->rowCount() == 2; }, 5000));
    auto runNamed = [&](storage::RunId id) {
        const int row = window.runsModel()->rowOf(id);
        return row < 0 ? std::string() : window.runsModel()->run(row).run.name;
    };

    // Rename: the input dialog starts with the current name; the new one is trimmed and stored.
    window.selectRuns({keep});
    QString offered;
    answerNextDialog([&](QWidget* dialog) {
        auto* input = qobject_cast<QInputDialog*>(dialog);
        ASSERT_NE(input, nullptr);
        offered = input->textValue();
        input->setTextValue(QStringLiteral("  baseline  "));
        input->accept();
    });
    actionNamed(window, QStringLiteral("&Rename..."))->trigger();
    EXPECT_EQ(offered, "first");
    ASSERT_TRUE(QTest::qWaitFor([&] { return runNamed(keep) == "baseline"; }, 5000));

    // Cancelling changes nothing.
    answerNextDialog([](QWidget* dialog) { qobject_cast<QDialog*>(dialog)->reject(); });
    actionNamed(window, QStringLiteral("&Rename..."))->trigger();
    EXPECT_EQ(storage::RunStore::open(db)->run(keep)->name, "baseline");

    // Notes: multi-line text, stored as typed.
    answerNextDialog([](QWidget* dialog) {
        auto* input = qobject_cast<QInputDialog*>(dialog);
        input->setTextValue(QStringLiteral("lr too high?\nretry with 0.05"));
        input->accept();
    });
    actionNamed(window, QStringLiteral("&Notes..."))->trigger();
    // Edits are written off the GUI thread.
    EXPECT_TRUE(QTest::qWaitFor(
        [&] {
            return storage::RunStore::open(db)->run(keep)->notes == "lr too high?\nretry with 0.05";
        },
        5000));

    // Delete asks first: "No" keeps the run and its files.
    window.selectRuns({doomed});
    QString question;
    answerNextDialog([&](QWidget* dialog) {
        auto* box = qobject_cast<QMessageBox*>(dialog);
        ASSERT_NE(box, nullptr);
        question = box->text();
        box->button(QMessageBox::No)->click();
    });
    actionNamed(window, QStringLiteral("&Delete..."))->trigger();
    EXPECT_TRUE(question.contains("checkpoint files")) << question.toStdString();
    EXPECT_TRUE(storage::RunStore::open(db)->run(doomed));
    EXPECT_TRUE(std::filesystem::exists(doomedFiles));

    // "Yes" removes its rows and its checkpoint files; the other run stays.
    answerNextDialog([](QWidget* dialog) {
        qobject_cast<QMessageBox*>(dialog)->button(QMessageBox::Yes)->click();
    });
    actionNamed(window, QStringLiteral("&Delete..."))->trigger();
    EXPECT_TRUE(QTest::qWaitFor([&] { return !storage::RunStore::open(db)->run(doomed); }, 5000));
    EXPECT_EQ(storage::RunStore::open(db)->run(doomed).error().kind, storage::ErrorKind::NotFound);
    EXPECT_FALSE(std::filesystem::exists(doomedFiles));
    ASSERT_TRUE(QTest::qWaitFor([&] { return window.runsModel()->rowCount() == 1; }, 5000));
    EXPECT_EQ(runNamed(keep), "baseline");
}

TEST(MainWindow, DeletingARunThatStillTrainsIsRefusedWithAMessage) {
    test::TempDir dir;
    const std::string db = dir.file("busy.db");
    auto store = storage::RunStore::open(db);
    // Held by this process, as by a CLI run in another one.
    auto run = store->createRun({"busy", std::nullopt, "{}", 0, {}, storage::RunStatus::Running});
    ASSERT_TRUE(run);
    app::MainWindow window(QString::fromStdString(db));
    window.show();
    ASSERT_TRUE(QTest::qWaitFor([&] { return window.runsModel()->rowCount() == 1; }, 5000));
    window.selectRuns({run->id});
    QString warning;
    answerNextDialog([&](QWidget* dialog) {
        qobject_cast<QMessageBox*>(dialog)->button(QMessageBox::Yes)->click();
        answerNextDialog([&](QWidget* next) {
            auto* box = qobject_cast<QMessageBox*>(next);
            ASSERT_NE(box, nullptr);
            warning = box->text();
            box->accept();
        });
    });
    actionNamed(window, QStringLiteral("&Delete..."))->trigger();
    // The delete runs off the GUI thread; its refusal comes back as a warning.
    ASSERT_TRUE(QTest::qWaitFor([&] { return !warning.isEmpty(); }, 15'000));
    EXPECT_TRUE(warning.contains("still running")) << warning.toStdString();
    EXPECT_TRUE(store->run(run->id));
}

TEST(MainWindow, SweepsOnTheEngineThreadLiveThenStoredAndStartsARunFromIt) {
    test::TempDir dir;
    test::writeFakeFashionMnist(dir.path() / "data", 600, 100);
    app::MainWindow window(QString::fromStdString(dir.file("sweep.db")));
    window.resize(1200, 800);
    window.show();
    QSignalSpy points(window.training(), &app::TrainingController::sweepPoint);
    QSignalSpy ended(window.training(), &app::TrainingController::sweepEnded);
    config::Config c = test::tinyConfig(dir.path() / "data", "mlp");
    c.set("batch_size", std::int64_t{20});
    sweep::Options o;
    o.start = 1e-5;
    o.end = 100;
    o.steps = 40;
    window.launcher()->startSweep(c, o, "tiny sweep");
    EXPECT_TRUE(window.training()->busy());
    ASSERT_TRUE(QTest::qWaitFor([&] { return ended.count() == 1; }, 60'000));
    const auto result = ended.front().at(0).value<app::SweepEnded>();
    ASSERT_GT(result.id, 0) << result.message.toStdString();
    EXPECT_TRUE(result.reason == "exploded" || result.reason == "nonfinite")
        << result.reason.toStdString();
    EXPECT_GE(points.count(), 5) << "points arrived live";
    EXPECT_FALSE(window.training()->busy());
    // The view selects and draws the stored sweep.
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
            const auto& curves = window.lrFinder()->snapshot().curves;
            return curves.size() == 1 && curves.front().record.id == result.id;
        },
        5000));
    EXPECT_EQ(window.lrFinder()->liveCount(), 0);
    EXPECT_EQ(window.lrFinder()->snapshot().curves.front().points.size(),
              static_cast<std::size_t>(points.count()));
    // "Start a run with this LR": the New Run dialog, pre-filled with the sweep's config and LR.
    window.lrFinder()->setRule("minimum/10");
    const auto lr = window.lrFinder()->chosenLr();
    ASSERT_TRUE(lr);
    QString lrField, batchField;
    answerNextDialog([&](QWidget* dialog) {
        auto* d = qobject_cast<widgets::NewRunDialog*>(dialog);
        ASSERT_NE(d, nullptr);
        lrField = qobject_cast<QLineEdit*>(d->editor("lr"))->text();
        batchField = QString::number(qobject_cast<QSpinBox*>(d->editor("batch_size"))->value());
        d->reject();
    });
    for (auto* b : window.lrFinder()->findChildren<QPushButton*>())
        if (b->text().startsWith("Start a run")) b->click();
    EXPECT_NEAR(lrField.toDouble(), *lr, *lr * 1e-5) << lrField.toStdString();
    EXPECT_EQ(batchField, "20");
}

TEST(MainWindow, CompetitionModeHidesThePrivatePartInEveryView) {
    test::TempDir dir;
    const std::string db = dir.file("mode.db");
    storage::RunId id = 0;
    double publicAccuracy = 0;
    {
        auto store = storage::RunStore::open(db);
        auto run = store->createRun({"r", std::nullopt, "{}", 0, {}, storage::RunStatus::Running});
        id = run->id;
        auto writer = storage::Writer::open(db);
        const auto wrong = [](std::int64_t i) { return i % 3 == 0; };
        test::queueTestPredictions(*writer.value(), id, 300, wrong);
        double right = 0, n = 0;
        for (std::int64_t i = 0; i < 300; ++i)
            if (analysis::isPublic(i, analysis::SplitOptions{})) {
                n += 1;
                right += wrong(i) ? 0 : 1;
            }
        publicAccuracy = right / n;
        writer.value()->metric(id, writer.value()->key("test/accuracy"), 10, 0.5, 0);
        writer.value()->metric(id, writer.value()->key("train/loss"), 10, 1.0, 0);
        ASSERT_TRUE(writer.value()->flush());
        run->lock.release();
        ASSERT_TRUE(store->setStatus(id, storage::RunStatus::Finished));
    }
    app::MainWindow window(QString::fromStdString(db));
    window.show();
    auto testAccuracy = [&] {
        const int row = window.runsModel()->rowOf(id);
        if (row < 0) return -1.0;
        const auto& m = window.runsModel()->run(row).metrics;
        auto it = m.find("test/accuracy");
        return it == m.end() ? -1.0 : it->second;
    };
    ASSERT_TRUE(QTest::qWaitFor([&] { return testAccuracy() == 0.5; }, 5000));
    window.selectRuns({id});
    ASSERT_TRUE(QTest::qWaitFor(
        [&] { return window.curves()->snapshot().metrics.contains("test/accuracy"); }, 5000));

    // On: the box in the leaderboard tab (a hidden tab loads nothing).
    auto* tabs = window.findChild<QTabWidget*>();
    tabs->setCurrentWidget(window.leaderboard());
    auto* box = window.leaderboard()->findChild<QCheckBox*>();
    ASSERT_NE(box, nullptr);
    ASSERT_TRUE(
        QTest::qWaitFor([&] { return window.leaderboard()->model()->entryCount() == 1; }, 5000));
    box->click();
    ASSERT_TRUE(QTest::qWaitFor([&] { return testAccuracy() == publicAccuracy; }, 5000))
        << "the runs table shows the public part";
    window.curves()->requestRefresh();
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
            const auto& m = window.curves()->snapshot().metrics;
            return !m.isEmpty() && !m.contains("test/accuracy");
        },
        5000));
    ASSERT_TRUE(
        QTest::qWaitFor([&] { return window.leaderboard()->snapshot().privateHidden; }, 5000));
    EXPECT_EQ(window.leaderboard()->model()->board().rows.front().entry.privateScore, std::nullopt);
    // The prediction gallery shows the test set's public part only.
    int publicCount = 0;
    for (std::int64_t i = 0; i < 300; ++i)
        publicCount += analysis::isPublic(i, analysis::SplitOptions{});
    tabs->setCurrentWidget(window.gallery());
    ASSERT_TRUE(
        QTest::qWaitFor([&] { return window.gallery()->model()->rowCount() == publicCount; }, 5000))
        << window.gallery()->summaryText().toStdString();
    EXPECT_TRUE(window.gallery()->snapshot().publicOnly);
    EXPECT_TRUE(box->isChecked());

    // Off asks first; "No" keeps it hidden, "Yes" reveals.
    tabs->setCurrentWidget(window.leaderboard());
    answerNextDialog(
        [](QWidget* d) { qobject_cast<QMessageBox*>(d)->button(QMessageBox::No)->click(); });
    box->click();
    ASSERT_TRUE(QTest::qWaitFor([&] { return box->isChecked(); }, 5000));
    EXPECT_TRUE(storage::competitionMode(storage::RunStore::open(db)->connection()).value());
    answerNextDialog(
        [](QWidget* d) { qobject_cast<QMessageBox*>(d)->button(QMessageBox::Yes)->click(); });
    box->click();
    ASSERT_TRUE(QTest::qWaitFor([&] { return testAccuracy() == 0.5; }, 5000));
    EXPECT_FALSE(storage::competitionMode(storage::RunStore::open(db)->connection()).value());
}

TEST(MainWindow, OpeningAnotherDatabaseWhileARunTrainsEndsItInTheStatusBar) {
    test::TempDir dir;
    test::writeFakeFashionMnist(dir.path() / "data", 900, 100);
    app::MainWindow window(QString::fromStdString(dir.file("first.db")));
    window.show();
    QSignalSpy started(window.training(), &app::TrainingController::started);
    QSignalSpy ended(window.training(), &app::TrainingController::ended);
    config::Config c = test::tinyConfig(dir.path() / "data", "mlp");
    c.set("epochs", std::int64_t{500});  // still training when the other database opens
    const auto id = window.launcher()->startRun(c, "long");
    ASSERT_TRUE(id);
    ASSERT_TRUE(QTest::qWaitFor([&] { return started.count() == 1; }, 60'000));
    auto* progress = window.findChild<QProgressBar*>();
    ASSERT_NE(progress, nullptr);
    ASSERT_TRUE(QTest::qWaitFor([&] { return progress->isVisible(); }, 30'000));

    window.openDatabase(QString::fromStdString(dir.file("second.db")));
    // The old worker's last word (its run stopped) is delivered during the switch, so nothing
    // still looks like training.
    ASSERT_EQ(ended.count(), 1);
    EXPECT_EQ(ended.front().at(0).value<app::RunEnded>().id, id.value());
    EXPECT_FALSE(window.training()->busy());
    EXPECT_FALSE(progress->isVisible());
    for (auto* button : window.statusBar()->findChildren<QPushButton*>())
        if (button->text() == "Stop") {
            EXPECT_FALSE(button->isEnabled());
        }
}

// Run > Resume (issue 18): disabled with the reason as its tooltip until the selected run can be
// resumed; a stopped run resumes on the engine thread to its end, keeping its id; once finished
// it says there is nothing to resume. The runs table counts the resume.
TEST(MainWindow, ResumeContinuesAStoppedRunAndIsOfferedOnlyWhenItCan) {
    test::TempDir dir;
    test::writeFakeFashionMnist(dir.path() / "data", 3000, 100);
    app::MainWindow window(QString::fromStdString(dir.file("resume.db")));
    QAction* resume = nullptr;
    for (QAction* a : window.findChildren<QAction*>())
        if (a->text() == QStringLiteral("Res&ume")) resume = a;
    ASSERT_NE(resume, nullptr);
    EXPECT_FALSE(resume->isEnabled());
    EXPECT_TRUE(resume->toolTip().startsWith("Select one")) << resume->toolTip().toStdString();

    QSignalSpy progress(window.training(), &app::TrainingController::progress);
    QSignalSpy ended(window.training(), &app::TrainingController::ended);
    config::Config c = config::Config::defaults();
    c.set("data.dir", (dir.path() / "data").string());
    c.set("data.val_size", std::int64_t{100});
    c.set("epochs", std::int64_t{12});
    c.set("model", std::string("mlp"));
    auto id = window.launcher()->startRun(c, "stopped");
    ASSERT_TRUE(id);
    ASSERT_TRUE(QTest::qWaitFor([&] { return progress.count() > 0; }, 30'000));
    window.selectRuns({*id});
    EXPECT_FALSE(resume->isEnabled());  // it is training: its lock is held
    EXPECT_TRUE(resume->toolTip().contains("still running")) << resume->toolTip().toStdString();
    window.training()->stopCurrent();
    ASSERT_TRUE(QTest::qWaitFor([&] { return ended.count() == 1; }, 10'000));
    ASSERT_EQ(ended.front().at(0).value<app::RunEnded>().status, storage::RunStatus::Stopped);
    window.selectRuns({*id});
    ASSERT_TRUE(QTest::qWaitFor([&] { return resume->isEnabled(); }, 5'000))
        << resume->toolTip().toStdString();

    const qint64 stoppedAt = progress.back().at(0).value<app::RunProgress>().step;
    progress.clear();
    resume->trigger();
    ASSERT_TRUE(QTest::qWaitFor([&] { return ended.count() == 2; }, 60'000));
    const auto last = ended.back().at(0).value<app::RunEnded>();
    EXPECT_EQ(last.id, *id);
    EXPECT_EQ(last.status, storage::RunStatus::Finished) << last.message.toStdString();
    ASSERT_FALSE(progress.isEmpty());
    // Progress continued from the resumed step, not from 0.
    EXPECT_GE(progress.front().at(0).value<app::RunProgress>().step, stoppedAt);
    window.selectRuns({*id});
    ASSERT_TRUE(QTest::qWaitFor([&] { return !resume->isEnabled(); }, 5'000));
    EXPECT_TRUE(resume->toolTip().contains("nothing to resume")) << resume->toolTip().toStdString();
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
            const int row = window.runsModel()->rowOf(*id);
            return row >= 0 && window.runsModel()
                                   ->data(window.runsModel()->index(row, 0))
                                   .toString()
                                   .endsWith(QString::fromUtf8("\u21bb1"));
        },
        5'000));
}

// The Profile tab's "Profile next 20 steps" reaches the engine thread of the run it shows: the
// window is recorded, stored with the run, and shown once the run ends.
TEST(MainWindow, ProfileNextStepsRecordsAWindowOfTheTrainingRun) {
    test::TempDir dir;
    test::writeFakeFashionMnist(dir.path() / "data", 3000, 100);
    const std::string db = dir.file("profile.db");
    app::MainWindow window(QString::fromStdString(db));
    QSignalSpy progress(window.training(), &app::TrainingController::progress);
    QSignalSpy ended(window.training(), &app::TrainingController::ended);
    config::Config c = config::Config::defaults();
    c.set("data.dir", (dir.path() / "data").string());
    c.set("data.val_size", std::int64_t{100});
    c.set("epochs", std::int64_t{200});
    c.set("model", std::string("mlp"));
    c.set("checks.enabled", false);
    ASSERT_TRUE(window.launcher()->startRun(c, "long"));
    ASSERT_TRUE(QTest::qWaitFor([&] { return progress.count() > 0; }, 30'000));
    const storage::RunId run = window.training()->currentRun();
    window.show();  // views load while visible
    window.selectRuns({run});
    window.findChild<QTabWidget*>()->setCurrentWidget(window.profile());
    auto* button = window.profile()->profileButton();
    ASSERT_TRUE(QTest::qWaitFor([&] { return button->isEnabled(); }, 10'000));
    button->click();
    auto store = storage::RunStore::open(db);
    ASSERT_TRUE(store);
    ASSERT_TRUE(QTest::qWaitFor(
        [&] { return !storage::profileWindows(store->connection(), run).value().empty(); },
        30'000));
    window.training()->stopCurrent();
    ASSERT_TRUE(QTest::qWaitFor([&] { return ended.count() == 1; }, 10'000));
    const auto windows = storage::profileWindows(store->connection(), run).value();
    ASSERT_EQ(windows.size(), 1u);
    // 20 steps, or fewer when the epoch ended first (validation is never profiled as training).
    EXPECT_GE(windows[0].steps, 1);
    EXPECT_LE(windows[0].steps, widgets::ProfileView::kProfileSteps);
    EXPECT_TRUE(std::filesystem::exists(windows[0].tracePath));
    ASSERT_TRUE(
        QTest::qWaitFor([&] { return window.profile()->opModel()->rowCount() > 0; }, 10'000));
    EXPECT_FALSE(button->isEnabled());  // the run ended
}
