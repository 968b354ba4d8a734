// The sweeps table model: QAbstractItemModelTester watches random merges (inserts, removals,
// renames); the rows always equal the snapshot, newest first.

#include "widgets/sweeps_model.h"

#include <gtest/gtest.h>

#include <QAbstractItemModelTester>
#include <random>

using namespace runboard;
using widgets::SweepsModel;

namespace {

storage::SweepRecord makeSweep(storage::SweepId id, const std::string& name) {
    storage::SweepRecord r;
    r.id = id;
    r.name = name;
    r.createdAt = "2026-11-26T10:00:00.000Z";
    r.stopReason = "exploded";
    r.stopLr = 0.5 * static_cast<double>(id);
    r.suggestions = {{"steepest", 1e-2, 40}, {"minimum/10", 3e-3, 60}};
    return r;
}

}  // namespace

TEST(SweepsModel, MergesRandomSnapshotsUnderTheModelTester) {
    SweepsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    std::mt19937 rng(11);
    for (int round = 0; round < 200; ++round) {
        std::vector<storage::SweepRecord> snapshot;
        for (int id = 1; id <= 12; ++id)
            if (rng() % 3 != 0)
                snapshot.push_back(
                    makeSweep(id, (rng() % 2 ? "sgd " : "adam ") + std::to_string(id)));
        std::shuffle(snapshot.begin(), snapshot.end(), rng);
        model.setSweeps(snapshot);
        std::sort(snapshot.begin(), snapshot.end(),
                  [](const auto& a, const auto& b) { return a.id > b.id; });
        ASSERT_EQ(model.rowCount(), static_cast<int>(snapshot.size()));
        for (int row = 0; row < model.rowCount(); ++row) {
            EXPECT_EQ(model.sweep(row).id, snapshot[static_cast<std::size_t>(row)].id);
            EXPECT_EQ(model.sweep(row).name, snapshot[static_cast<std::size_t>(row)].name);
            EXPECT_EQ(model.rowOf(snapshot[static_cast<std::size_t>(row)].id), row);
        }
    }
}

TEST(SweepsModel, ShowsSuggestionsAndExplainsTheRules) {
    SweepsModel model;
    model.setSweeps({makeSweep(3, "bs 64")});
    EXPECT_EQ(model.data(model.index(0, SweepsModel::NameColumn)).toString(), "#3 bs 64");
    EXPECT_EQ(model.data(model.index(0, SweepsModel::SteepestColumn)).toString(), "0.01");
    EXPECT_EQ(model.data(model.index(0, SweepsModel::MinimumColumn)).toString(), "0.003");
    EXPECT_EQ(model.data(model.index(0, SweepsModel::ValleyColumn)).toString(), "-");
    EXPECT_EQ(model.data(model.index(0, SweepsModel::StopColumn)).toString(), "exploded at 1.5");
    EXPECT_TRUE(model.data(model.index(0, SweepsModel::SteepestColumn), Qt::ToolTipRole)
                    .toString()
                    .contains("Lightning"));
    EXPECT_EQ(model.data(model.index(0, 0), SweepsModel::SweepIdRole).toLongLong(), 3);
}
