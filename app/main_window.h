#pragma once
// The main window composes: it builds the tabs, menus and status bar, opens databases and polls
// them for changes by any process (PRAGMA data_version, cheap). What every view reads (the
// database, its changes, the selection, the runs) is the workspace's; the views subscribe to it
// themselves, so a new tab is one line here. Layout and recent databases live in QSettings.

#include <QList>
#include <QMainWindow>
#include <QTimer>
#include <functional>
#include <memory>
#include <optional>

#include "app/training_worker.h"
#include "storage/sqlite.h"

namespace spdlog::sinks {
class sink;
}

class QAction;
class QDockWidget;
class QTabWidget;
class QTableView;

namespace runboard::widgets {
class CurvesPanels;
class ChecklistView;
class CompareView;
class CurvesView;
class DatabaseErrorPanel;
class GalleryView;
class LineageView;
class LogView;
class LeaderboardView;
class LrFinderView;
class ProfileView;
class RunsModel;
class RunsPage;
class Workspace;
}  // namespace runboard::widgets

namespace runboard::app {

class RunLauncher;
class TrainingStatus;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const QString& dbPath, QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens (creates, migrates) the database and points the workspace at it. When that fails with
    // no database open (at start-up), the Runs tab shows what is wrong with Retry, Open another
    // and New database, and nothing can be trained until one is open; with one open, it stays.
    void openDatabase(const QString& path);
    bool hasDatabase() const { return !dbPath_.isEmpty(); }
    // File > Export: every curves panel as shown, in one PNG or SVG (by the suffix), or their
    // series in one CSV.
    bool exportCharts(const QString& path);
    void refreshRuns();
    void selectRuns(const std::vector<storage::RunId>& ids);

    widgets::Workspace* workspace() const { return workspace_; }
    RunLauncher* launcher() const { return launcher_; }
    widgets::CurvesView* curves() const;  // the first panel
    widgets::CurvesPanels* panels() const;
    widgets::RunsModel* runsModel() const;
    QTableView* runsTable() const;
    TrainingController* training() const { return training_; }
    widgets::LrFinderView* lrFinder() const { return lrFinder_; }
    widgets::GalleryView* gallery() const { return gallery_; }
    widgets::CompareView* compare() const { return compare_; }
    widgets::LineageView* lineage() const { return lineage_; }
    widgets::ChecklistView* checklist() const { return checklist_; }
    widgets::LeaderboardView* leaderboard() const { return leaderboard_; }
    widgets::ProfileView* profile() const { return profile_; }
    widgets::DatabaseErrorPanel* databaseError() const;
    const QString& databasePath() const { return dbPath_; }

signals:
    void runsLoaded();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildTabs();
    void buildMenus();
    void chooseDatabase(bool create);
    void exportChart(const QString& format);
    void showDatabaseError(const QString& path, const QString& message);
    void retryOpen();  // off the GUI thread: a locked file makes SQLite wait up to 10 s
    void setDatabaseOpen(bool open);
    void poll();
    void showRuns(storage::RunId run);
    void setCompetitionMode(bool on);  // asks before revealing
    void renameSelected();
    // Run > Resume: enabled only for the one selected run that can be resumed; its tooltip says
    // why not otherwise (storage::checkResumable's words).
    void resumeSelected();
    void updateResumeAction();
    void editNotes();
    void deleteSelected();
    // A user's edit of the database, off the GUI thread (a locked database makes SQLite wait up
    // to 10 s); a failure is shown, and the runs reloaded either way.
    void writeStore(const QString& title,
                    std::function<storage::Status(storage::RunStore&)> action);
    void rememberDatabase(const QString& path);
    void updateRecentMenu();

    QString dbPath_;
    std::optional<storage::Connection> pollDb_;
    std::int64_t dataVersion_ = -1;
    QTimer pollTimer_;

    widgets::Workspace* workspace_ = nullptr;
    TrainingController* training_ = nullptr;
    RunLauncher* launcher_ = nullptr;
    TrainingStatus* status_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    widgets::RunsPage* runsPage_ = nullptr;
    widgets::LrFinderView* lrFinder_ = nullptr;
    widgets::GalleryView* gallery_ = nullptr;
    widgets::CompareView* compare_ = nullptr;
    widgets::LineageView* lineage_ = nullptr;
    widgets::ChecklistView* checklist_ = nullptr;
    widgets::LeaderboardView* leaderboard_ = nullptr;
    widgets::ProfileView* profile_ = nullptr;
    widgets::LogView* log_ = nullptr;
    QDockWidget* logDock_ = nullptr;
    QList<QAction*> databaseActions_;  // disabled while no database is open
    QAction* resume_ = nullptr;
    QMenu* recentMenu_ = nullptr;
    std::shared_ptr<spdlog::sinks::sink> logSink_;
};

}  // namespace runboard::app
