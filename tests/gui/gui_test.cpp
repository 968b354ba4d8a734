// GUI tests, offscreen: the curves chart draws at most about two points per pixel column for a
// long series, marks NaN, the New Run dialog rejects invalid values with the CLI's messages, and
// an end-to-end run through the main window's own API trains, updates live and finishes.

#include <gtest/gtest.h>

#include <QAbstractAxis>
#include <QAbstractItemModelTester>
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
#include <QPushButton>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>
#include <QTimer>
#include <QValueAxis>
#include <cmath>
#include <filesystem>
#include <functional>
#include <tuple>

#include "app/main_window.h"
#include "storage/leaderboard.h"
#include "storage/sweep_store.h"
#include "storage/writer.h"
#include "support/fixtures.h"
#include "support/qt_wait.h"
#include "widgets/curve_layer.h"
#include "widgets/curves_panels.h"
#include "widgets/curves_view.h"
#include "widgets/leaderboard_view.h"
#include "widgets/lr_finder_view.h"
#include "widgets/new_run_dialog.h"
#include "widgets/runs_model.h"
#include "widgets/sweeps_model.h"

using namespace runboard;
using runboard::test::waitFor;

TEST(CurvesView, DrawsAtMostTwoPointsPerPixelAndMarksNaN) {
    test::TempDir dir;
    const std::string db = dir.file("c.db");
    storage::RunId id = 0;
    {
        auto store = storage::RunStore::open(db);
        auto run =
            store->createRun({"long", std::nullopt, "{}", 0, {}, storage::RunStatus::Finished});
        id = run->id;
        auto writer = storage::Writer::open(db);
        const auto key = writer.value()->key("train/loss");
        for (std::int64_t s = 0; s < 200'000; ++s)
            writer.value()->metric(
                id, key, s, s == 123'456 ? NAN : 1.0 / (1.0 + 0.001 * static_cast<double>(s)), 0);
        ASSERT_TRUE(writer.value()->flush());
    }
    widgets::CurvesView view;
    view.resize(900, 500);
    view.show();
    QSignalSpy loaded(&view, &widgets::CurvesView::loaded);
    view.setDatabase(QString::fromStdString(db));
    view.setRuns({{id, "long"}});
    view.setSmoothing(0.0);
    ASSERT_TRUE(waitFor([&] { return !view.snapshot().series.empty(); }, 10'000));
    const int width = view.plotWidth();
    const int drawn = view.drawnPoints();
    EXPECT_GT(drawn, width / 2);
    EXPECT_LE(drawn, 2 * width + 8) << "plot width " << width;
    EXPECT_EQ(view.snapshot().series.front().total, 200'000);
    EXPECT_TRUE(view.legendText().contains("long")) << view.legendText().toStdString();
    EXPECT_TRUE(view.legendText().contains(widgets::runColor(id).name()));
    const auto& markers = view.layer().markers();
    ASSERT_EQ(markers.size(), 1u);
    EXPECT_TRUE(markers.front().pinTop);
    ASSERT_EQ(markers.front().points.size(), 1u);
    EXPECT_EQ(std::llround(markers.front().points.front().x), 123'456);
    // The layer maps the axes' ranges onto the plot area the chart laid out.
    const auto& m = view.layer().mapping();
    EXPECT_EQ(m.area, view.chart()->plotArea());
    EXPECT_DOUBLE_EQ(m.x0,
                     qobject_cast<QValueAxis*>(view.chart()->axes(Qt::Horizontal).front())->min());
    // A rubber-band zoom to the first tenth loads the finer envelope of that range.
    const QRectF area = view.chart()->plotArea();
    view.chart()->zoomIn(QRectF(area.left(), area.top(), area.width() / 10, area.height()));
    ASSERT_TRUE(waitFor([&] { return view.snapshot().maxStep < 30'000; }, 10'000));
    EXPECT_NEAR(view.snapshot().maxStep - view.snapshot().minStep, 20'000, 2'000);
    EXPECT_LE(view.drawnPoints(), 2 * width + 8);
    EXPECT_GT(view.drawnPoints(), width / 2);
    // Double-click resets to the whole run.
    auto* chartView = view.findChild<QChartView*>();
    QTest::mouseDClick(chartView->viewport(), Qt::LeftButton, {}, area.center().toPoint());
    ASSERT_TRUE(waitFor([&] { return view.snapshot().maxStep > 190'000; }, 10'000));
    EXPECT_EQ(view.snapshot().minStep, 0);
    // Exports.
    EXPECT_TRUE(view.exportPng(QString::fromStdString(dir.file("c.png"))));
    EXPECT_TRUE(view.exportSvg(QString::fromStdString(dir.file("c.svg"))));
    EXPECT_TRUE(view.exportCsv(QString::fromStdString(dir.file("c.csv"))));
    EXPECT_NE(test::readFile(dir.file("c.csv")).find("run,name,metric,step,value"),
              std::string::npos);
    EXPECT_NE(test::readFile(dir.file("c.svg")).find("<svg"), std::string::npos);
}

TEST(NewRunDialog, RejectsEachInvalidValueWithTheCliMessage) {
    widgets::NewRunDialog dialog(config::Config::defaults());
    auto* start = dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
    EXPECT_TRUE(dialog.problems().isEmpty());
    EXPECT_TRUE(start->isEnabled());
    struct Case {
        const char* key;
        const char* text;
        const char* message;
    };
    for (const Case& c : std::initializer_list<Case>{
             {"lr", "0", "'lr' must be > 0, got 0"},
             {"lr", "-1e-3", "'lr' must be > 0"},
             {"lr", "fast", "wrong value type for 'lr': expected float, got 'fast'"},
             {"momentum", "1", "'momentum' must be < 1"},
             {"label_smoothing", "2", "'label_smoothing' must be < 1"},
             {"data.dir", "", "'data.dir' must not be empty"},
             {"seed", "-4", "'seed' must be >= 0"}}) {
        widgets::NewRunDialog d(config::Config::defaults());
        d.setField(c.key, c.text);
        const QStringList problems = d.problems();
        ASSERT_EQ(problems.size(), 1)
            << c.key << "=" << c.text << ": " << problems.join("; ").toStdString();
        EXPECT_TRUE(problems.front().contains(c.message)) << problems.front().toStdString();
        EXPECT_FALSE(d.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->isEnabled());
    }
    // Spin boxes hold the schema's ranges: batch_size cannot go below 1 nor epochs below 1.
    auto* batch = qobject_cast<QSpinBox*>(dialog.editor("batch_size"));
    ASSERT_NE(batch, nullptr);
    batch->setValue(0);
    EXPECT_EQ(batch->value(), 1);
    auto* epochs = qobject_cast<QSpinBox*>(dialog.editor("epochs"));
    EXPECT_EQ(epochs->minimum(), 1);
    dialog.setField("lr", "3e-4");
    EXPECT_DOUBLE_EQ(dialog.config().number("lr"), 3e-4);
}

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
    auto first = window.startRun(c, "tiny");
    auto second = window.startRun(c, "queued second");
    ASSERT_TRUE(first && second);
    EXPECT_EQ(window.training()->queued(), 1);
    // The queued run is in the table at once, as 'queued'.
    ASSERT_TRUE(waitFor([&] { return window.runsModel()->rowCount() == 2; }, 5000));
    ASSERT_TRUE(waitFor([&] { return ended.count() == 2; }, 120'000));
    EXPECT_GT(progress.count(), 0) << "live progress arrived";
    for (const auto& args : ended)
        EXPECT_EQ(args.at(0).value<app::RunEnded>().status, storage::RunStatus::Finished);
    // The table shows both finished, with their accuracy, after the next poll.
    ASSERT_TRUE(waitFor(
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
    ASSERT_TRUE(waitFor(
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
    ASSERT_TRUE(waitFor(
        [&] {
            const auto& snap = window.curves()->snapshot();
            return snap.xAxis == widgets::XAxis::Epoch && !snap.series.empty();
        },
        5000));
    EXPECT_NEAR(maxX(), 3.0, 1e-9);
    EXPECT_EQ(window.curves()->chart()->axes(Qt::Horizontal).front()->titleText(), "epoch");
    // Wall time: seconds since the series' first point, increasing with the steps.
    window.panels()->setXAxis(widgets::XAxis::WallTime);
    ASSERT_TRUE(waitFor(
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
    ASSERT_TRUE(window.startRun(c, "long"));
    ASSERT_TRUE(waitFor([&] { return progress.count() > 0; }, 30'000));
    window.training()->stopCurrent();
    ASSERT_TRUE(waitFor([&] { return ended.count() == 1; }, 10'000));
    EXPECT_EQ(ended.front().at(0).value<app::RunEnded>().status, storage::RunStatus::Stopped);
}

namespace {

// Answers the next modal dialog, once it is shown, with `answer`; the dialog's exec() returns.
void answerNextDialog(std::function<void(QWidget*)> answer) {
    auto* poll = new QTimer();
    QObject::connect(poll, &QTimer::timeout, [poll, answer = std::move(answer)] {
        QWidget* dialog = QApplication::activeModalWidget();
        if (dialog == nullptr) return;
        poll->stop();
        poll->deleteLater();
        answer(dialog);
    });
    poll->start(10);
}

QAction* actionNamed(QWidget& window, const QString& text) {
    for (QAction* a : window.findChildren<QAction*>())
        if (a->text() == text) return a;
    return nullptr;
}

}  // namespace

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
    ASSERT_TRUE(waitFor([&] { return window.runsModel()->rowCount() == 2; }, 5000));
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
    ASSERT_TRUE(waitFor([&] { return runNamed(keep) == "baseline"; }, 5000));

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
    EXPECT_EQ(storage::RunStore::open(db)->run(keep)->notes, "lr too high?\nretry with 0.05");

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
    EXPECT_EQ(storage::RunStore::open(db)->run(doomed).error().kind, storage::ErrorKind::NotFound);
    EXPECT_FALSE(std::filesystem::exists(doomedFiles));
    ASSERT_TRUE(waitFor([&] { return window.runsModel()->rowCount() == 1; }, 5000));
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
    ASSERT_TRUE(waitFor([&] { return window.runsModel()->rowCount() == 1; }, 5000));
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
    EXPECT_TRUE(warning.contains("still running")) << warning.toStdString();
    EXPECT_TRUE(store->run(run->id));
}

namespace {

// A stored sweep with a known shape: flat, a fall, an explosion.
storage::SweepId storeSyntheticSweep(const std::string& db, const std::string& name, double shift) {
    auto store = storage::RunStore::open(db);
    storage::NewSweep w;
    w.name = name;
    w.configJson = config::Config::defaults().toJson();
    w.start = 1e-6, w.end = 10, w.steps = 80, w.mode = "exp", w.beta = 0.98, w.stopFactor = 4;
    for (int i = 0; i < 70; ++i) {
        const double lr = 1e-6 * std::pow(10.0, 7.0 * i / 79.0);
        const double x = std::log10(lr) + shift;
        const double loss = 2.3 - std::tanh(1.5 * (x + 2.5)) + 0.5 * std::exp(2.0 * (x + 0.5));
        w.points.push_back({i, lr, loss + 0.02 * std::sin(i), loss});
    }
    w.stopStep = 69;
    w.stopLr = w.points.back().lr;
    w.stopReason = "exploded";
    for (int i : {30, 40})
        w.suggestions.push_back({i == 30 ? "steepest" : "valley", w.points[i].lr, i});
    w.suggestions.push_back({"minimum/10", w.points[50].lr / 10, 50});
    return storage::insertSweep(store->connection(), w).value();
}

}  // namespace

TEST(LrFinderView, OverlaysSweepsWithMarkedSuggestionsAndStartsARunWithTheChosenLr) {
    test::TempDir dir;
    const std::string db = dir.file("lr.db");
    const auto a = storeSyntheticSweep(db, "bs 64", 0.0);
    const auto b = storeSyntheticSweep(db, "bs 256", 0.7);
    widgets::LrFinderView view;
    view.resize(1000, 700);
    view.show();
    view.setDatabase(QString::fromStdString(db));
    ASSERT_TRUE(waitFor([&] { return view.model()->rowCount() == 2; }, 5000));
    view.selectSweeps({a, b});
    ASSERT_TRUE(waitFor([&] { return view.snapshot().curves.size() == 2; }, 5000));
    // Per sweep: raw, smoothed, suggestions, stop.
    EXPECT_EQ(view.chart()->series().size(), 8);
    EXPECT_EQ(view.chart()->axes(Qt::Horizontal).front()->type(), QAbstractAxis::AxisTypeLogValue);
    ASSERT_EQ(view.markers().size(), 8u);  // 3 suggestions + the stop, twice
    int stops = 0;
    for (const auto& m : view.markers()) {
        EXPECT_FALSE(m.tooltip.isEmpty());
        if (m.rule == "stop") {
            ++stops;
            continue;
        }
        EXPECT_TRUE(m.tooltip.contains(m.rule)) << m.tooltip.toStdString();
        EXPECT_TRUE(std::isfinite(m.loss));
    }
    EXPECT_EQ(stops, 2);
    // The rule picks the LR; the button hands the sweep's config and that LR on.
    view.selectSweeps({a});
    ASSERT_TRUE(waitFor([&] { return view.snapshot().curves.size() == 1; }, 5000));
    view.setRule("steepest");
    const auto record = storage::sweepRecord(storage::RunStore::open(db)->connection(), a).value();
    ASSERT_TRUE(view.chosenLr());
    EXPECT_DOUBLE_EQ(*view.chosenLr(), widgets::findSuggestion(record, "steepest")->lr);
    QSignalSpy run(&view, &widgets::LrFinderView::runRequested);
    auto* button = view.findChild<QPushButton*>(QString(), Qt::FindChildrenRecursively);
    for (auto* b2 : view.findChildren<QPushButton*>())
        if (b2->text().startsWith("Start a run")) button = b2;
    ASSERT_TRUE(button->isEnabled());
    button->click();
    ASSERT_EQ(run.count(), 1);
    EXPECT_DOUBLE_EQ(run.front().at(1).toDouble(), *view.chosenLr());
    EXPECT_EQ(run.front().at(0).toString().toStdString(), record.configJson);
    QPixmap shot = view.grab();
    EXPECT_FALSE(shot.isNull());
}

TEST(NewRunDialog, SweepModeRejectsBadSweepOptionsWithTheCliMessages) {
    widgets::NewRunDialog dialog(config::Config::defaults(), nullptr, sweep::Options{});
    EXPECT_TRUE(dialog.isSweep());
    EXPECT_TRUE(dialog.problems().isEmpty());
    for (const auto& [field, text, message] : std::vector<std::tuple<QString, QString, QString>>{
             {"start", "0", "the start learning rate must be > 0, got 0"},
             {"end", "1e-9", "the end learning rate must be greater than the start"},
             {"steps", "1", "the number of steps must be between 2 and 10000, got 1"},
             {"beta", "1", "beta (the smoothing) must be in [0, 1), got 1"},
             {"stop_factor", "1", "the stop factor must be > 1, got 1"},
             {"start", "tiny", "sweep start must be a number, got 'tiny'"}}) {
        widgets::NewRunDialog d(config::Config::defaults(), nullptr, sweep::Options{});
        d.setSweepField(field, text);
        const QStringList problems = d.problems();
        ASSERT_EQ(problems.size(), 1) << field.toStdString();
        EXPECT_TRUE(problems.front().contains(message)) << problems.front().toStdString();
        EXPECT_FALSE(d.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->isEnabled());
    }
    dialog.setSweepField("steps", "40");
    dialog.setSweepField("mode", "linear");
    dialog.setSweepField("end", "2");
    EXPECT_EQ(dialog.sweepOptions().steps, 40);
    EXPECT_EQ(dialog.sweepOptions().mode, sweep::Mode::Linear);
    EXPECT_DOUBLE_EQ(dialog.sweepOptions().end, 2.0);
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
    window.startSweep(c, o, "tiny sweep");
    EXPECT_TRUE(window.training()->busy());
    ASSERT_TRUE(waitFor([&] { return ended.count() == 1; }, 60'000));
    const auto result = ended.front().at(0).value<app::SweepEnded>();
    ASSERT_GT(result.id, 0) << result.message.toStdString();
    EXPECT_TRUE(result.reason == "exploded" || result.reason == "nonfinite")
        << result.reason.toStdString();
    EXPECT_GE(points.count(), 5) << "points arrived live";
    EXPECT_FALSE(window.training()->busy());
    // The view selects and draws the stored sweep.
    ASSERT_TRUE(waitFor(
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

TEST(LeaderboardView, ShowsOwnRunsAndImportedCompetitionsWithSummaryAndCharts) {
    test::TempDir dir;
    const std::string db = dir.file("lb.db");
    storage::RunId first = 0;
    {
        auto store = storage::RunStore::open(db);
        auto writer = storage::Writer::open(db);
        for (int run = 0; run < 3; ++run) {
            auto r = store->createRun({"run " + std::to_string(run),
                                       std::nullopt,
                                       "{}",
                                       0,
                                       {},
                                       storage::RunStatus::Running});
            if (run == 0) first = r->id;
            for (std::int64_t i = 0; i < 200; ++i) {
                storage::PredictionRow p;
                p.runId = r->id;
                p.split = "test";
                p.epoch = 1;
                p.sampleIndex = i;
                p.target = static_cast<std::int32_t>(i % 2);
                p.predicted = i % (3 + run) == 0 ? 1 - p.target : p.target;
                p.probs = {0.5f, 0.5f};
                writer.value()->prediction(std::move(p));
            }
            ASSERT_TRUE(writer.value()->flush());
            r->lock.release();
            ASSERT_TRUE(store->setStatus(r->id, storage::RunStatus::Finished));
        }
        ASSERT_TRUE(
            storage::insertCompetition(store->connection(), "course", "score", true,
                                       {{"1", "a", std::nullopt, "2026-01-01", 74.33, 50.0},
                                        {"2", "b", std::nullopt, "2026-01-02", 60.0, 61.75},
                                        {"3", "c", std::nullopt, "2026-01-03", 50.05, 44.92}}));
    }
    widgets::LeaderboardView view;
    QAbstractItemModelTester tester(view.model(),
                                    QAbstractItemModelTester::FailureReportingMode::Fatal);
    view.resize(1300, 700);
    view.show();
    view.setDatabase(QString::fromStdString(db));
    ASSERT_TRUE(waitFor([&] { return view.model()->entryCount() == 3; }, 5000));
    EXPECT_EQ(view.model()->rowCount(), 5);  // and the median and max rows
    EXPECT_EQ(view.snapshot().shown.id, 0);
    EXPECT_TRUE(view.summaryText().contains("own runs, 30% public"))
        << view.summaryText().toStdString();
    // Double-clicking an own run asks to open it.
    QSignalSpy activated(&view, &widgets::LeaderboardView::runActivated);
    const QModelIndex cell = view.table()->model()->index(0, 0);
    view.table()->doubleClicked(cell);
    ASSERT_EQ(activated.count(), 1);
    EXPECT_EQ(activated.front().at(0).toLongLong(),
              cell.data(widgets::LeaderboardModel::RunIdRole).toLongLong());
    // The imported competition: the lecture's table, its shake-up and summary rows.
    const auto id =
        storage::findCompetition(storage::RunStore::open(db)->connection(), "course")->id;
    view.showCompetition(id);
    ASSERT_TRUE(waitFor([&] { return view.snapshot().shown.id == id; }, 5000));
    EXPECT_TRUE(view.summaryText().contains("median</b> public 60"))
        << view.summaryText().toStdString();
    EXPECT_TRUE(view.summaryText().contains("max</b> public 74.33"));
    EXPECT_TRUE(view.summaryText().contains("private 61.75"));
    const auto* model = view.model();
    int up = 0, down = 0;
    for (int row = 0; row < model->rowCount(); ++row) {
        const QString shift =
            model->data(model->index(row, widgets::LeaderboardModel::ShiftColumn)).toString();
        up += shift.startsWith(QChar(0x25B2)) ? 1 : 0;
        down += shift.startsWith(QChar(0x25BC)) ? 1 : 0;
    }
    EXPECT_EQ(up, 1);
    EXPECT_EQ(down, 1);
    // The summary rows stay last whichever way a score column is sorted.
    auto* sorted = view.table()->model();
    for (Qt::SortOrder order : {Qt::AscendingOrder, Qt::DescendingOrder}) {
        view.table()->sortByColumn(widgets::LeaderboardModel::PrivateColumn, order);
        const int n = sorted->rowCount();
        EXPECT_EQ(sorted->index(n - 2, 0).data().toString(), "median");
        EXPECT_EQ(sorted->index(n - 1, 0).data().toString(), "max");
        EXPECT_EQ(sorted->index(n - 1, widgets::LeaderboardModel::PrivateColumn).data().toString(),
                  "61.75");
        const QString top = sorted->index(0, 0).data().toString();
        EXPECT_EQ(top, order == Qt::AscendingOrder ? "b" : "c");  // best private first
    }
    // Charts: paired bars for three entries; the scatter splits them by the y = x line.
    auto* bars = qobject_cast<QBarSeries*>(view.barsView()->chart()->series().front());
    ASSERT_NE(bars, nullptr);
    EXPECT_EQ(bars->barSets().front()->count(), 3);
    int worse = 0;
    for (auto* s : view.scatterView()->chart()->series())
        if (auto* scatter = qobject_cast<QScatterSeries*>(s);
            scatter && s->name().contains("worse"))
            worse = scatter->count();
    EXPECT_EQ(worse, 2);  // a and c lost ground in private
    (void)first;
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
        double right = 0, n = 0;
        for (std::int64_t i = 0; i < 300; ++i) {
            storage::PredictionRow p;
            p.runId = id;
            p.split = "test";
            p.epoch = 1;
            p.sampleIndex = i;
            p.target = static_cast<std::int32_t>(i % 2);
            p.predicted = i % 3 == 0 ? 1 - p.target : p.target;
            p.probs = {0.5f, 0.5f};
            if (storage::isPublic(i, storage::SplitOptions{})) {
                n += 1;
                right += p.predicted == p.target ? 1 : 0;
            }
            writer.value()->prediction(std::move(p));
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
    ASSERT_TRUE(waitFor([&] { return testAccuracy() == 0.5; }, 5000));
    window.selectRuns({id});
    ASSERT_TRUE(waitFor(
        [&] { return window.curves()->snapshot().metrics.contains("test/accuracy"); }, 5000));

    // On: the box in the leaderboard tab.
    auto* box = window.leaderboard()->findChild<QCheckBox*>();
    ASSERT_NE(box, nullptr);
    ASSERT_TRUE(waitFor([&] { return window.leaderboard()->model()->entryCount() == 1; }, 5000));
    box->click();
    ASSERT_TRUE(waitFor([&] { return testAccuracy() == publicAccuracy; }, 5000))
        << "the runs table shows the public part";
    window.curves()->requestRefresh();
    ASSERT_TRUE(waitFor(
        [&] {
            const auto& m = window.curves()->snapshot().metrics;
            return !m.isEmpty() && !m.contains("test/accuracy");
        },
        5000));
    ASSERT_TRUE(waitFor([&] { return window.leaderboard()->snapshot().privateHidden; }, 5000));
    EXPECT_EQ(window.leaderboard()->model()->board().rows.front().entry.privateScore, std::nullopt);
    EXPECT_TRUE(box->isChecked());

    // Off asks first; "No" keeps it hidden, "Yes" reveals.
    answerNextDialog(
        [](QWidget* d) { qobject_cast<QMessageBox*>(d)->button(QMessageBox::No)->click(); });
    box->click();
    ASSERT_TRUE(waitFor([&] { return box->isChecked(); }, 5000));
    EXPECT_TRUE(storage::competitionMode(storage::RunStore::open(db)->connection()).value());
    answerNextDialog(
        [](QWidget* d) { qobject_cast<QMessageBox*>(d)->button(QMessageBox::Yes)->click(); });
    box->click();
    ASSERT_TRUE(waitFor([&] { return testAccuracy() == 0.5; }, 5000));
    EXPECT_FALSE(storage::competitionMode(storage::RunStore::open(db)->connection()).value());
}

int main(int argc, char** argv) {
    // Also when CTest lists the tests at build time, without the suite's environment.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);  // QSettings of the tests go to a test location
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
