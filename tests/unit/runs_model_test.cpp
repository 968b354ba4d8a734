// The runs table model: QAbstractItemModelTester watches every change while snapshots are merged
// (inserts, removals, updates); the filter is checked against brute force.

#include "widgets/runs_model.h"

#include <gtest/gtest.h>

#include <QAbstractItemModelTester>
#include <QCoreApplication>
#include <random>

using namespace runboard;
using widgets::RunsModel;

namespace {

storage::RunOverview makeRun(storage::RunId id, const std::string& name, storage::RunStatus status,
                             double lr, std::optional<double> valAcc) {
    storage::RunOverview r;
    r.run.id = id;
    r.run.name = name;
    r.run.status = status;
    r.run.createdAt = "2026-11-26T10:00:00.000Z";
    r.run.startedAt = "2026-11-26T10:00:01.000Z";
    if (status != storage::RunStatus::Running) r.run.finishedAt = "2026-11-26T10:05:31.000Z";
    r.params = {{"model", id % 2 ? "cnn" : "mlp"}, {"lr", std::to_string(lr)}};
    if (valAcc) r.metrics["val/accuracy"] = *valAcc;
    return r;
}

std::vector<storage::RunOverview> randomSnapshot(std::mt19937& rng, int maxId) {
    std::vector<storage::RunOverview> out;
    std::uniform_real_distribution<double> acc(0.5, 0.95);
    for (int id = 1; id <= maxId; ++id) {
        if (rng() % 3 == 0) continue;
        const auto status = static_cast<storage::RunStatus>(rng() % 7);
        out.push_back(makeRun(id, (rng() % 2 ? "baseline " : "wide ") + std::to_string(id), status,
                              rng() % 2 ? 0.1 : 0.05,
                              rng() % 4 ? std::optional(acc(rng)) : std::nullopt));
    }
    std::shuffle(out.begin(), out.end(), rng);
    return out;
}

}  // namespace

TEST(RunsModel, SnapshotsMergeUnderTheModelTester) {
    RunsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    std::mt19937 rng(4);
    for (int round = 0; round < 30; ++round) {
        auto snapshot = randomSnapshot(rng, 25);
        std::vector<storage::RunId> ids;
        for (const auto& r : snapshot)
            ids.push_back(r.run.id);
        std::sort(ids.begin(), ids.end());
        model.setRuns(snapshot);
        ASSERT_EQ(model.rowCount(), static_cast<int>(ids.size()));
        for (int row = 0; row < model.rowCount(); ++row) {
            EXPECT_EQ(model.runId(row), ids[static_cast<std::size_t>(row)]);
            EXPECT_EQ(model.rowOf(ids[static_cast<std::size_t>(row)]), row);
        }
        EXPECT_EQ(model.rowOf(999), -1);
    }
}

TEST(RunsModel, ShowsStatusDurationAndMetrics) {
    RunsModel model;
    model.setRuns({makeRun(3, "a", storage::RunStatus::Finished, 0.1, 0.9347)});
    EXPECT_EQ(model.data(model.index(0, RunsModel::StatusColumn)).toString(), "finished");
    EXPECT_EQ(model.data(model.index(0, RunsModel::DurationColumn)).toString(), "5m 30s");
    EXPECT_EQ(model.data(model.index(0, RunsModel::ValAccuracyColumn)).toString(), "93.47 %");
    EXPECT_TRUE(model.data(model.index(0, RunsModel::TestAccuracyColumn)).isNull());
    EXPECT_EQ(model.data(model.index(0, RunsModel::NameColumn), Qt::DecorationRole).value<QColor>(),
              widgets::runColor(3));
}

// A resumed run says how often in its status, and a new resume updates the row in place.
TEST(RunsModel, StatusSaysHowOftenARunWasResumed) {
    RunsModel model;
    auto run = makeRun(4, "a", storage::RunStatus::Finished, 0.1, 0.9);
    model.setRuns({run});
    EXPECT_EQ(model.data(model.index(0, RunsModel::StatusColumn)).toString(), "finished");
    int changed = 0;
    QObject::connect(&model, &RunsModel::dataChanged, [&] { ++changed; });
    run.resumes = 2;
    model.setRuns({run});
    EXPECT_EQ(changed, 1);
    EXPECT_EQ(model.data(model.index(0, RunsModel::StatusColumn)).toString(),
              QString::fromUtf8("finished \u21bb2"));
    EXPECT_TRUE(model.data(model.index(0, RunsModel::StatusColumn), Qt::ToolTipRole)
                    .toString()
                    .startsWith("Resumed 2 time"));
    // Sorting and the status: filter still see the status alone.
    EXPECT_EQ(model.data(model.index(0, RunsModel::StatusColumn), RunsModel::SortRole).toString(),
              "finished");
}

TEST(RunsModel, UpdatesInPlaceKeepRowsAndSignalChanges) {
    RunsModel model;
    model.setRuns({makeRun(1, "a", storage::RunStatus::Finished, 0.1, 0.8),
                   makeRun(2, "b", storage::RunStatus::Finished, 0.1, 0.8)});
    int changed = 0, inserted = 0, removed = 0;
    QObject::connect(&model, &RunsModel::dataChanged, [&] { ++changed; });
    QObject::connect(&model, &RunsModel::rowsInserted, [&] { ++inserted; });
    QObject::connect(&model, &RunsModel::rowsRemoved, [&] { ++removed; });
    model.setRuns({makeRun(1, "a", storage::RunStatus::Finished, 0.1, 0.8),
                   makeRun(2, "b renamed", storage::RunStatus::Finished, 0.1, 0.8)});
    EXPECT_EQ(changed, 1);
    EXPECT_EQ(inserted, 0);
    EXPECT_EQ(removed, 0);
    EXPECT_EQ(model.data(model.index(1, RunsModel::NameColumn)).toString(), "b renamed");
}

TEST(RunsFilterModel, FilterTermsAgainstBruteForce) {
    RunsModel model;
    std::mt19937 rng(8);
    model.setRuns(randomSnapshot(rng, 60));
    widgets::RunsFilterModel proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::Fatal);
    for (const QString filter : {"", "wide", "status:finished", "lr=0.100000 model=cnn",
                                 "BASE status:failed", "nothing-matches"}) {
        proxy.setFilterText(filter);
        int expected = 0;
        const QStringList terms = filter.split(' ', Qt::SkipEmptyParts);
        for (int row = 0; row < model.rowCount(); ++row) {
            const auto& r = model.run(row);
            bool ok = true;
            for (const QString& t : terms) {
                if (t.startsWith("status:"))
                    ok &= std::string(storage::toString(r.run.status)) == t.mid(7).toStdString();
                else if (t.contains('='))
                    ok &= r.params.count(t.section('=', 0, 0).toStdString()) &&
                          r.params.at(t.section('=', 0, 0).toStdString()) ==
                              t.section('=', 1).toStdString();
                else
                    ok &= QString::fromStdString(r.run.name).contains(t, Qt::CaseInsensitive);
            }
            expected += ok;
        }
        EXPECT_EQ(proxy.rowCount(), expected) << filter.toStdString();
    }
    proxy.setFilterText("");
    proxy.sort(RunsModel::ValAccuracyColumn, Qt::DescendingOrder);
    for (int row = 1; row < proxy.rowCount(); ++row)
        EXPECT_GE(
            proxy.index(row - 1, RunsModel::ValAccuracyColumn).data(RunsModel::SortRole).toDouble(),
            proxy.index(row, RunsModel::ValAccuracyColumn).data(RunsModel::SortRole).toDouble());
}

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}

TEST(RunsModel, ChangesColumnNamesTheChangeAndWarnsAtMoreThanOne) {
    RunsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    auto root = makeRun(1, "root", storage::RunStatus::Finished, 0.1, 0.9);
    auto one = makeRun(2, "one", storage::RunStatus::Finished, 0.1, 0.91);
    one.run.parent = 1;
    one.changes = {{"lr", "0.1", "0.05"}};
    auto two = makeRun(3, "two", storage::RunStatus::Finished, 0.1, 0.92);
    two.run.parent = 1;
    two.changes = {{"batch_size", "128", "256"}, {"lr", "0.1", "0.05"}};
    auto same = makeRun(4, "same", storage::RunStatus::Finished, 0.1, 0.92);
    same.run.parent = 1;
    model.setRuns({root, one, two, same});
    const auto text = [&](int row, int role = Qt::DisplayRole) {
        return model.data(model.index(row, RunsModel::ChangesColumn), role).toString();
    };
    EXPECT_TRUE(text(0).isEmpty());
    EXPECT_EQ(text(1), "lr");
    EXPECT_TRUE(text(1, Qt::ToolTipRole).contains("lr: 0.1 → 0.05"));
    EXPECT_EQ(text(2), QString::fromUtf8("\u26A0 batch_size, lr"));
    EXPECT_TRUE(text(2, Qt::ToolTipRole).contains("2 changes: batch_size, lr"))
        << text(2, Qt::ToolTipRole).toStdString();
    EXPECT_TRUE(model.data(model.index(2, RunsModel::ChangesColumn), Qt::ForegroundRole).isValid());
    EXPECT_EQ(text(3), "no change vs #1");
}
