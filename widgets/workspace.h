#pragma once
// What every view reads: the open database, that its data changed, the selected runs and the
// runs' overview. Views take the workspace in their constructor and subscribe (as hotspot's
// pages take PerfParser* and FilterAndZoomStack*), so MainWindow only composes: a new tab is one
// line, not an edit of every place that fans out a change.
//
// A view is told only while it is visible. A hidden view's changes are merged and delivered once,
// when it is next shown: the gallery used to load 180 thumbnails on every selection change
// behind another tab, and every tab reloaded on every poll of a running database.

#include <QFlags>
#include <QObject>
#include <QString>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "storage/run_store.h"

class QWidget;

namespace runboard::widgets {

// The selected runs with their display labels ("#12 baseline"), in selection order.
using RunList = std::vector<std::pair<storage::RunId, QString>>;

class Workspace : public QObject {
    Q_OBJECT
public:
    enum class Change {
        Database = 1,   // another database is open (every snapshot is stale)
        Data = 2,       // something in it changed: a run's rows, a sweep, competition mode
        Selection = 4,  // other runs are selected
        Runs = 8,       // the runs' overview was reloaded
    };
    Q_DECLARE_FLAGS(Changes, Change)

    explicit Workspace(QObject* parent = nullptr);

    const QString& databasePath() const { return databasePath_; }
    const RunList& selection() const { return selection_; }
    // The first selected run, or 0.
    storage::RunId currentRun() const { return selection_.empty() ? 0 : selection_.front().first; }
    const std::vector<storage::RunOverview>& runs() const { return *runs_; }

    void setDatabase(const QString& path);
    void setSelection(RunList runs);
    void setRuns(std::vector<storage::RunOverview> runs);
    // A change by any process (the poll of PRAGMA data_version) or by the user (competition mode).
    void notifyDataChanged();

    // What a view does with each kind of change; leave out what it does not show. A database
    // switch calls `database`, then `selection` and `runs`; `refresh` is called for data changes
    // only when neither `database` nor `selection` was (both reload).
    struct Hooks {
        std::function<void(const QString&)> database;
        std::function<void(const RunList&)> selection;
        std::function<void(const std::vector<storage::RunOverview>&)> runs;
        std::function<void()> refresh;
    };
    // `view` is told at once while visible, else once when next shown, of every change since.
    // It is first told of the state as it is, when a database is open. The subscription ends
    // with the view, or with the workspace.
    void subscribe(QWidget* view, Hooks hooks);
    // The usual subscription: the view's setDatabase(path), and its setRuns(RunList) and
    // refresh() where it has them. Views take a nullable Workspace* in their constructor: with
    // one, they follow it; without one, they show what they are given (tests and benchmarks
    // feed them directly).
    template <class View>
    void follow(View* view) {
        Hooks hooks{.database = [view](const QString& path) { view->setDatabase(path); }};
        if constexpr (requires(const RunList& runs) { view->setRuns(runs); })
            hooks.selection = [view](const RunList& runs) { view->setRuns(runs); };
        if constexpr (requires { view->refresh(); }) hooks.refresh = [view] { view->refresh(); };
        subscribe(view, std::move(hooks));
    }

signals:
    // Ungated: for the models that must stay current while hidden (the runs page's list, which
    // the selection and the lineage come from).
    void databaseChanged();
    void dataChanged();

private:
    struct Subscriber;
    void deliver(Changes changes);

    QString databasePath_;
    RunList selection_;
    std::shared_ptr<const std::vector<storage::RunOverview>> runs_;
    std::vector<Subscriber*> subscribers_;  // owned by their views
};

}  // namespace runboard::widgets

Q_DECLARE_OPERATORS_FOR_FLAGS(runboard::widgets::Workspace::Changes)
