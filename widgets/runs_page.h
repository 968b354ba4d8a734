#pragma once
// The Runs tab: a filter line over the runs table with the curves panels beneath; in their place
// the welcome panel (an empty database) or what is wrong (no database could be opened).
//
// The page is the workspace's source of runs and selection. It reloads the runs on every database
// or data change, visible or not, because the lineage view, the selection and the window's edits
// all read them; loading 501 runs takes 79-99 ms off the GUI thread (gui_bench).

#include <QStackedWidget>
#include <vector>

#include "storage/run_store.h"
#include "widgets/latest_loader.h"
#include "widgets/runs_model.h"

class QLabel;
class QLineEdit;
class QSplitter;
class QTableView;

namespace runboard::widgets {

class CurvesPanels;
class DatabaseErrorPanel;
class RunsFilterModel;
class WelcomePanel;
class Workspace;

class RunsPage : public QStackedWidget {
    Q_OBJECT
public:
    explicit RunsPage(Workspace* workspace, QWidget* parent = nullptr);
    ~RunsPage() override;

    RunsModel* model() const { return model_; }
    QTableView* table() const { return table_; }
    CurvesPanels* curves() const { return curves_; }
    QSplitter* splitter() const { return splitter_; }
    WelcomePanel* welcome() const { return welcome_; }
    DatabaseErrorPanel* databaseError() const { return error_; }
    QLabel* loadError() const { return loadError_; }

    // Reloads the runs now (after a user's edit; the poll catches other processes' changes).
    void refresh();
    std::vector<storage::RunId> selectedRuns() const;
    void selectRuns(const std::vector<storage::RunId>& ids);
    // Shows what is wrong in place of the runs, until a database opens.
    void showDatabaseError(const QString& path, const QString& message);

signals:
    void runsLoaded();

private:
    using RunsLoader = LatestLoader<std::vector<storage::RunOverview>>;
    void apply(std::vector<storage::RunOverview> runs);
    void showLoadError(const QString& error);
    void publishSelection();

    Workspace* workspace_;
    RunsModel* model_ = nullptr;
    RunsFilterModel* filter_ = nullptr;
    QTableView* table_ = nullptr;
    QLineEdit* filterEdit_ = nullptr;
    QLabel* loadError_ = nullptr;  // why the runs could not be loaded
    CurvesPanels* curves_ = nullptr;
    QSplitter* splitter_ = nullptr;
    WelcomePanel* welcome_ = nullptr;
    DatabaseErrorPanel* error_ = nullptr;
    RunsLoader loader_;
};

}  // namespace runboard::widgets
