#include "app/main_window.h"

#include <spdlog/spdlog.h>

#include <QCloseEvent>
#include <QDockWidget>
#include <QFileInfo>
#include <QMessageBox>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>

#include "app/qt_log_sink.h"
#include "app/run_launcher.h"
#include "app/training_status.h"
#include "widgets/checklist_view.h"
#include "widgets/compare_view.h"
#include "widgets/curves_panels.h"
#include "widgets/curves_view.h"
#include "widgets/database_error_panel.h"
#include "widgets/gallery_view.h"
#include "widgets/leaderboard_view.h"
#include "widgets/lineage_view.h"
#include "widgets/log_view.h"
#include "widgets/lr_finder_view.h"
#include "widgets/profile_view.h"
#include "widgets/runs_page.h"
#include "widgets/thread_handoff.h"
#include "widgets/welcome_panel.h"
#include "widgets/workspace.h"

namespace runboard::app {

MainWindow::MainWindow(const QString& dbPath, QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(QStringLiteral("Runboard"));
    workspace_ = new widgets::Workspace(this);
    training_ = new TrainingController(this);
    launcher_ = new RunLauncher(training_, workspace_, this);
    buildTabs();

    log_ = new widgets::LogView(this);
    logDock_ = new QDockWidget(tr("Log"), this);
    logDock_->setObjectName(QStringLiteral("logDock"));
    logDock_->setWidget(log_);  // starts at LogView's hint, five lines; View > Log hides it
    addDockWidget(Qt::BottomDockWidgetArea, logDock_);
    logSink_ = std::make_shared<QtLogSink>(log_);
    logSink_->set_pattern("%H:%M:%S [%l] %v");
    spdlog::default_logger()->sinks().push_back(logSink_);

    buildMenus();
    status_ = new TrainingStatus(training_, lrFinder_, statusBar());
    connect(training_, &TrainingController::ended, this, &MainWindow::refreshRuns);
    connect(launcher_, &RunLauncher::runsQueued, this, &MainWindow::refreshRuns);
    connect(launcher_, &RunLauncher::sweepQueued, this,
            [this] { tabs_->setCurrentWidget(lrFinder_); });

    pollTimer_.setInterval(500);
    connect(&pollTimer_, &QTimer::timeout, this, &MainWindow::poll);

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    runsPage_->splitter()->restoreState(
        settings.value(QStringLiteral("window/splitter")).toByteArray());
    openDatabase(dbPath);
}

void MainWindow::buildTabs() {
    // Every view subscribes to the workspace in its constructor; only the cross-tab navigation
    // and the window's own actions are connected here.
    runsPage_ = new widgets::RunsPage(workspace_, this);
    connect(runsPage_, &widgets::RunsPage::runsLoaded, this, &MainWindow::runsLoaded);
    connect(runsPage_->welcome(), &widgets::WelcomePanel::trainDefaultRequested, this, [this] {
        (void)launcher_->startRun(config::Config::defaults(), tr("default recipe"));
    });
    auto* error = runsPage_->databaseError();
    connect(error, &widgets::DatabaseErrorPanel::retryRequested, this, &MainWindow::retryOpen);
    connect(error, &widgets::DatabaseErrorPanel::openAnotherRequested, this,
            [this] { chooseDatabase(false); });
    connect(error, &widgets::DatabaseErrorPanel::newDatabaseRequested, this,
            [this] { chooseDatabase(true); });

    gallery_ = new widgets::GalleryView(workspace_, this);
    compare_ = new widgets::CompareView(workspace_, this);
    lineage_ = new widgets::LineageView(workspace_, this);
    connect(lineage_, &widgets::LineageView::runActivated, this, &MainWindow::showRuns);
    checklist_ = new widgets::ChecklistView(workspace_, this);
    lrFinder_ = new widgets::LrFinderView(workspace_, this);
    connect(lrFinder_, &widgets::LrFinderView::newSweepRequested, launcher_,
            &RunLauncher::showNewSweepDialog);
    connect(lrFinder_, &widgets::LrFinderView::runRequested, launcher_, &RunLauncher::showRunAtLr);
    leaderboard_ = new widgets::LeaderboardView(workspace_, this);
    connect(leaderboard_, &widgets::LeaderboardView::competitionModeRequested, this,
            &MainWindow::setCompetitionMode);
    connect(leaderboard_, &widgets::LeaderboardView::runActivated, this, &MainWindow::showRuns);
    profile_ = new widgets::ProfileView(workspace_, this);
    connect(profile_, &widgets::ProfileView::profileRequested, training_,
            &TrainingController::profileCurrent);
    connect(training_, &TrainingController::started, profile_,
            [this](qint64 run) { profile_->setTrainingRun(run); });
    connect(training_, &TrainingController::ended, profile_, [this] {
        profile_->setTrainingRun(0);
        profile_->refresh();
    });

    tabs_ = new QTabWidget(this);
    tabs_->setDocumentMode(true);
    tabs_->addTab(runsPage_, tr("Runs"));
    tabs_->addTab(gallery_, tr("Predictions"));
    tabs_->addTab(compare_, tr("Compare"));
    tabs_->addTab(lineage_, tr("Lineage"));
    tabs_->addTab(checklist_, tr("Checks"));
    tabs_->addTab(lrFinder_, tr("LR finder"));
    tabs_->addTab(leaderboard_, tr("Leaderboard"));
    tabs_->addTab(profile_, tr("Profile"));
    setCentralWidget(tabs_);
}

MainWindow::~MainWindow() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), logSink_), sinks.end());
}

widgets::CurvesView* MainWindow::curves() const {
    return panels()->panels().front();
}
widgets::CurvesPanels* MainWindow::panels() const {
    return runsPage_->curves();
}
widgets::RunsModel* MainWindow::runsModel() const {
    return runsPage_->model();
}
QTableView* MainWindow::runsTable() const {
    return runsPage_->table();
}
widgets::DatabaseErrorPanel* MainWindow::databaseError() const {
    return runsPage_->databaseError();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (training_->busy() &&
        QMessageBox::question(this, tr("Quit"), tr("A run is training. Stop it and quit?")) !=
            QMessageBox::Yes) {
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/splitter"), runsPage_->splitter()->saveState());
    event->accept();
}

void MainWindow::openDatabase(const QString& path) {
    // Open (create, migrate, recover interrupted runs) once here; views read on their own.
    auto store = storage::RunStore::open(path.toStdString());
    auto poll = store ? storage::Connection::open(path.toStdString(), storage::OpenMode::ReadOnly)
                      : storage::Result<storage::Connection>(store.error());
    if (!poll) {
        const QString message = QString::fromStdString(poll.error().message);
        spdlog::error("cannot open the database {}: {}", path.toStdString(), poll.error().message);
        if (hasDatabase()) {  // the one open stays
            QMessageBox::warning(this, tr("Open database"),
                                 tr("%1\n\n%2 stays open.").arg(message, dbPath_));
            return;
        }
        showDatabaseError(path, message);
        return;
    }
    dbPath_ = path;
    pollDb_.emplace(std::move(poll.value()));
    // Today's version: the views load once now, not again at the first poll.
    const auto version = pollDb_->queryInt("PRAGMA data_version");
    dataVersion_ = version ? version.value() : -1;
    training_->setDatabase(path);
    workspace_->setDatabase(path);
    setDatabaseOpen(true);
    setWindowTitle(tr("Runboard - %1").arg(QFileInfo(path).fileName()));
    rememberDatabase(path);
    pollTimer_.start();
}

void MainWindow::showDatabaseError(const QString& path, const QString& message) {
    runsPage_->showDatabaseError(path, message);
    tabs_->setCurrentWidget(runsPage_);
    setDatabaseOpen(false);
    setWindowTitle(tr("Runboard - no database"));
}

void MainWindow::retryOpen() {
    auto* error = runsPage_->databaseError();
    const QString path = error->path();
    error->setRetrying(true);
    widgets::runInBackground<QString>(
        this,
        [p = path.toStdString()] {
            auto store = storage::RunStore::open(p);
            return store ? QString() : QString::fromStdString(store.error().message);
        },
        [this, path](const QString& message) {
            if (hasDatabase()) return;  // another one was opened meanwhile
            if (message.isEmpty())
                openDatabase(path);  // free now: opens at once (or shows why not)
            else
                showDatabaseError(path, message);
        },
        [this, path](const QString& message) {
            if (!hasDatabase()) showDatabaseError(path, message);
        });
}

void MainWindow::setDatabaseOpen(bool open) {
    for (QAction* a : databaseActions_)
        a->setEnabled(open);
    lrFinder_->setSweepsAllowed(open);
    updateResumeAction();
}

void MainWindow::poll() {
    if (!pollDb_) return;
    // Changes by any other connection (our writer, a CLI run in another process) bump it.
    auto v = pollDb_->queryInt("PRAGMA data_version");
    if (!v || v.value() == dataVersion_) return;
    dataVersion_ = v.value();
    workspace_->notifyDataChanged();
}

void MainWindow::refreshRuns() {
    runsPage_->refresh();
}

void MainWindow::selectRuns(const std::vector<storage::RunId>& ids) {
    runsPage_->selectRuns(ids);
}

void MainWindow::showRuns(storage::RunId run) {
    tabs_->setCurrentWidget(runsPage_);
    selectRuns({run});
}

void MainWindow::setCompetitionMode(bool on) {
    if (!on && QMessageBox::question(this, tr("Competition mode"),
                                     tr("Reveal the private scores and the whole test set's "
                                        "metrics? Looking at them is what the private part "
                                        "protects you from.")) != QMessageBox::Yes) {
        leaderboard_->refresh();  // puts the box back
        return;
    }
    writeStore(tr("Competition mode"), [on](storage::RunStore& store) {
        return storage::setCompetitionMode(store.connection(), on);
    });
}

}  // namespace runboard::app
