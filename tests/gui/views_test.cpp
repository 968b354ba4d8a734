// GUI tests of the views on their own, offscreen: the curves chart draws at most about two points
// per pixel column and marks NaN, zooms and resets; the New Run dialog (and its sweep mode)
// rejects invalid values with the CLI's messages; the LR finder and leaderboard views.

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
#include "support/dialogs.h"
#include "support/fixtures.h"
#include "support/predictions.h"
#include "widgets/curves_panels.h"
#include "widgets/curves_view.h"
#include "widgets/leaderboard_view.h"
#include "widgets/lr_finder_view.h"
#include "widgets/new_run_dialog.h"
#include "widgets/plot/plot_tools.h"
#include "widgets/runs_model.h"
#include "widgets/score_scatter.h"
#include "widgets/sweeps_model.h"

using namespace runboard;
using runboard::test::actionNamed;
using runboard::test::answerNextDialog;

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
    ASSERT_TRUE(QTest::qWaitFor([&] { return !view.snapshot().series.empty(); }, 10'000));
    const int width = view.plotWidth();
    const int drawn = view.drawnPoints();
    EXPECT_GT(drawn, width / 2);
    EXPECT_LE(drawn, 2 * width + 8) << "plot width " << width;
    EXPECT_EQ(view.snapshot().series.front().total, 200'000);
    EXPECT_TRUE(view.legendText().contains("long")) << view.legendText().toStdString();
    EXPECT_TRUE(view.legendText().contains(widgets::runColor(id).name()));
    const auto& markers = view.plot().markers();
    ASSERT_EQ(markers.size(), 1u);
    EXPECT_TRUE(markers.front().pinTop);
    ASSERT_EQ(markers.front().points.size(), 1u);
    EXPECT_EQ(std::llround(markers.front().points.front().x), 123'456);
    // The plot's area is the widget less the room its labels need; the x range is the window.
    auto* plot = view.findChild<widgets::PlotWidget*>();
    ASSERT_NE(plot, nullptr);
    const auto& m = view.plot().mapping();
    EXPECT_EQ(m.area, QRectF(plot->rect()).marginsRemoved(plot->labelMargins().toMarginsF()));
    EXPECT_LE(m.x0, view.snapshot().minStep);
    EXPECT_GE(m.x1, view.snapshot().maxStep);
    ASSERT_GE(view.plot().xTicks().size(), 2u);
    EXPECT_GE(view.plot().xTicks().front(), m.x0);
    EXPECT_LE(view.plot().xTicks().back(), m.x1);
    ASSERT_GE(view.plot().yTicks().size(), 2u);
    EXPECT_EQ(view.plot().xTitle(), "step");
    EXPECT_EQ(view.plot().yTitle(), "train/loss");
    // A rubber-band drag over the first tenth loads the finer envelope of that range.
    const QRectF area = m.area;
    const QPoint from = area.topLeft().toPoint() + QPoint(1, 5);
    const QPoint to(static_cast<int>(area.left() + area.width() / 10), from.y() + 40);
    QTest::mousePress(plot, Qt::LeftButton, {}, from);
    QMouseEvent move(QEvent::MouseMove, QPointF(to), plot->mapToGlobal(QPointF(to)), Qt::NoButton,
                     Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(plot, &move);
    QTest::mouseRelease(plot, Qt::LeftButton, {}, to);
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.snapshot().maxStep < 30'000; }, 10'000));
    EXPECT_NEAR(view.snapshot().maxStep - view.snapshot().minStep, 20'000, 2'000);
    EXPECT_LE(view.drawnPoints(), 2 * width + 8);
    EXPECT_GT(view.drawnPoints(), width / 2);
    // Double-click resets to the whole run.
    QTest::mouseDClick(plot, Qt::LeftButton, {}, area.center().toPoint());
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.snapshot().maxStep > 190'000; }, 10'000));
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
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.model()->rowCount() == 2; }, 5000));
    view.selectSweeps({a, b});
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.snapshot().curves.size() == 2; }, 5000));
    // Per sweep: a raw and a smoothed line, its suggestions and its stop.
    EXPECT_EQ(view.plot().lines().size(), 4u);
    EXPECT_EQ(view.plot().markers().size(), 4u);
    EXPECT_TRUE(view.plot().mapping().logX);
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
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.snapshot().curves.size() == 1; }, 5000));
    view.setRule("steepest");
    // A click on a suggestion's marker makes its rule the one the button uses.
    {
        auto* plot = view.findChild<widgets::PlotWidget*>();
        ASSERT_NE(plot, nullptr);
        const widgets::SweepMarker* valley = nullptr;
        for (const auto& m : view.markers())
            if (m.rule == "valley") valley = &m;
        ASSERT_NE(valley, nullptr);
        const QPoint at = plot->mapping().toPixel(valley->lr, valley->loss).toPoint();
        QTest::mouseClick(plot, Qt::LeftButton, {}, at);
        EXPECT_EQ(view.rule(), "valley");
        view.setRule("steepest");
    }
    // A live sweep draws as a dashed line of its own, and goes when the stored one replaces it.
    view.beginLive("live");
    for (int i = 1; i <= 5; ++i)
        view.addLivePoint({i, 1e-5 * i, 2.0, 2.0 - 0.1 * i});
    EXPECT_EQ(view.liveCount(), 5);
    ASSERT_EQ(view.plot().lines().size(), 3u);
    EXPECT_EQ(view.plot().lines().back().points.size(), 5u);
    EXPECT_EQ(view.plot().lines().back().pen.style(), Qt::DashLine);
    view.endLive();
    EXPECT_EQ(view.plot().lines().size(), 2u);
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
            test::queueTestPredictions(*writer.value(), r->id, 200,
                                       [&](std::int64_t i) { return i % (3 + run) == 0; });
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
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.model()->entryCount() == 3; }, 5000));
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
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.snapshot().shown.id == id; }, 5000));
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
    EXPECT_EQ(view.scatter()->pointCount(), 3u);
    EXPECT_EQ(view.scatter()->worseCount(), 2u);  // a and c lost ground in private
    EXPECT_FALSE(view.scatter()->density());
    (void)first;
}
