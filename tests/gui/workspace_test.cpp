// The workspace tells a view of changes only while it is visible, and a hidden view once, when it
// is shown, of everything since: merged, in the order database, selection, runs, then a refresh
// for data changes only when nothing else reloaded.

#include "widgets/workspace.h"

#include <gtest/gtest.h>

#include <QLabel>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTest>
#include <QWidget>
#include <string>
#include <vector>

#include "app/main_window.h"
#include "support/fixtures.h"
#include "widgets/checklist_view.h"
#include "widgets/gallery_view.h"
#include "widgets/runs_model.h"
#include "widgets/runs_page.h"
#include "widgets/welcome_panel.h"

using namespace runboard;
using widgets::Workspace;

namespace {

// A view that records what it was told, in order.
struct Probe {
    std::vector<std::string> calls;
    Workspace::Hooks hooks() {
        return {.database = [this](const QString& p) { calls.push_back("db " + p.toStdString()); },
                .selection =
                    [this](const widgets::RunList& r) {
                        calls.push_back("sel " + std::to_string(r.size()));
                    },
                .runs =
                    [this](const std::vector<storage::RunOverview>& r) {
                        calls.push_back("runs " + std::to_string(r.size()));
                    },
                .refresh = [this] { calls.push_back("refresh"); }};
    }
};

using Calls = std::vector<std::string>;

}  // namespace

TEST(Workspace, AHiddenViewIsToldOnceWhenShownOfEverythingSince) {
    Workspace ws;
    QTabWidget tabs;
    auto* front = new QWidget;
    auto* back = new QWidget;
    tabs.addTab(front, "front");
    tabs.addTab(back, "back");
    Probe seen, hidden;
    ws.subscribe(front, seen.hooks());
    ws.subscribe(back, hidden.hooks());
    tabs.show();

    ws.setDatabase("a.db");
    EXPECT_EQ(seen.calls, (Calls{"db a.db", "sel 0", "runs 0"}));
    ws.notifyDataChanged();
    ws.notifyDataChanged();
    EXPECT_EQ(seen.calls.back(), "refresh");
    EXPECT_EQ(seen.calls.size(), 5u);
    ws.setSelection({{7, "#7 a"}});
    EXPECT_EQ(seen.calls.back(), "sel 1");
    EXPECT_TRUE(hidden.calls.empty()) << "a view behind another tab was told";

    tabs.setCurrentWidget(back);
    // One database switch and everything after it: no refresh, because the database reloaded.
    EXPECT_EQ(hidden.calls, (Calls{"db a.db", "sel 1", "runs 0"}));
    hidden.calls.clear();
    const auto seenBefore = seen.calls.size();

    // Now `front` is hidden: two data changes become one refresh when it is shown again.
    ws.notifyDataChanged();
    ws.notifyDataChanged();
    EXPECT_EQ(hidden.calls, (Calls{"refresh", "refresh"}));
    EXPECT_EQ(seen.calls.size(), seenBefore);
    tabs.setCurrentWidget(front);
    EXPECT_EQ(seen.calls.size(), seenBefore + 1);
    EXPECT_EQ(seen.calls.back(), "refresh");

    // Shown again with nothing new: nothing.
    tabs.setCurrentWidget(back);
    tabs.setCurrentWidget(front);
    EXPECT_EQ(seen.calls.size(), seenBefore + 1);

    // A data change and a selection while hidden: the selection reloads, so no refresh.
    tabs.setCurrentWidget(back);
    ws.notifyDataChanged();
    ws.setSelection({{7, "#7 a"}, {8, "#8 b"}});
    ws.setRuns(std::vector<storage::RunOverview>(3));
    tabs.setCurrentWidget(front);
    EXPECT_EQ(Calls(seen.calls.end() - 2, seen.calls.end()), (Calls{"sel 2", "runs 3"}));
}

TEST(Workspace, AViewThatSubscribesLateIsToldTheStateAsItIs) {
    Workspace ws;
    ws.setDatabase("b.db");
    ws.setSelection({{1, "#1"}});
    QWidget view;
    Probe probe;
    ws.subscribe(&view, probe.hooks());
    EXPECT_TRUE(probe.calls.empty()) << "not visible yet";
    view.show();
    EXPECT_EQ(probe.calls, (Calls{"db b.db", "sel 1", "runs 0"}));
}

TEST(Workspace, TheSubscriptionEndsWithTheViewOrTheWorkspace) {
    Probe probe;
    {
        Workspace ws;
        auto* view = new QWidget;
        ws.subscribe(view, probe.hooks());
        view->show();
        ws.setDatabase("c.db");
        delete view;
        ws.notifyDataChanged();  // must not reach the deleted view
        ws.setSelection({{1, "#1"}});
    }
    EXPECT_EQ(probe.calls, (Calls{"db c.db", "sel 0", "runs 0"}));

    QWidget view;
    Probe orphan;
    {
        Workspace ws;
        ws.subscribe(&view, orphan.hooks());
        ws.setDatabase("d.db");  // pending: the view is hidden
    }
    view.show();  // the workspace is gone: nothing to tell, and no crash
    EXPECT_TRUE(orphan.calls.empty());
}

// In the window: a view behind another tab loads nothing while the selection and the data
// change, and catches up once when its tab is shown.
TEST(Workspace, TheWindowsHiddenTabsLoadOnlyWhenShown) {
    test::TempDir dir;
    const std::string db = dir.file("hidden.db");
    std::vector<storage::RunId> ids;
    {
        auto store = storage::RunStore::open(db);
        for (const char* name : {"a", "b", "c"}) {
            auto run =
                store->createRun({name, std::nullopt, "{}", 0, {}, storage::RunStatus::Finished});
            ASSERT_TRUE(run);
            ids.push_back(run->id);
            run->lock.release();
        }
    }
    app::MainWindow window(QString::fromStdString(db));
    window.show();
    ASSERT_TRUE(QTest::qWaitFor([&] { return window.runsModel()->rowCount() == 3; }, 5000));
    QSignalSpy galleryLoads(window.gallery(), &widgets::GalleryView::loaded);
    QSignalSpy checklistLoads(window.checklist(), &widgets::ChecklistView::loaded);
    for (storage::RunId id : ids) {
        window.selectRuns({id});
        window.workspace()->notifyDataChanged();
        QTest::qWait(50);
    }
    QTest::qWait(300);
    EXPECT_EQ(galleryLoads.count(), 0) << "the hidden gallery loaded";
    EXPECT_EQ(checklistLoads.count(), 0) << "the hidden checklist loaded";

    auto* tabs = window.findChild<QTabWidget*>();
    tabs->setCurrentWidget(window.gallery());
    ASSERT_TRUE(QTest::qWaitFor([&] { return galleryLoads.count() > 0; }, 5000));
    QTest::qWait(300);
    EXPECT_EQ(galleryLoads.count(), 1) << "one load for every change made while hidden";
    EXPECT_EQ(checklistLoads.count(), 0);
}

// Runs that cannot be loaded are not "No runs yet": the page says what went wrong, above the
// table, and keeps the welcome panel out of the way.
TEST(Workspace, ARunsListThatCannotBeLoadedIsExplainedNotWelcomed) {
    test::TempDir dir;
    const std::string db = dir.file("broken.db");
    {
        auto store = storage::RunStore::open(db);
        auto run = store->createRun({"a", std::nullopt, "{}", 0, {}, storage::RunStatus::Finished});
        ASSERT_TRUE(run);
        run->lock.release();
        // The runs' overview reads the checklist's table; without it the load fails.
        ASSERT_TRUE(store->connection().exec("DROP TABLE run_checks"));
    }
    app::MainWindow window(QString::fromStdString(db));
    window.show();
    auto* page = window.findChild<widgets::RunsPage*>();
    ASSERT_NE(page, nullptr);
    ASSERT_TRUE(QTest::qWaitFor([&] { return page->loadError()->isVisible(); }, 5000));
    EXPECT_TRUE(page->loadError()->text().contains("broken.db"))
        << page->loadError()->text().toStdString();
    EXPECT_NE(page->currentWidget(), static_cast<QWidget*>(page->welcome()))
        << "a failed load was shown as an empty database";
}
