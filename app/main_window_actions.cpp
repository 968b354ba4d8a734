// The main window's menus and its edits of the database (rename, notes, delete, recent files).

#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QTableView>

#include "app/main_window.h"
#include "app/run_launcher.h"
#include "app/training_worker.h"
#include "storage/leaderboard.h"
#include "storage/resume_store.h"
#include "widgets/curves_panels.h"
#include "widgets/runs_model.h"
#include "widgets/runs_page.h"
#include "widgets/thread_handoff.h"
#include "widgets/workspace.h"

namespace runboard::app {

void MainWindow::chooseDatabase(bool create) {
    const QString path =
        create ? QFileDialog::getSaveFileName(this, tr("New database"), QDir::homePath(),
                                              tr("Runboard databases (*.db)"))
               : QFileDialog::getOpenFileName(this, tr("Open database"), QDir::homePath(),
                                              tr("Runboard databases (*.db);;All files (*)"));
    if (!path.isEmpty()) openDatabase(path);
}

bool MainWindow::exportCharts(const QString& path) {
    // Every curves panel the user sees, stacked as on screen, in one file (CSV: every panel's
    // series, one metric column).
    const QString suffix = QFileInfo(path).suffix().toLower();
    widgets::CurvesPanels* curves = panels();
    return suffix == QLatin1String("csv")   ? curves->exportCsv(path)
           : suffix == QLatin1String("svg") ? curves->exportSvg(path)
                                            : curves->exportPng(path);
}

void MainWindow::exportChart(const QString& format) {
    const QString filter = format == QLatin1String("csv")   ? tr("CSV (*.csv)")
                           : format == QLatin1String("svg") ? tr("SVG (*.svg)")
                                                            : tr("PNG (*.png)");
    QString p =
        QFileDialog::getSaveFileName(this, tr("Export %1").arg(format.toUpper()), {}, filter);
    if (p.isEmpty()) return;
    if (QFileInfo(p).suffix().isEmpty()) p += "." + format;
    if (!exportCharts(p)) QMessageBox::warning(this, tr("Export"), tr("Cannot write %1").arg(p));
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&New database..."), this, [this] { chooseDatabase(true); });
    file->addAction(tr("&Open database..."), QKeySequence::Open, this,
                    [this] { chooseDatabase(false); });
    recentMenu_ = file->addMenu(tr("&Recent databases"));
    file->addSeparator();
    file->addAction(tr("Export chart as &PNG..."), this, [this] { exportChart("png"); });
    file->addAction(tr("Export chart as &SVG..."), this, [this] { exportChart("svg"); });
    file->addAction(tr("Export visible series as &CSV..."), this, [this] { exportChart("csv"); });
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(logDock_->toggleViewAction());

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    auto* newRun = run->addAction(tr("&New run..."), QKeySequence::New, launcher_,
                                  [this] { launcher_->showNewRunDialog(false); });
    auto* fromSelected = run->addAction(tr("New run from &selected..."), launcher_,
                                        [this] { launcher_->showNewRunDialog(true); });
    auto* repeat = run->addAction(tr("Re&peat with new seeds..."), this, [this] {
        const auto ids = runsPage_->selectedRuns();
        bool ok = false;
        const int n = ids.empty()
                          ? 0
                          : QInputDialog::getInt(this, tr("Repeat"), tr("Copies with new seeds:"),
                                                 3, 1, 100, 1, &ok);
        if (ok) (void)launcher_->repeatRun(ids.front(), n);
    });
    auto* sweep =
        run->addAction(tr("New &LR sweep..."), launcher_, &RunLauncher::showNewSweepDialog);
    run->addAction(tr("&Stop"), this, [this] { training_->stopCurrent(); });
    resume_ = run->addAction(tr("Res&ume"), this, &MainWindow::resumeSelected);
    run->setToolTipsVisible(true);  // a disabled Resume says why
    run->addSeparator();
    auto* rename = run->addAction(tr("&Rename..."), this, &MainWindow::renameSelected);
    auto* notes = run->addAction(tr("&Notes..."), this, &MainWindow::editNotes);
    auto* del =
        run->addAction(tr("&Delete..."), QKeySequence::Delete, this, &MainWindow::deleteSelected);
    runsTable()->addActions({fromSelected, repeat, resume_, rename, notes, del});
    connect(runsTable()->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::updateResumeAction);
    connect(training_, &TrainingController::started, this, &MainWindow::updateResumeAction);
    connect(runsPage_, &widgets::RunsPage::runsLoaded, this, &MainWindow::updateResumeAction);
    connect(training_, &TrainingController::ended, this, [this](const RunEnded& e) {
        updateResumeAction();
        if (!e.refused) return;
        auto* box = new QMessageBox(QMessageBox::Warning, tr("Resume run %1").arg(e.id),
                                    tr("Run %1 was not resumed: %2").arg(e.id).arg(e.message),
                                    QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();  // not exec(): the event loop (and training) go on
    });
    updateResumeAction();
    // Nothing of these may run without an open database (setDatabaseOpen).
    databaseActions_ = {newRun, fromSelected, repeat, sweep, rename, notes, del};
    updateRecentMenu();
}

void MainWindow::updateResumeAction() {
    if (resume_ == nullptr) return;
    const auto ids = runsPage_->selectedRuns();
    QString why;
    if (dbPath_.isEmpty()) {
        why = tr("No database is open");
    } else if (ids.size() != 1) {
        why = tr("Select one stopped, interrupted or failed run to resume it");
    } else {
        // A few small queries and a lock probe: cheap enough for a selection change.
        auto store =
            storage::RunStore::open(dbPath_.toStdString(), {.create = false, .readOnly = true});
        const storage::Status s =
            store ? storage::checkResumable(store.value(), ids.front()) : store.error();
        if (!s) why = QString::fromStdString(s.error().message);
    }
    resume_->setEnabled(why.isEmpty());
    const QString tip = why.isEmpty()
                            ? tr("Continue run %1 from its newest checkpoint, bit for bit")
                                  .arg(ids.empty() ? 0 : ids.front())
                            : why;
    resume_->setToolTip(tip);
    resume_->setStatusTip(tip);
}

void MainWindow::resumeSelected() {
    const auto ids = runsPage_->selectedRuns();
    if (ids.size() != 1) return;
    if (auto s = training_->enqueueResume(ids.front()); !s) {
        QMessageBox::warning(this, tr("Resume"), QString::fromStdString(s.error().message));
        return;
    }
    refreshRuns();
}

void MainWindow::renameSelected() {
    const auto ids = runsPage_->selectedRuns();
    if (ids.size() != 1) return;
    const int row = runsModel()->rowOf(ids.front());
    bool ok = false;
    const QString name =
        QInputDialog::getText(this, tr("Rename run"), tr("Name"), QLineEdit::Normal,
                              QString::fromStdString(runsModel()->run(row).run.name), &ok);
    if (!ok) return;
    writeStore(tr("Rename run"), [id = ids.front(), n = name.trimmed().toStdString()](
                                     storage::RunStore& store) { return store.rename(id, n); });
}

void MainWindow::editNotes() {
    const auto ids = runsPage_->selectedRuns();
    if (ids.size() != 1) return;
    const int row = runsModel()->rowOf(ids.front());
    bool ok = false;
    const QString notes = QInputDialog::getMultiLineText(
        this, tr("Notes"), tr("Notes"), QString::fromStdString(runsModel()->run(row).run.notes),
        &ok);
    if (!ok) return;
    writeStore(tr("Notes"), [id = ids.front(), n = notes.toStdString()](storage::RunStore& store) {
        return store.setNotes(id, n);
    });
}

void MainWindow::deleteSelected() {
    const auto ids = runsPage_->selectedRuns();
    if (ids.empty()) return;
    if (QMessageBox::question(
            this, tr("Delete runs"),
            tr("Delete %n run(s) with all their metrics, predictions and checkpoint files?", "",
               static_cast<int>(ids.size()))) != QMessageBox::Yes)
        return;
    writeStore(tr("Delete runs"), [ids](storage::RunStore& store) {
        for (storage::RunId id : ids)
            if (auto s = store.deleteRun(id); !s) return s;
        return storage::Status{};
    });
}

void MainWindow::writeStore(const QString& title,
                            std::function<storage::Status(storage::RunStore&)> action) {
    widgets::runInBackground<QString>(
        this,
        [db = dbPath_.toStdString(), action = std::move(action)]() -> QString {
            auto store = storage::RunStore::open(db, {.create = false});
            const storage::Status s =
                store ? action(store.value()) : storage::Status(store.error());
            return s ? QString() : QString::fromStdString(s.error().message);
        },
        [this, title](const QString& error) {
            if (!error.isEmpty()) QMessageBox::warning(this, title, error);
            workspace_->notifyDataChanged();
        },
        [this, title](const QString& error) {
            QMessageBox::warning(this, title, error);
            workspace_->notifyDataChanged();
        });
}

void MainWindow::rememberDatabase(const QString& path) {
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("recentDatabases")).toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > 8)
        recent.removeLast();
    settings.setValue(QStringLiteral("recentDatabases"), recent);
    settings.setValue(QStringLiteral("lastDatabase"), path);
    updateRecentMenu();
}

void MainWindow::updateRecentMenu() {
    if (recentMenu_ == nullptr) return;
    recentMenu_->clear();
    for (const QString& p : QSettings().value(QStringLiteral("recentDatabases")).toStringList())
        recentMenu_->addAction(p, this, [this, p] { openDatabase(p); });
}

}  // namespace runboard::app
