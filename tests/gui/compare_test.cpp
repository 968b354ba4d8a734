// The Compare and Lineage tabs on a database written here: seed-repeat groups, a one-change and a
// two-change child. The compare view shows only the differing keys (all on request), deltas, the
// same verdicts as `runboard compare`, the multi-change warning, groups as mean ± std and as a
// band in the curves; the lineage model is the tree by parent; Repeat queues a group of runs
// with new seeds that train; the Checks tab shows a run's checklist with its details.

#include <gtest/gtest.h>

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QTest>

#include "app/main_window.h"
#include "app/repeats.h"
#include "app/run_launcher.h"
#include "engine/analysis/comparison.h"
#include "storage/checks_store.h"
#include "storage/comparison.h"
#include "storage/lineage.h"
#include "storage/writer.h"
#include "support/fixtures.h"
#include "widgets/checklist_view.h"
#include "widgets/compare_view.h"
#include "widgets/curves_view.h"
#include "widgets/lineage_view.h"
#include "widgets/plot/plot_tools.h"
#include "widgets/runs_model.h"

using namespace runboard;

namespace {

struct Family {
    std::string db;
    storage::RunId a = 0, a2 = 0, b = 0, b2 = 0, c = 0;
};

// a (seed 1) and its repeat a2 (seed 2); b = a with lr 0.05, and its repeat b2; c = a with lr and
// batch size changed. Each run gets 300 test predictions (b's are better) and a val curve.
Family writeFamily(const test::TempDir& dir) {
    Family f;
    f.db = dir.file("family.db");
    auto store = storage::RunStore::open(f.db);
    auto writer = storage::Writer::open(f.db);
    const auto params = [](const std::string& lr, const std::string& bs, const std::string& seed) {
        return std::vector<storage::Param>{{"lr", lr, "float"},
                                           {"batch_size", bs, "int"},
                                           {"model", "mlp", "string"},
                                           {"seed", seed, "int"}};
    };
    const auto make = [&](const std::string& name, std::vector<storage::Param> p,
                          std::optional<storage::RunId> parent, std::optional<storage::RunId> group,
                          int errorEvery, int offset) {
        auto r = store->createRun(
            {name, parent, "{}", 0, std::move(p), storage::RunStatus::Running, group});
        double right = 0;
        for (std::int64_t i = 0; i < 300; ++i) {
            storage::PredictionRow row;
            row.runId = r->id;
            row.split = "test";
            row.epoch = 2;
            row.sampleIndex = i;
            row.target = static_cast<std::int32_t>(i % 4);
            const bool ok = (i + offset) % errorEvery != 0;
            row.predicted = ok ? row.target : (row.target + 1) % 4;
            row.probs = {0.25f, 0.25f, 0.25f, 0.25f};
            right += ok;
            writer.value()->prediction(std::move(row));
        }
        const auto key = writer.value()->key("val/accuracy");
        for (std::int64_t s = 1; s <= 5; ++s)
            writer.value()->metric(r->id, key, s * 10, 0.5 + 0.05 * s + 0.001 * offset, 0);
        writer.value()->metric(r->id, writer.value()->key("test/accuracy"), 50, right / 300, 0);
        EXPECT_TRUE(writer.value()->flush());
        r->lock.release();
        EXPECT_TRUE(store->setStatus(r->id, storage::RunStatus::Finished));
        return r->id;
    };
    f.a = make("a", params("0.1", "128", "1"), std::nullopt, std::nullopt, 4, 0);
    f.a2 = make("a2", params("0.1", "128", "2"), f.a, f.a, 4, 1);
    f.b = make("b", params("0.05", "128", "1"), f.a, std::nullopt, 6, 0);
    f.b2 = make("b2", params("0.05", "128", "2"), f.b, f.b, 6, 2);
    f.c = make("c", params("0.05", "64", "1"), f.a, std::nullopt, 5, 0);
    return f;
}

}  // namespace

TEST(CompareView, ShowsOnlyWhatDiffersTheDeltasTheVerdictsAndTheGroups) {
    test::TempDir dir;
    const Family f = writeFamily(dir);
    widgets::CompareView view;
    QAbstractItemModelTester t1(view.configModel(),
                                QAbstractItemModelTester::FailureReportingMode::Fatal);
    QAbstractItemModelTester t2(view.metricsModel(),
                                QAbstractItemModelTester::FailureReportingMode::Fatal);
    view.resize(1300, 800);
    view.show();
    view.setDatabase(QString::fromStdString(f.db));
    view.setRuns({{f.a, "a"}, {f.b, "b"}, {f.c, "c"}, {f.a2, "a2"}, {f.b2, "b2"}});
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.snapshot().runs.size() == 5; }, 10'000))
        << view.verdictText().toStdString();
    EXPECT_EQ(view.snapshot().runs.front().id, f.a);  // the baseline first

    // Config: the keys that differ among the five (batch_size, lr, seed), not model.
    const auto rowKeys = [&] {
        QStringList keys;
        for (int r = 0; r < view.configModel()->rowCount(); ++r)
            keys << view.configModel()->headerData(r, Qt::Vertical).toString();
        return keys;
    };
    EXPECT_EQ(rowKeys(), (QStringList{"batch_size", "lr", "seed"}));
    view.setShowAllKeys(true);
    EXPECT_EQ(rowKeys(), (QStringList{"batch_size", "lr", "model", "seed"}));
    view.setShowAllKeys(false);

    // Metrics: test/accuracy first, with the delta against the baseline.
    ASSERT_GE(view.metricsModel()->rowCount(), 1);
    EXPECT_EQ(view.metricsModel()->headerData(0, Qt::Vertical).toString(), "test/accuracy");
    EXPECT_EQ(view.metricsModel()->item(0, 0)->text(), QString::number(225.0 / 300, 'g', 5));
    EXPECT_TRUE(view.metricsModel()->item(0, 1)->text().contains(QString::fromUtf8("Δ +")))
        << view.metricsModel()->item(0, 1)->text().toStdString();

    // The verdicts are the CLI's; c changed two keys at once; groups give Welch and mean ± std.
    auto store = storage::RunStore::open(f.db, {.create = false, .readOnly = true});
    auto ab = storage::comparisonData(store.value(), f.a, f.b).transform(analysis::compareRuns);
    ASSERT_TRUE(ab);
    const QString text = view.verdictText();
    EXPECT_TRUE(text.contains(QString::fromStdString(ab->verdict.text).toHtmlEscaped()))
        << text.toStdString();
    ASSERT_TRUE(ab->groupVerdict);
    EXPECT_TRUE(text.contains(QStringLiteral("seed repeats (2 vs 2 runs)"))) << text.toStdString();
    EXPECT_TRUE(text.contains(QStringLiteral("2 changes: batch_size, lr"))) << text.toStdString();
    EXPECT_TRUE(text.contains(QStringLiteral("Seed repeats of #%1</b> (2 finished)").arg(f.a)))
        << text.toStdString();

    // The curves: each group of two drawn as a mean line with a band.
    ASSERT_TRUE(
        QTest::qWaitFor([&] { return view.curves()->snapshot().series.size() == 5; }, 10'000));
    EXPECT_EQ(view.curves()->plot().bands().size(), 2u);
    view.curves()->setGroupBand(widgets::GroupBand::Off);
    EXPECT_TRUE(view.curves()->plot().bands().empty());
}

TEST(LineageModel, IsTheTreeByParentWithChangesOnTheEdges) {
    test::TempDir dir;
    const Family f = writeFamily(dir);
    auto store = storage::RunStore::open(f.db);
    auto runs = store->overview({}, {"test/accuracy"});
    ASSERT_TRUE(runs);
    widgets::LineageModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setRuns(runs.value());
    ASSERT_EQ(model.rowCount(), 1);
    const QModelIndex root = model.index(0, 0);
    EXPECT_EQ(root.data(widgets::LineageModel::RunIdRole).toLongLong(), f.a);
    ASSERT_EQ(model.rowCount(root), 3);  // a2, b, c in creation order
    const auto idAt = [&](const QModelIndex& i) {
        return i.data(widgets::LineageModel::RunIdRole).toLongLong();
    };
    EXPECT_EQ(idAt(model.index(0, 0, root)), f.a2);
    const QModelIndex b = model.index(1, 0, root);
    EXPECT_EQ(idAt(b), f.b);
    ASSERT_EQ(model.rowCount(b), 1);
    EXPECT_EQ(idAt(model.index(0, 0, b)), f.b2);
    EXPECT_EQ(model.index(1, widgets::LineageModel::ChangeColumn, root).data().toString(),
              QString::fromUtf8("lr: 0.1 → 0.05"));
    const QString c = model.index(2, widgets::LineageModel::ChangeColumn, root).data().toString();
    EXPECT_TRUE(c.startsWith(QString::fromUtf8("\u26A0"))) << c.toStdString();
    EXPECT_TRUE(model.index(2, widgets::LineageModel::ChangeColumn, root)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains("2 changes"));
    EXPECT_EQ(model.parent(model.index(0, 0, b)), b);
    EXPECT_EQ(model.indexOf(f.b2).row(), 0);
}

TEST(MainWindow, RepeatQueuesAGroupWithNewSeedsThatTrains) {
    test::TempDir dir;
    test::writeFakeFashionMnist(dir.path() / "data", 400, 100);
    app::MainWindow window(QString::fromStdString(dir.file("rep.db")));
    QSignalSpy ended(window.training(), &app::TrainingController::ended);
    auto first = window.launcher()->startRun(test::tinyConfig(dir.path() / "data", "mlp"), "tiny");
    ASSERT_TRUE(first);
    ASSERT_TRUE(QTest::qWaitFor([&] { return ended.count() == 1; }, 120'000));
    const auto repeats = window.launcher()->repeatRun(first.value(), 2);
    ASSERT_EQ(repeats.size(), 2u);
    ASSERT_TRUE(QTest::qWaitFor([&] { return ended.count() == 3; }, 120'000));
    for (const auto& args : ended)
        EXPECT_EQ(args.at(0).value<app::RunEnded>().status, storage::RunStatus::Finished);
    auto store = storage::RunStore::open(dir.file("rep.db"));
    auto members = storage::groupMembers(store->connection(), first.value());
    ASSERT_TRUE(members);
    EXPECT_EQ(members.value(),
              (std::vector<storage::RunId>{first.value(), repeats[0], repeats[1]}));
    std::set<std::int64_t> seeds;
    for (auto id : members.value())
        seeds.insert(store->run(id)->seed);
    EXPECT_EQ(seeds.size(), 3u);
    for (auto id : repeats) {
        auto changes = storage::changeSet(store->connection(), id);
        ASSERT_EQ(changes->size(), 1u);
        EXPECT_EQ(changes->front().key, "seed");
    }
}

TEST(Repeats, RequestsUseUnusedSeedsAndRefuseBadInput) {
    test::TempDir dir;
    const Family f = writeFamily(dir);
    auto store = storage::RunStore::open(f.db);
    // a's group has seeds 1 and 2: repeats of a2 (a member) continue the same group at 3, 4.
    auto requests = app::repeatRequests(store.value(), f.a2, 2);
    ASSERT_TRUE(requests) << requests.error().message;
    ASSERT_EQ(requests->size(), 2u);
    EXPECT_EQ((*requests)[0].group, f.a);
    EXPECT_EQ((*requests)[0].parent, f.a2);
    EXPECT_EQ((*requests)[0].config.integer("seed"), 3);
    EXPECT_EQ((*requests)[1].config.integer("seed"), 4);
    auto bad = app::repeatRequests(store.value(), f.a, 0);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, storage::ErrorKind::InvalidArgument);
    bad = app::repeatRequests(store.value(), 9999, 2);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, storage::ErrorKind::NotFound);
}

TEST(ChecklistView, ShowsARunsChecksWithDetailsAndTheRunsTableItsWorstStatus) {
    test::TempDir dir;
    const std::string db = dir.file("checks.db");
    storage::RunId run = 0;
    {
        auto store = storage::RunStore::open(db);
        run = store->createRun({"r", std::nullopt, "{}", 0, {}, storage::RunStatus::Failed})->id;
        ASSERT_TRUE(
            storage::storeChecks(store->connection(), run,
                                 {{"init.loss", "pass", 2.3, "initial loss 2.3", {}},
                                  {"gradients.flow",
                                   "fail",
                                   2,
                                   "2 parameters get no gradient",
                                   {"unused.weight: no gradient", "unused.bias: no gradient"}},
                                  {"data.bound", "warn", 0.3, "30% waits for data", {}}}));
    }
    widgets::ChecklistView view;
    QAbstractItemModelTester tester(view.model(),
                                    QAbstractItemModelTester::FailureReportingMode::Fatal);
    view.setDatabase(QString::fromStdString(db));
    view.setRun(run, "r");
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.model()->rowCount() == 3; }, 5000));
    EXPECT_EQ(view.model()->item(1, 0)->text(), "gradients.flow");
    EXPECT_TRUE(view.model()->item(1, 1)->text().contains("fail"));
    ASSERT_EQ(view.model()->item(1, 0)->rowCount(), 2);  // its details
    EXPECT_EQ(view.model()->item(1, 0)->child(0, 3)->text(), "unused.weight: no gradient");
    // The runs table's column: the worst status.
    widgets::RunsModel runs;
    auto store = storage::RunStore::open(db);
    ASSERT_TRUE(store);
    auto loaded = widgets::loadRuns(store.value());
    ASSERT_TRUE(loaded) << loaded.error().message;
    runs.setRuns(loaded.value());
    EXPECT_TRUE(
        runs.data(runs.index(0, widgets::RunsModel::ChecksColumn)).toString().contains("failed"));
}
