// GUI tests of the LR finder's and the leaderboard's edges, offscreen: the LR finder says what to
// do while there is no sweep and marks a minimum/10 below the swept range; the leaderboard's bars
// can be told apart, and a big imported board is a virtual table sorted in place with a scatter
// drawn as a density.

#include <gtest/gtest.h>

#include <QChart>
#include <QHeaderView>
#include <QLabel>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <cmath>

#include "app/sweep_job.h"
#include "engine/config/config.h"
#include "storage/leaderboard.h"
#include "storage/run_store.h"
#include "storage/sweep_store.h"
#include "support/fixtures.h"
#include "widgets/leaderboard_view.h"
#include "widgets/lr_finder_view.h"
#include "widgets/score_scatter.h"
#include "widgets/sweeps_model.h"

using namespace runboard;

namespace {

// A sweep whose loss is lowest at its third point: minimum/10 lies below where it started.
storage::SweepId storeEarlyMinimumSweep(const std::string& db) {
    auto store = storage::RunStore::open(db);
    storage::NewSweep w;
    w.name = "early minimum";
    w.configJson = config::Config::defaults().toJson();
    w.start = 1e-4, w.end = 10, w.steps = 30, w.mode = "exp", w.beta = 0, w.stopFactor = 4;
    for (int i = 0; i < 30; ++i) {
        const double lr = 1e-4 * std::pow(10.0, 5.0 * i / 29.0);
        const double loss = 2.0 + 0.1 * std::abs(i - 2);
        w.points.push_back({i, lr, loss, loss});
    }
    w.stopStep = 29;
    w.stopLr = w.points.back().lr;
    w.stopReason = "completed";
    w.suggestions.push_back({"minimum/10", w.points[2].lr / 10, 2});
    return storage::insertSweep(store->connection(), w).value();
}

}  // namespace

TEST(LrFinderView, WithoutSweepsSaysWhatASweepIsAndHowToStartOne) {
    test::TempDir dir;
    const std::string db = dir.file("none.db");
    ASSERT_TRUE(storage::RunStore::open(db));
    widgets::LrFinderView view;
    view.resize(1000, 700);
    view.show();
    QSignalSpy loaded(&view, &widgets::LrFinderView::loaded);
    view.setDatabase(QString::fromStdString(db));
    ASSERT_TRUE(QTest::qWaitFor([&] { return loaded.count() > 0; }, 5000));
    EXPECT_TRUE(view.showsEmptyHint());
    bool hint = false;
    for (const QLabel* l : view.findChildren<QLabel*>())
        hint = hint || (l->isVisible() && l->text().contains("No LR sweeps yet") &&
                        l->text().contains("New sweep..."));
    EXPECT_TRUE(hint);
    // A sweep arrives: the chart replaces the hint.
    const auto id = storeEarlyMinimumSweep(db);
    view.refresh();
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.model()->rowCount() == 1; }, 5000));
    EXPECT_FALSE(view.showsEmptyHint());
    // Its minimum/10 is below the swept range: the marker says so, and the axis reaches it.
    view.selectSweeps({id});
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.snapshot().curves.size() == 1; }, 5000));
    const widgets::SweepMarker* minimum = nullptr;
    for (const auto& m : view.markers())
        if (m.rule == "minimum/10") minimum = &m;
    ASSERT_NE(minimum, nullptr);
    EXPECT_LT(minimum->lr, 1e-4);
    EXPECT_TRUE(minimum->label.contains("below the swept range")) << minimum->label.toStdString();
    EXPECT_TRUE(minimum->tooltip.contains("Below the swept range"))
        << minimum->tooltip.toStdString();
    EXPECT_TRUE(view.plot().mapping().logX);
    EXPECT_LT(view.plot().mapping().x0, minimum->lr);
}

TEST(LeaderboardView, BarsAreNamedOrNumberedNeverElided) {
    test::TempDir dir;
    const std::string db = dir.file("bars.db");
    std::vector<storage::BoardEntry> many, few;
    for (int i = 0; i < 30; ++i)
        many.push_back({std::to_string(i), "a team with a long name number " + std::to_string(i),
                        std::nullopt, "2026-01-01", 0.5 + 0.01 * i, 0.5 + 0.011 * i});
    for (int i = 0; i < 3; ++i)
        few.push_back({std::to_string(i), "t" + std::to_string(i), std::nullopt, "2026-01-01",
                       0.5 + 0.1 * i, 0.6 + 0.05 * i});
    storage::CompetitionId manyId = 0, fewId = 0;
    {
        auto store = storage::RunStore::open(db);
        manyId =
            storage::insertCompetition(store->connection(), "many", "score", true, many).value();
        fewId = storage::insertCompetition(store->connection(), "few", "score", true, few).value();
    }
    widgets::LeaderboardView view;
    view.resize(1300, 700);
    view.show();
    view.setDatabase(QString::fromStdString(db));
    view.showCompetition(manyId);
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.snapshot().shown.id == manyId; }, 5000));
    // Twenty long names under twenty bars do not fit: the public ranks, as in the table.
    ASSERT_EQ(view.barLabels().size(), 20);
    for (int i = 0; i < 20; ++i)
        EXPECT_EQ(view.barLabels()[i], QString::number(i + 1));
    // Three short names fit: the names.
    view.showCompetition(fewId);
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.snapshot().shown.id == fewId; }, 5000));
    EXPECT_EQ(view.barLabels(), QStringList({"t2", "t1", "t0"}));
}

TEST(LeaderboardView, ABigBoardIsAVirtualTableSortedInPlaceAndADensity) {
    test::TempDir dir;
    const std::string db = dir.file("big.db");
    const int n = 50'000;
    std::vector<storage::BoardEntry> rows;
    int worse = 0;
    for (int i = 0; i < n; ++i) {
        const double pub = 0.5 + 0.4 * ((i * 7919) % n) / n;
        const double priv = pub + (i % 3 == 0 ? -0.01 : 0.005);
        worse += i % 3 == 0 ? 1 : 0;
        rows.push_back({std::to_string(i), "team " + std::to_string(i), std::nullopt, "2026-01-01",
                        pub, priv});
    }
    storage::CompetitionId id = 0;
    {
        auto store = storage::RunStore::open(db);
        id = storage::insertCompetition(store->connection(), "big", "score", true, rows).value();
    }
    widgets::LeaderboardView view;
    view.resize(1300, 700);
    view.show();
    view.setDatabase(QString::fromStdString(db));
    view.showCompetition(id);
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.snapshot().shown.id == id; }, 20'000));
    EXPECT_EQ(view.model()->entryCount(), n);
    EXPECT_EQ(view.table()->model(), view.model()) << "no proxy over a million rows";
    // The scatter: every entry, split by y = x, shaded as a density above kMaxDots.
    EXPECT_EQ(view.scatter()->pointCount(), static_cast<std::size_t>(n));
    EXPECT_EQ(view.scatter()->worseCount(), static_cast<std::size_t>(worse));
    EXPECT_TRUE(view.scatter()->density());
    const QImage shot = view.scatter()->grab().toImage();
    // Somewhere on the plot, green and red pixels.
    int green = 0, red = 0;
    for (int y = 0; y < shot.height(); ++y)
        for (int x = 0; x < shot.width(); ++x) {
            const QColor c = shot.pixelColor(x, y);
            green += c.green() > c.red() + 40 && c.green() > c.blue() + 40 ? 1 : 0;
            red += c.red() > c.green() + 60 && c.red() > c.blue() + 60 ? 1 : 0;
        }
    EXPECT_GT(green, 100);
    EXPECT_GT(red, 100);
    // Sorted by the private score, best first, the summary rows last.
    view.table()->sortByColumn(widgets::LeaderboardModel::PrivateColumn, Qt::AscendingOrder);
    const auto* m = view.table()->model();
    double best = -1;
    for (const auto& r : rows)
        best = std::max(best, *r.privateScore);
    EXPECT_EQ(m->index(0, widgets::LeaderboardModel::PrivateColumn).data().toString(),
              QString::number(best, 'g', 5));
    EXPECT_EQ(m->index(n, 0).data().toString(), "median");
    EXPECT_EQ(m->index(n + 1, 0).data().toString(), "max");
    // Descending: the worst private score first, the summary rows still last.
    view.table()->sortByColumn(widgets::LeaderboardModel::PrivateColumn, Qt::DescendingOrder);
    double worst = 2;
    for (const auto& r : rows)
        worst = std::min(worst, *r.privateScore);
    EXPECT_EQ(m->index(0, widgets::LeaderboardModel::PrivateColumn).data().toString(),
              QString::number(worst, 'g', 5));
    EXPECT_EQ(m->index(n + 1, 0).data().toString(), "max");
}

// `lr-find`'s text report: a sweep's name is anyone's text (New Run dialog, --name), so it is
// escaped and elided like every name that reaches a terminal, and never cut by a buffer.
TEST(SweepText, NamesAreEscapedAndNumbersFormatted) {
    storage::SweepRecord r;
    r.id = 7;
    r.name = "evil\x1b]0;owned\x07" + std::string(600, 'x');
    r.start = 1e-7;
    r.end = 10;
    r.pointCount = 100;
    r.mode = "exp";
    r.seconds = 12.34;
    r.stopStep = 80;
    r.stopLr = 0.0123;
    r.stopReason = "exploded";
    r.stopFactor = 4;
    r.suggestions = {{"valley", 2.5e-4, 0}};
    const std::string text = app::sweepToText(r);
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
    EXPECT_EQ(text.find('\x07'), std::string::npos) << text;
    EXPECT_NE(text.find("evil\\x1b]0;owned\\x07"), std::string::npos) << text;
    EXPECT_NE(text.find("\xE2\x80\xA6"), std::string::npos) << "the long name is not elided";
    EXPECT_NE(text.find("LR sweep 7 \""), std::string::npos) << text;
    EXPECT_NE(text.find("100 steps, 1e-07 to 10 (exp), 12.3 s"), std::string::npos) << text;
    EXPECT_NE(text.find("stopped at step 80, lr 0.0123: the smoothed loss exceeded 4 x its best"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("valley      0.00025"), std::string::npos) << text;
}
