#include "app/run_launcher.h"

#include <spdlog/spdlog.h>

#include <QMessageBox>

#include "app/repeats.h"
#include "app/training_worker.h"
#include "widgets/new_run_dialog.h"
#include "widgets/workspace.h"

namespace runboard::app {

RunLauncher::RunLauncher(TrainingController* training, widgets::Workspace* workspace,
                         QWidget* window)
    : QObject(window), training_(training), workspace_(workspace), window_(window) {}

storage::Result<storage::RunId> RunLauncher::startRun(const config::Config& config,
                                                      const QString& name,
                                                      std::optional<storage::RunId> parent) {
    if (workspace_->databasePath().isEmpty())  // the actions are disabled; this is the last guard
        return storage::Error{storage::ErrorKind::CannotOpen, "no database is open"};
    auto id = training_->enqueue(config, name, parent);
    if (!id) {
        QMessageBox::warning(window_, tr("New run"), QString::fromStdString(id.error().message));
        return id;
    }
    spdlog::info("queued run {}", id.value());
    emit runsQueued();
    return id;
}

std::vector<storage::RunId> RunLauncher::repeatRun(storage::RunId run, int n) {
    if (workspace_->databasePath().isEmpty()) return {};
    auto store =
        storage::RunStore::open(workspace_->databasePath().toStdString(), {.create = false});
    auto requests = store ? repeatRequests(store.value(), run, n)
                          : storage::Result<std::vector<RunRequest>>(store.error());
    if (!requests) {
        QMessageBox::warning(window_, tr("Repeat"),
                             QString::fromStdString(requests.error().message));
        return {};
    }
    std::vector<storage::RunId> ids;
    for (const RunRequest& r : requests.value())
        if (auto id =
                training_->enqueue(r.config, QString::fromStdString(r.name), r.parent, r.group))
            ids.push_back(id.value());
    emit runsQueued();
    return ids;
}

void RunLauncher::startSweep(const config::Config& config, const sweep::Options& options,
                             const QString& name) {
    if (workspace_->databasePath().isEmpty()) return;
    training_->enqueueSweep(config, options, name);
    emit sweepQueued();
}

std::optional<std::pair<storage::RunId, config::Config>> RunLauncher::selectedConfig(
    const QString& title) {
    const storage::RunId id = workspace_->currentRun();
    if (id == 0) return std::nullopt;
    auto store = storage::RunStore::open(workspace_->databasePath().toStdString(),
                                         {.create = false, .readOnly = true});
    auto run = store ? store->run(id) : storage::Result<storage::RunRecord>(store.error());
    if (!run) {
        QMessageBox::warning(window_, title, QString::fromStdString(run.error().message));
        return std::nullopt;
    }
    config::Config config = config::Config::defaults();
    try {
        config.mergeJson(run->configJson, "run " + std::to_string(id));
    } catch (const config::ConfigError& e) {
        QMessageBox::warning(window_, title, QString::fromUtf8(e.what()));
        return std::nullopt;
    }
    return std::pair(id, std::move(config));
}

void RunLauncher::showNewRunDialog(bool fromSelected) {
    if (workspace_->databasePath().isEmpty()) return;
    if (!fromSelected) return openNewRunDialog(config::Config::defaults());
    if (auto selected = selectedConfig(tr("New run")))
        openNewRunDialog(selected->second, {}, selected->first);
}

void RunLauncher::openNewRunDialog(const config::Config& initial, const QString& name,
                                   std::optional<storage::RunId> parent) {
    widgets::NewRunDialog dialog(initial, window_);
    dialog.setRunName(name);
    if (dialog.exec() != QDialog::Accepted) return;
    (void)startRun(dialog.config(), dialog.runName(), parent);
}

void RunLauncher::showNewSweepDialog() {
    if (workspace_->databasePath().isEmpty()) return;
    // The selected run's config, if there is one: "what LR should this run have used?"
    const auto selected =
        workspace_->currentRun() == 0 ? std::nullopt : selectedConfig(tr("New sweep"));
    widgets::NewRunDialog dialog(selected ? selected->second : config::Config::defaults(), window_,
                                 sweep::Options{});
    if (dialog.exec() != QDialog::Accepted) return;
    startSweep(dialog.config(), dialog.sweepOptions(), dialog.runName());
}

void RunLauncher::showRunAtLr(const QString& sweepConfigJson, double lr, const QString& name) {
    config::Config config = config::Config::defaults();
    try {
        config.mergeJson(sweepConfigJson.toStdString(), "sweep config");
    } catch (const config::ConfigError& e) {
        QMessageBox::warning(window_, tr("New run"), QString::fromUtf8(e.what()));
        return;
    }
    config.set("lr", lr);
    openNewRunDialog(config, name);
}

}  // namespace runboard::app
