#pragma once
// The main window composes the views; each view is its own class in widgets/. It owns the
// training controller, polls the database for changes made by any process (PRAGMA data_version,
// cheap), and keeps layout and recent databases in QSettings.

#include <QList>
#include <QMainWindow>
#include <QTimer>
#include <functional>
#include <memory>
#include <optional>

#include "app/training_worker.h"
#include "storage/sqlite.h"
#include "widgets/latest_loader.h"
#include "widgets/runs_model.h"

namespace spdlog::sinks {
class sink;
}

class QAction;
class QDockWidget;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSplitter;
class QStackedWidget;
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
class RunsFilterModel;
class RunsModel;
class WelcomePanel;
}  // namespace runboard::widgets

namespace runboard::app {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const QString& dbPath, QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens (creates, migrates) the database and points every view at it. When that fails with
    // no database open (at start-up), the Runs tab shows what is wrong with Retry, Open another
    // and New database, and nothing can be trained until one is open; with one open, it stays.
    void openDatabase(const QString& path);
    bool hasDatabase() const { return !dbPath_.isEmpty(); }
    // File > Export: every curves panel as shown, in one PNG or SVG (by the suffix), or their
    // series in one CSV.
    bool exportCharts(const QString& path);
    // Queues n copies of a run with new seeds, as a group (Run > Repeat with new seeds).
    std::vector<storage::RunId> repeatRun(storage::RunId run, int n);
    // Queues a run as the buttons do (New Run dialog's Start, the welcome panel).
    storage::Result<storage::RunId> startRun(const config::Config& config, const QString& name = {},
                                             std::optional<storage::RunId> parent = {});
    void refreshRuns();
    void selectRuns(const std::vector<storage::RunId>& ids);
    // Queues an LR sweep as the New sweep dialog does, and shows the LR finder.
    void startSweep(const config::Config& config, const sweep::Options& options,
                    const QString& name = {});

    widgets::CurvesView* curves() const;  // the first panel
    widgets::CurvesPanels* panels() const { return curves_; }
    widgets::RunsModel* runsModel() const { return runs_; }
    QTableView* runsTable() const { return table_; }
    TrainingController* training() const { return training_; }
    widgets::LrFinderView* lrFinder() const { return lrFinder_; }
    widgets::GalleryView* gallery() const { return gallery_; }
    widgets::CompareView* compare() const { return compare_; }
    widgets::LineageView* lineage() const { return lineage_; }
    widgets::ChecklistView* checklist() const { return checklist_; }
    widgets::LeaderboardView* leaderboard() const { return leaderboard_; }
    widgets::DatabaseErrorPanel* databaseError() const { return dbError_; }
    const QString& databasePath() const { return dbPath_; }

signals:
    void runsLoaded();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    void chooseDatabase(bool create);
    void exportChart(const QString& format);
    void showDatabaseError(const QString& path, const QString& message);
    void retryOpen();  // off the GUI thread: a locked file makes SQLite wait up to 10 s
    void setDatabaseOpen(bool open);
    void buildStatusBar();
    void poll();
    void applyRuns(widgets::RunsSnapshot snapshot);
    void onSelectionChanged();
    void showNewRunDialog(bool fromSelected);
    void openNewRunDialog(const config::Config& initial, const QString& name = {},
                          std::optional<storage::RunId> parent = {});
    void showNewSweepDialog();
    void setCompetitionMode(bool on);  // asks before revealing
    void connectLrFinder();
    // The first selected run's config (a warning is shown when it cannot be read).
    std::optional<std::pair<storage::RunId, config::Config>> selectedConfig(const QString& title);
    void renameSelected();
    void editNotes();
    void deleteSelected();
    // A user's edit of the database; a failure is shown, and the table refreshed either way.
    void writeStore(const QString& title,
                    const std::function<storage::Status(storage::RunStore&)>& action);
    std::vector<storage::RunId> selectedRuns() const;
    void rememberDatabase(const QString& path);
    void updateRecentMenu();

    QString dbPath_;
    std::optional<storage::Connection> pollDb_;
    std::int64_t dataVersion_ = -1;
    QTimer pollTimer_;
    quint64 runsGeneration_ = 0;

    TrainingController* training_ = nullptr;
    widgets::RunsModel* runs_ = nullptr;
    widgets::RunsFilterModel* filter_ = nullptr;
    QTableView* table_ = nullptr;
    QLineEdit* filterEdit_ = nullptr;
    widgets::CurvesPanels* curves_ = nullptr;
    widgets::LogView* log_ = nullptr;
    QDockWidget* logDock_ = nullptr;
    QStackedWidget* pages_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    widgets::LrFinderView* lrFinder_ = nullptr;
    widgets::GalleryView* gallery_ = nullptr;
    widgets::CompareView* compare_ = nullptr;
    widgets::LineageView* lineage_ = nullptr;
    widgets::ChecklistView* checklist_ = nullptr;
    widgets::LeaderboardView* leaderboard_ = nullptr;
    widgets::WelcomePanel* welcome_ = nullptr;
    widgets::DatabaseErrorPanel* dbError_ = nullptr;
    QList<QAction*> databaseActions_;  // disabled while no database is open
    QSplitter* splitter_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* progressLabel_ = nullptr;
    QPushButton* stop_ = nullptr;
    QMenu* recentMenu_ = nullptr;
    std::shared_ptr<spdlog::sinks::sink> logSink_;
    widgets::LatestLoader<widgets::RunsSnapshot>
        runsLoader_;  // last: waits for a running load first
};

}  // namespace runboard::app
