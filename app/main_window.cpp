#include "app/main_window.h"

#include <spdlog/spdlog.h>

#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <QtConcurrent>

#include "app/qt_log_sink.h"
#include "app/repeats.h"
#include "storage/leaderboard.h"
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
#include "widgets/new_run_dialog.h"
#include "widgets/runs_model.h"
#include "widgets/welcome_panel.h"

namespace runboard::app {
namespace {

QString formatEta(double seconds) {
    const auto s = static_cast<qint64>(seconds + 0.5);
    return s >= 3600 ? QStringLiteral("%1h %2m").arg(s / 3600).arg((s % 3600) / 60)
                     : QStringLiteral("%1m %2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

}  // namespace

MainWindow::MainWindow(const QString& dbPath, QWidget* parent)
    : QMainWindow(parent),
      runsLoader_(
          this,
          [this]() -> std::function<widgets::RunsSnapshot()> {
              if (dbPath_.isEmpty()) return {};
              return [db = dbPath_, generation = ++runsGeneration_] {
                  return widgets::loadRuns(db, generation);
              };
          },
          [this](widgets::RunsSnapshot s) { applyRuns(std::move(s)); }) {
    setWindowTitle(QStringLiteral("Runboard"));
    training_ = new TrainingController(this);

    // Runs: a filter line over the table.
    runs_ = new widgets::RunsModel(this);
    filter_ = new widgets::RunsFilterModel(this);
    filter_->setSourceModel(runs_);
    table_ = new QTableView(this);
    table_->setModel(filter_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(widgets::RunsModel::CreatedColumn, Qt::DescendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 8);
    table_->setWordWrap(false);
    table_->setTextElideMode(Qt::ElideRight);
    table_->setColumnWidth(widgets::RunsModel::NameColumn, 240);
    table_->setColumnWidth(widgets::RunsModel::CreatedColumn, 140);
    table_->horizontalHeader()->setStretchLastSection(false);
    table_->horizontalHeader()->setSectionResizeMode(widgets::RunsModel::ParamsColumn,
                                                     QHeaderView::Stretch);
    table_->setContextMenuPolicy(Qt::ActionsContextMenu);
    // Room for six runs however the splitter divides the height; the curves take the rest.
    table_->setMinimumHeight(table_->verticalHeader()->defaultSectionSize() * 6 +
                             table_->horizontalHeader()->sizeHint().height() + 4);
    filterEdit_ = new QLineEdit(this);
    filterEdit_->setPlaceholderText(tr("Filter: name, status:finished, lr=0.1"));
    filterEdit_->setClearButtonEnabled(true);
    connect(filterEdit_, &QLineEdit::textChanged, filter_,
            &widgets::RunsFilterModel::setFilterText);
    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(filterEdit_);
    leftLayout->addWidget(table_, 1);

    curves_ = new widgets::CurvesPanels(this);
    curves_->addPanel(QStringLiteral("train/loss"));
    curves_->addPanel(QStringLiteral("val/accuracy"));
    splitter_ = new QSplitter(Qt::Vertical, this);
    splitter_->addWidget(left);
    splitter_->addWidget(curves_);
    splitter_->setStretchFactor(1, 3);
    // A quarter for the runs (never under the table's six rows), the rest for the curves: the
    // table's size hint took 37% at 1280x800, when the two panels' plots were 55 px high.
    splitter_->setSizes({1, 3});

    // Welcome: an empty database gets one button that trains the default recipe.
    welcome_ = new widgets::WelcomePanel(this);
    connect(welcome_, &widgets::WelcomePanel::trainDefaultRequested, this,
            [this] { (void)startRun(config::Config::defaults(), tr("default recipe")); });

    // No database could be opened: what is wrong, and the ways on.
    dbError_ = new widgets::DatabaseErrorPanel(this);
    connect(dbError_, &widgets::DatabaseErrorPanel::retryRequested, this, &MainWindow::retryOpen);
    connect(dbError_, &widgets::DatabaseErrorPanel::openAnotherRequested, this,
            [this] { chooseDatabase(false); });
    connect(dbError_, &widgets::DatabaseErrorPanel::newDatabaseRequested, this,
            [this] { chooseDatabase(true); });

    pages_ = new QStackedWidget(this);
    pages_->addWidget(welcome_);
    pages_->addWidget(splitter_);
    pages_->addWidget(dbError_);
    lrFinder_ = new widgets::LrFinderView(this);
    tabs_ = new QTabWidget(this);
    tabs_->setDocumentMode(true);
    tabs_->addTab(pages_, tr("Runs"));
    gallery_ = new widgets::GalleryView(this);
    tabs_->addTab(gallery_, tr("Predictions"));
    compare_ = new widgets::CompareView(this);
    tabs_->addTab(compare_, tr("Compare"));
    lineage_ = new widgets::LineageView(this);
    tabs_->addTab(lineage_, tr("Lineage"));
    checklist_ = new widgets::ChecklistView(this);
    tabs_->addTab(checklist_, tr("Checks"));
    connect(lineage_, &widgets::LineageView::runActivated, this, [this](qint64 run) {
        tabs_->setCurrentWidget(pages_);
        selectRuns({run});
    });
    tabs_->addTab(lrFinder_, tr("LR finder"));
    leaderboard_ = new widgets::LeaderboardView(this);
    tabs_->addTab(leaderboard_, tr("Leaderboard"));
    connect(leaderboard_, &widgets::LeaderboardView::competitionModeRequested, this,
            &MainWindow::setCompetitionMode);
    connect(leaderboard_, &widgets::LeaderboardView::runActivated, this, [this](qint64 run) {
        tabs_->setCurrentWidget(pages_);
        selectRuns({run});
    });
    connect(tabs_, &QTabWidget::currentChanged, this, [this] {
        if (tabs_->currentWidget() == lrFinder_) lrFinder_->refresh();
        if (tabs_->currentWidget() == leaderboard_) leaderboard_->refresh();
        if (tabs_->currentWidget() == gallery_) gallery_->refresh();
        if (tabs_->currentWidget() == compare_) compare_->refresh();
        if (tabs_->currentWidget() == lineage_) refreshRuns();
        if (tabs_->currentWidget() == checklist_) checklist_->refresh();
    });
    setCentralWidget(tabs_);
    connectLrFinder();

    log_ = new widgets::LogView(this);
    auto* dock = new QDockWidget(tr("Log"), this);
    dock->setObjectName(QStringLiteral("logDock"));
    dock->setWidget(log_);
    addDockWidget(Qt::BottomDockWidgetArea, dock);
    logDock_ = dock;  // starts at LogView's hint, five lines; View > Log hides it
    logSink_ = std::make_shared<QtLogSink>(log_);
    logSink_->set_pattern("%H:%M:%S [%l] %v");
    spdlog::default_logger()->sinks().push_back(logSink_);

    buildMenus();
    buildStatusBar();

    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::onSelectionChanged);
    connect(training_, &TrainingController::progress, this, [this](const RunProgress& p) {
        progress_->setMaximum(static_cast<int>(std::min<qint64>(p.totalSteps, INT_MAX)));
        progress_->setValue(static_cast<int>(p.step));
        progressLabel_->setText(tr("run %1: epoch %2/%3, step %4/%5, loss %6, ETA %7")
                                    .arg(p.id)
                                    .arg(p.epoch)
                                    .arg(p.epochs)
                                    .arg(p.step)
                                    .arg(p.totalSteps)
                                    .arg(p.loss, 0, 'f', 4)
                                    .arg(formatEta(p.etaSeconds)));
        progress_->show();
        stop_->setEnabled(true);
    });
    connect(training_, &TrainingController::ended, this, [this](const RunEnded& e) {
        progress_->hide();
        stop_->setEnabled(training_->busy());
        progressLabel_->setText(tr("run %1 %2%3")
                                    .arg(e.id)
                                    .arg(QString::fromUtf8(storage::toString(e.status).data()))
                                    .arg(e.message.isEmpty() ? QString() : ": " + e.message));
        refreshRuns();
    });

    pollTimer_.setInterval(500);
    connect(&pollTimer_, &QTimer::timeout, this, &MainWindow::poll);

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    splitter_->restoreState(settings.value(QStringLiteral("window/splitter")).toByteArray());
    openDatabase(dbPath);
}

widgets::CurvesView* MainWindow::curves() const {
    return curves_->panels().front();
}

MainWindow::~MainWindow() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), logSink_), sinks.end());
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
    settings.setValue(QStringLiteral("window/splitter"), splitter_->saveState());
    event->accept();
}

void MainWindow::buildStatusBar() {
    progress_ = new QProgressBar(this);
    progress_->setMaximumWidth(220);
    progress_->hide();
    progressLabel_ = new QLabel(this);
    stop_ = new QPushButton(tr("Stop"), this);
    stop_->setEnabled(false);
    connect(stop_, &QPushButton::clicked, this, [this] { training_->stopCurrent(); });
    statusBar()->addWidget(progressLabel_, 1);
    statusBar()->addPermanentWidget(progress_);
    statusBar()->addPermanentWidget(stop_);
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
    dataVersion_ = -1;
    training_->setDatabase(path);
    curves_->setDatabase(path);
    lrFinder_->setDatabase(path);
    leaderboard_->setDatabase(path);
    gallery_->setDatabase(path);
    compare_->setDatabase(path);
    checklist_->setDatabase(path);
    runs_->setRuns({});
    welcome_->setDatabasePath(path);
    if (pages_->currentWidget() == dbError_) pages_->setCurrentWidget(welcome_);
    setDatabaseOpen(true);
    setWindowTitle(tr("Runboard - %1").arg(QFileInfo(path).fileName()));
    rememberDatabase(path);
    refreshRuns();
    pollTimer_.start();
}

void MainWindow::showDatabaseError(const QString& path, const QString& message) {
    dbError_->setError(path, message);
    pages_->setCurrentWidget(dbError_);
    tabs_->setCurrentWidget(pages_);
    setDatabaseOpen(false);
    setWindowTitle(tr("Runboard - no database"));
}

void MainWindow::retryOpen() {
    const QString path = dbError_->path();
    dbError_->setRetrying(true);
    auto* watcher = new QFutureWatcher<QString>(this);
    connect(watcher, &QFutureWatcher<QString>::finished, this, [this, watcher, path] {
        watcher->deleteLater();
        if (hasDatabase()) return;  // another one was opened meanwhile
        const QString error = watcher->result();
        if (error.isEmpty())
            openDatabase(path);  // free now: opens at once (or shows why not)
        else
            showDatabaseError(path, error);
    });
    watcher->setFuture(QtConcurrent::run([p = path.toStdString()] {
        auto store = storage::RunStore::open(p);
        return store ? QString() : QString::fromStdString(store.error().message);
    }));
}

void MainWindow::setDatabaseOpen(bool open) {
    for (QAction* a : databaseActions_)
        a->setEnabled(open);
    lrFinder_->setSweepsAllowed(open);
}

void MainWindow::poll() {
    if (!pollDb_) return;
    // Changes by any other connection (our writer, a CLI run in another process) bump it.
    auto v = pollDb_->queryInt("PRAGMA data_version");
    if (!v || v.value() == dataVersion_) return;
    dataVersion_ = v.value();
    refreshRuns();
    curves_->requestRefresh();
    if (tabs_->currentWidget() == lrFinder_) lrFinder_->refresh();
    if (tabs_->currentWidget() == leaderboard_) leaderboard_->refresh();
    if (tabs_->currentWidget() == gallery_) gallery_->refresh();
}

void MainWindow::refreshRuns() {
    runsLoader_.request();
}

void MainWindow::applyRuns(widgets::RunsSnapshot snapshot) {
    if (snapshot.generation != runsGeneration_) return;
    if (!snapshot.error.isEmpty()) {
        spdlog::warn("loading runs: {}", snapshot.error.toStdString());
        return;
    }
    if (tabs_->currentWidget() == lineage_) lineage_->setRuns(snapshot.runs);
    runs_->setRuns(std::move(snapshot.runs));
    pages_->setCurrentIndex(runs_->rowCount() == 0 ? 0 : 1);
    if (table_->selectionModel()->selectedRows().isEmpty() && runs_->rowCount() > 0)
        selectRuns({runs_->runId(runs_->rowCount() - 1)});
    emit runsLoaded();
}

std::vector<storage::RunId> MainWindow::selectedRuns() const {
    std::vector<storage::RunId> ids;
    for (const QModelIndex& i : table_->selectionModel()->selectedRows())
        ids.push_back(i.data(widgets::RunsModel::RunIdRole).toLongLong());
    return ids;
}

void MainWindow::selectRuns(const std::vector<storage::RunId>& ids) {
    QItemSelection selection;
    for (storage::RunId id : ids) {
        const int row = runs_->rowOf(id);
        if (row < 0) continue;
        const QModelIndex i = filter_->mapFromSource(runs_->index(row, 0));
        selection.select(i, i.siblingAtColumn(widgets::RunsModel::ColumnCount - 1));
    }
    table_->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
}

void MainWindow::onSelectionChanged() {
    std::vector<std::pair<storage::RunId, QString>> runs;
    for (storage::RunId id : selectedRuns()) {
        const int row = runs_->rowOf(id);
        if (row >= 0)
            runs.emplace_back(id, QStringLiteral("#%1 %2").arg(id).arg(
                                      QString::fromStdString(runs_->run(row).run.name)));
    }
    curves_->setRuns(runs);
    gallery_->setRuns(runs);
    compare_->setRuns(runs);
    checklist_->setRun(runs.empty() ? 0 : runs.front().first,
                       runs.empty() ? QString() : runs.front().second);
}

storage::Result<storage::RunId> MainWindow::startRun(const config::Config& config,
                                                     const QString& name,
                                                     std::optional<storage::RunId> parent) {
    if (!hasDatabase())  // the actions are disabled; this is the last guard
        return storage::Error{storage::ErrorKind::CannotOpen, "no database is open"};
    auto id = training_->enqueue(config, name, parent);
    if (!id) {
        QMessageBox::warning(this, tr("New run"), QString::fromStdString(id.error().message));
        return id;
    }
    spdlog::info("queued run {}", id.value());
    refreshRuns();
    return id;
}

std::vector<storage::RunId> MainWindow::repeatRun(storage::RunId run, int n) {
    if (!hasDatabase()) return {};
    auto store = storage::RunStore::open(dbPath_.toStdString(), {.create = false});
    auto requests = store ? repeatRequests(store.value(), run, n)
                          : storage::Result<std::vector<RunRequest>>(store.error());
    if (!requests) {
        QMessageBox::warning(this, tr("Repeat"), QString::fromStdString(requests.error().message));
        return {};
    }
    std::vector<storage::RunId> ids;
    for (const RunRequest& r : requests.value())
        if (auto id =
                training_->enqueue(r.config, QString::fromStdString(r.name), r.parent, r.group))
            ids.push_back(id.value());
    refreshRuns();
    return ids;
}

std::optional<std::pair<storage::RunId, config::Config>> MainWindow::selectedConfig(
    const QString& title) {
    const auto ids = selectedRuns();
    if (ids.empty()) return std::nullopt;
    auto store =
        storage::RunStore::open(dbPath_.toStdString(), {.create = false, .readOnly = true});
    auto run = store ? store->run(ids.front()) : storage::Result<storage::RunRecord>(store.error());
    if (!run) {
        QMessageBox::warning(this, title, QString::fromStdString(run.error().message));
        return std::nullopt;
    }
    config::Config config = config::Config::defaults();
    try {
        config.mergeJson(run->configJson, "run " + std::to_string(ids.front()));
    } catch (const config::ConfigError& e) {
        QMessageBox::warning(this, title, QString::fromUtf8(e.what()));
        return std::nullopt;
    }
    return std::pair(ids.front(), std::move(config));
}

void MainWindow::showNewRunDialog(bool fromSelected) {
    if (!hasDatabase()) return;
    if (!fromSelected) return openNewRunDialog(config::Config::defaults());
    if (auto selected = selectedConfig(tr("New run")))
        openNewRunDialog(selected->second, {}, selected->first);
}

void MainWindow::openNewRunDialog(const config::Config& initial, const QString& name,
                                  std::optional<storage::RunId> parent) {
    widgets::NewRunDialog dialog(initial, this);
    dialog.setRunName(name);
    if (dialog.exec() != QDialog::Accepted) return;
    (void)startRun(dialog.config(), dialog.runName(), parent);
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
    leaderboard_->refresh();
    curves_->requestRefresh();
    gallery_->refresh();
}

void MainWindow::connectLrFinder() {
    connect(lrFinder_, &widgets::LrFinderView::newSweepRequested, this,
            &MainWindow::showNewSweepDialog);
    connect(lrFinder_, &widgets::LrFinderView::stopRequested, training_,
            &TrainingController::stopCurrent);
    connect(lrFinder_, &widgets::LrFinderView::runRequested, this,
            [this](const QString& json, double lr, const QString& name) {
                config::Config config = config::Config::defaults();
                try {
                    config.mergeJson(json.toStdString(), "sweep config");
                } catch (const config::ConfigError& e) {
                    QMessageBox::warning(this, tr("New run"), QString::fromUtf8(e.what()));
                    return;
                }
                config.set("lr", lr);
                openNewRunDialog(config, name);
            });
    connect(training_, &TrainingController::sweepStarted, this, [this](const QString& name) {
        lrFinder_->beginLive(name.isEmpty() ? tr("sweep") : name);
        lrFinder_->setBusy(true);
        progressLabel_->setText(tr("LR sweep running"));
        stop_->setEnabled(true);
    });
    connect(training_, &TrainingController::sweepPoint, this, [this](const sweep::Point& p) {
        lrFinder_->addLivePoint(p);
        progressLabel_->setText(tr("LR sweep: step %1, lr %2, loss %3")
                                    .arg(p.step + 1)
                                    .arg(p.lr, 0, 'g', 3)
                                    .arg(p.loss, 0, 'f', 4));
    });
    connect(training_, &TrainingController::sweepEnded, this, [this](const SweepEnded& e) {
        lrFinder_->endLive();
        lrFinder_->setBusy(false);
        stop_->setEnabled(training_->busy());
        if (e.id == 0) {
            progressLabel_->setText(tr("LR sweep failed: %1").arg(e.message));
            return;
        }
        progressLabel_->setText(tr("LR sweep %1 %2").arg(e.id).arg(e.reason));
        lrFinder_->selectSweeps({e.id});
    });
}

void MainWindow::showNewSweepDialog() {
    if (!hasDatabase()) return;
    // The selected run's config, if there is one: "what LR should this run have used?"
    const auto selected = selectedRuns().empty() ? std::nullopt : selectedConfig(tr("New sweep"));
    widgets::NewRunDialog dialog(selected ? selected->second : config::Config::defaults(), this,
                                 sweep::Options{});
    if (dialog.exec() != QDialog::Accepted) return;
    startSweep(dialog.config(), dialog.sweepOptions(), dialog.runName());
}

void MainWindow::startSweep(const config::Config& config, const sweep::Options& options,
                            const QString& name) {
    if (!hasDatabase()) return;
    training_->enqueueSweep(config, options, name);
    tabs_->setCurrentWidget(lrFinder_);
}

}  // namespace runboard::app
