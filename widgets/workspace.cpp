#include "widgets/workspace.h"

#include <QEvent>
#include <QPointer>
#include <QWidget>
#include <algorithm>

namespace runboard::widgets {

// One subscribed view: what it has not been told yet, and a filter that tells it when it is
// shown. A child of the view, so it goes with it; it holds the workspace weakly.
struct Workspace::Subscriber : QObject {
    Subscriber(Workspace* w, QWidget* v, Hooks h) : workspace(w), view(v), hooks(std::move(h)) {}

    void offer(Changes changes) {
        pending |= changes;
        if (view->isVisible()) flush();
    }
    void flush() {
        if (!pending || workspace.isNull()) return;
        const Changes c = std::exchange(pending, {});
        const Workspace& w = *workspace;
        bool reloaded = false;
        if (c.testFlag(Change::Database) && hooks.database) {
            hooks.database(w.databasePath());
            reloaded = true;
        }
        if (c.testAnyFlags(Change::Database | Change::Selection) && hooks.selection) {
            hooks.selection(w.selection());
            reloaded = true;
        }
        if (c.testAnyFlags(Change::Database | Change::Runs) && hooks.runs) hooks.runs(w.runs());
        if (c.testFlag(Change::Data) && !reloaded && hooks.refresh) hooks.refresh();
    }
    bool eventFilter(QObject* watched, QEvent* event) override {
        if (watched == view && event->type() == QEvent::Show) flush();
        return false;
    }

    QPointer<Workspace> workspace;
    QWidget* view;
    Hooks hooks;
    Changes pending;
};

Workspace::Workspace(QObject* parent)
    : QObject(parent), runs_(std::make_shared<const std::vector<storage::RunOverview>>()) {}

void Workspace::setDatabase(const QString& path) {
    databasePath_ = path;
    selection_.clear();
    runs_ = std::make_shared<const std::vector<storage::RunOverview>>();
    deliver(Change::Database | Change::Selection | Change::Runs);
    emit databaseChanged();
}

void Workspace::setSelection(RunList runs) {
    if (runs == selection_) return;
    selection_ = std::move(runs);
    deliver(Change::Selection);
}

void Workspace::setRuns(std::vector<storage::RunOverview> runs) {
    runs_ = std::make_shared<const std::vector<storage::RunOverview>>(std::move(runs));
    deliver(Change::Runs);
}

void Workspace::notifyDataChanged() {
    deliver(Change::Data);
    emit dataChanged();
}

void Workspace::subscribe(QWidget* view, Hooks hooks) {
    // Owned by the view (deleted with it); the list only points at it while it lives.
    auto* s = new Subscriber(this, view, std::move(hooks));
    s->setParent(view);
    view->installEventFilter(s);
    subscribers_.push_back(s);
    connect(s, &QObject::destroyed, this, [this, s] {
        subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), s),
                           subscribers_.end());
    });
    if (!databasePath_.isEmpty()) s->offer(Change::Database | Change::Selection | Change::Runs);
}

void Workspace::deliver(Changes changes) {
    // A copy: a view's sync may create or delete views.
    const auto subscribers = subscribers_;
    for (Subscriber* s : subscribers)
        if (std::find(subscribers_.begin(), subscribers_.end(), s) != subscribers_.end())
            s->offer(changes);
}

}  // namespace runboard::widgets
