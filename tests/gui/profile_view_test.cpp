// The Profile tab on a database written row by row: its three tables pass Qt's model tester, sort
// by number, diff two runs by |delta|; the data-bound hint uses the check's words; the trace
// exports; "Profile next 20 steps" is offered only for the run this window trains.

#include "widgets/profile_view.h"

#include <gtest/gtest.h>

#include <QAbstractItemModelTester>
#include <QChartView>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTabWidget>
#include <QTableView>
#include <QTest>

#include "support/fixtures.h"
#include "support/profile_fixture.h"
#include "widgets/profile_models.h"

using namespace runboard;

namespace {

struct Testers {
    explicit Testers(widgets::ProfileView& v)
        : ops(v.opModel(), QAbstractItemModelTester::FailureReportingMode::Fatal),
          diff(v.diffModel(), QAbstractItemModelTester::FailureReportingMode::Fatal),
          layers(v.layerModel(), QAbstractItemModelTester::FailureReportingMode::Fatal) {}
    QAbstractItemModelTester ops, diff, layers;
};

}  // namespace

TEST(ProfileView, ShowsOneRunsTablesHintAndExportsItsTrace) {
    test::TempDir dir;
    test::writeFile(dir.file("trace.json"), "{\"traceEvents\":[]}");
    const std::string db = test::profiledDatabase(dir.file("p.db"), dir.file("trace.json"));
    widgets::ProfileView view;
    Testers testers(view);
    QSignalSpy loaded(&view, &widgets::ProfileView::loaded);
    view.setDatabase(QString::fromStdString(db));
    view.setRuns({{1, "#1 cnn baseline"}});
    ASSERT_TRUE(QTest::qWaitFor([&] { return loaded.count() > 0; }, 5000));
    EXPECT_EQ(view.opModel()->rowCount(), 2);
    EXPECT_EQ(view.layerModel()->rowCount(), 3);
    EXPECT_EQ(view.diffModel()->rowCount(), 0);
    EXPECT_FALSE(view.tables()->isTabEnabled(1));  // one run: no diff
    // Per step: 40 ms of addmm over 4 steps.
    EXPECT_EQ(view.opModel()->data(view.opModel()->index(0, widgets::OpTableModel::SelfMs)),
              "10.000");
    EXPECT_EQ(view.layerModel()->data(view.layerModel()->index(2, widgets::LayerTableModel::Flops)),
              "no formula");
    EXPECT_TRUE(view.hint()->text().contains("data.workers")) << view.hint()->text().toStdString();
    EXPECT_TRUE(view.hint()->text().startsWith("30%"));
    // Sorted by the number, not the text: ascending self time puts relu_ (0.5 ms) first.
    auto* table = qobject_cast<QTableView*>(view.tables()->widget(0));
    ASSERT_NE(table, nullptr);
    table->sortByColumn(widgets::OpTableModel::SelfMs, Qt::AscendingOrder);
    EXPECT_EQ(table->model()->data(table->model()->index(0, 0)).toString(), "aten::relu_");
    // Export: a copy of the trace; the button is on since the file exists.
    EXPECT_TRUE(view.exportButton()->isEnabled());
    QString error;
    ASSERT_TRUE(view.exportTrace(dir.file("out.json").c_str(), &error)) << error.toStdString();
    EXPECT_EQ(test::readFile(dir.file("out.json")), "{\"traceEvents\":[]}");
    std::filesystem::remove(dir.file("trace.json"));
    EXPECT_FALSE(view.exportTrace(dir.file("out2.json").c_str(), &error));
    EXPECT_TRUE(error.contains("gone")) << error.toStdString();
}

TEST(ProfileView, TwoRunsDiffByTheLargestChangeAndOnlyTheTrainingRunCanBeProfiled) {
    test::TempDir dir;
    const std::string db = test::profiledDatabase(dir.file("p.db"), dir.file("t1.json"));
    test::profiledDatabase(db, dir.file("t2.json"), 0.25);  // run 2: addmm 4x faster
    widgets::ProfileView view;
    Testers testers(view);
    QSignalSpy loaded(&view, &widgets::ProfileView::loaded);
    view.setDatabase(QString::fromStdString(db));
    view.setRuns({{1, "#1"}, {2, "#2"}, {3, "ignored"}});
    ASSERT_TRUE(QTest::qWaitFor([&] { return loaded.count() > 0; }, 5000));
    ASSERT_EQ(view.snapshot().runs.size(), 2u);
    EXPECT_TRUE(view.tables()->isTabEnabled(1));
    ASSERT_EQ(view.diffModel()->rowCount(), 2);
    // addmm: 10 ms -> 2.5 ms a step, the largest change, first.
    EXPECT_EQ(view.diffModel()->data(view.diffModel()->index(0, 0)), "aten::addmm");
    EXPECT_EQ(view.diffModel()->data(view.diffModel()->index(0, widgets::OpDiffModel::DeltaMs)),
              "-7.500");
    EXPECT_EQ(view.diffModel()->headerData(widgets::OpDiffModel::BMs, Qt::Horizontal),
              "#2 ms/step");
    EXPECT_FALSE(view.exportButton()->isEnabled());  // run 1's trace file does not exist

    QSignalSpy asked(&view, &widgets::ProfileView::profileRequested);
    EXPECT_FALSE(view.profileButton()->isEnabled());
    view.setTrainingRun(2);  // training, but not the run shown first
    EXPECT_FALSE(view.profileButton()->isEnabled());
    view.setTrainingRun(1);
    ASSERT_TRUE(view.profileButton()->isEnabled());
    view.profileButton()->click();
    ASSERT_EQ(asked.count(), 1);
    EXPECT_EQ(asked[0][0].value<storage::RunId>(), 1);
    EXPECT_EQ(asked[0][1].toInt(), widgets::ProfileView::kProfileSteps);
    EXPECT_FALSE(view.profileButton()->isEnabled());  // until the view reloads
}

TEST(ProfileView, EmptyDatabaseAndARunWithoutAProfileSayWhatIsMissing) {
    test::TempDir dir;
    const std::string db = dir.file("e.db");
    {
        auto store = storage::RunStore::open(db);
        ASSERT_TRUE(
            store->createRun({"bare", std::nullopt, "{}", 1, {}, storage::RunStatus::Failed}));
    }
    widgets::ProfileView view;
    Testers testers(view);
    QSignalSpy loaded(&view, &widgets::ProfileView::loaded);
    view.setDatabase(QString::fromStdString(db));
    auto* title = view.findChildren<QLabel*>().front();
    EXPECT_TRUE(title->text().contains("Select a run")) << title->text().toStdString();
    view.setRuns({{1, "#1 bare"}});
    ASSERT_TRUE(QTest::qWaitFor([&] { return loaded.count() > 0; }, 5000));
    EXPECT_EQ(view.opModel()->rowCount(), 0);
    EXPECT_EQ(view.layerModel()->rowCount(), 0);
    EXPECT_TRUE(view.hint()->text().isEmpty());
    EXPECT_TRUE(title->text().contains("no op profiler window")) << title->text().toStdString();
    EXPECT_FALSE(view.exportButton()->isEnabled());
}
