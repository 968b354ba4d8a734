#pragma once
// Starting work from the GUI: the New Run and New Sweep dialogs (blank, or from the selected
// run's config with it as parent), seed repeats, and a run at an LR finder's suggestion. Every
// run is queued on the training controller; dialogs and warnings are parented to `window`.

#include <QObject>
#include <optional>
#include <utility>
#include <vector>

#include "engine/config/config.h"
#include "engine/sweep/lr_sweep.h"
#include "storage/result.h"
#include "storage/run_store.h"

class QWidget;

namespace runboard::widgets {
class Workspace;
}

namespace runboard::app {

class TrainingController;

class RunLauncher : public QObject {
    Q_OBJECT
public:
    RunLauncher(TrainingController* training, widgets::Workspace* workspace, QWidget* window);

    // Queues a run as the buttons do (New Run dialog's Start, the welcome panel).
    storage::Result<storage::RunId> startRun(const config::Config& config, const QString& name = {},
                                             std::optional<storage::RunId> parent = {});
    // Queues n copies of a run with new seeds, as a group (Run > Repeat with new seeds).
    std::vector<storage::RunId> repeatRun(storage::RunId run, int n);
    // Queues an LR sweep as the New sweep dialog does.
    void startSweep(const config::Config& config, const sweep::Options& options,
                    const QString& name = {});

    void showNewRunDialog(bool fromSelected);
    void showNewSweepDialog();
    // The LR finder's "Train at this LR": the sweep's config at the chosen learning rate.
    void showRunAtLr(const QString& sweepConfigJson, double lr, const QString& name);

signals:
    void runsQueued();
    void sweepQueued();

private:
    void openNewRunDialog(const config::Config& initial, const QString& name = {},
                          std::optional<storage::RunId> parent = {});
    // The first selected run's config (a warning is shown when it cannot be read).
    std::optional<std::pair<storage::RunId, config::Config>> selectedConfig(const QString& title);

    TrainingController* training_;
    widgets::Workspace* workspace_;
    QWidget* window_;
};

}  // namespace runboard::app
