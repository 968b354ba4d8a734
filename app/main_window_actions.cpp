// The main window's menus and its edits of the database (rename, notes, delete, recent files):
// split from main_window.cpp to keep both under 600 lines.

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
#include "widgets/curves_panels.h"
#include "widgets/runs_model.h"

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
    return suffix == QLatin1String("csv")   ? curves_->exportCsv(path)
           : suffix == QLatin1String("svg") ? curves_->exportSvg(path)
                                            : curves_->exportPng(path);
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
    auto* newRun = run->addAction(tr("&New run..."), QKeySequence::New, this,
                                  [this] { showNewRunDialog(false); });
    auto* fromSelected =
        run->addAction(tr("New run from &selected..."), this, [this] { showNewRunDialog(true); });
    auto* repeat = run->addAction(tr("Re&peat with new seeds..."), this, [this] {
        const auto ids = selectedRuns();
        bool ok = false;
        const int n = ids.empty()
                          ? 0
                          : QInputDialog::getInt(this, tr("Repeat"), tr("Copies with new seeds:"),
                                                 3, 1, 100, 1, &ok);
        if (ok) (void)repeatRun(ids.front(), n);
    });
    auto* sweep = run->addAction(tr("New &LR sweep..."), this, [this] { showNewSweepDialog(); });
    run->addAction(tr("&Stop"), this, [this] { training_->stopCurrent(); });
    run->addSeparator();
    auto* rename = run->addAction(tr("&Rename..."), this, &MainWindow::renameSelected);
    auto* notes = run->addAction(tr("&Notes..."), this, &MainWindow::editNotes);
    auto* del =
        run->addAction(tr("&Delete..."), QKeySequence::Delete, this, &MainWindow::deleteSelected);
    table_->addActions({fromSelected, repeat, rename, notes, del});
    // Nothing of these may run without an open database (setDatabaseOpen).
    databaseActions_ = {newRun, fromSelected, repeat, sweep, rename, notes, del};
    updateRecentMenu();
}

void MainWindow::renameSelected() {
    const auto ids = selectedRuns();
    if (ids.size() != 1) return;
    const int row = runs_->rowOf(ids.front());
    bool ok = false;
    const QString name =
        QInputDialog::getText(this, tr("Rename run"), tr("Name"), QLineEdit::Normal,
                              QString::fromStdString(runs_->run(row).run.name), &ok);
    if (!ok) return;
    writeStore(tr("Rename run"), [&](storage::RunStore& store) {
        return store.rename(ids.front(), name.trimmed().toStdString());
    });
}

void MainWindow::editNotes() {
    const auto ids = selectedRuns();
    if (ids.size() != 1) return;
    const int row = runs_->rowOf(ids.front());
    bool ok = false;
    const QString notes = QInputDialog::getMultiLineText(
        this, tr("Notes"), tr("Notes"), QString::fromStdString(runs_->run(row).run.notes), &ok);
    if (!ok) return;
    writeStore(tr("Notes"), [&](storage::RunStore& store) {
        return store.setNotes(ids.front(), notes.toStdString());
    });
}

void MainWindow::deleteSelected() {
    const auto ids = selectedRuns();
    if (ids.empty()) return;
    if (QMessageBox::question(
            this, tr("Delete runs"),
            tr("Delete %n run(s) with all their metrics, predictions and checkpoint files?", "",
               static_cast<int>(ids.size()))) != QMessageBox::Yes)
        return;
    for (storage::RunId id : ids)
        writeStore(tr("Delete runs"),
                   [&](storage::RunStore& store) { return store.deleteRun(id); });
}

void MainWindow::writeStore(const QString& title,
                            const std::function<storage::Status(storage::RunStore&)>& action) {
    auto store = storage::RunStore::open(dbPath_.toStdString());
    const storage::Status s = store ? action(store.value()) : storage::Status(store.error());
    if (!s) QMessageBox::warning(this, title, QString::fromStdString(s.error().message));
    refreshRuns();
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
