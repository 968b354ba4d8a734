#pragma once
// Loads for one view off the GUI thread, one load at a time, and hands the view only what it
// still wants. It owns what the views used to repeat, each in its own words:
// - staleness: every request() is a new state of the view; the result of a load started before
//   the latest request() or invalidate() is dropped here, so views keep no generation counters;
// - the store: the work gets a read-only RunStore opened on the pool thread (never creating or
//   migrating a file), so a locked or missing database never blocks the GUI;
// - errors: a store that cannot be opened, or an error the work returns, reaches `fail` with its
//   message, once, in place of a result;
// - coalescing: a request while a load runs is remembered and served when that load ends, so a
//   burst of requests costs at most two loads and results arrive in order;
// - destruction: the watcher is disconnected before the running load is waited for, so nothing
//   reaches the view while it is half destroyed, whatever the order of its members. The work
//   captures copies of what it reads (never the view): it runs on another thread.

#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QtConcurrent>
#include <functional>
#include <optional>
#include <utility>

#include "storage/run_store.h"

namespace runboard::widgets {

template <typename T>
class LatestLoader {
public:
    using Work = std::function<storage::Result<T>(storage::RunStore&)>;
    struct Job {
        QString database;
        Work work;
    };

    // `start` runs on the GUI thread when a load begins and makes the job for the view's state
    // then (nullopt: nothing to load). `apply` and `fail` run on `context`'s thread. `again`
    // serves a request remembered during a load (default: at once; the curves throttle it).
    LatestLoader(QObject* context, std::function<std::optional<Job>()> start,
                 std::function<void(T)> apply, std::function<void(const QString&)> fail,
                 std::function<void()> again = {})
        : start_(std::move(start)),
          apply_(std::move(apply)),
          fail_(std::move(fail)),
          again_(std::move(again)) {
        QObject::connect(&watcher_, &QFutureWatcher<Outcome>::finished, context,
                         [this] { finished(); });
    }
    ~LatestLoader() {
        QObject::disconnect(&watcher_, nullptr, nullptr, nullptr);
        watcher_.waitForFinished();
    }
    LatestLoader(const LatestLoader&) = delete;
    LatestLoader& operator=(const LatestLoader&) = delete;

    // The view's state changed: load it. A load running for an older state is not applied.
    void request() {
        ++generation_;
        if (loading_) {
            pending_ = true;
            return;
        }
        begin();
    }
    // The view's state changed to one with nothing to load (no database, no run selected): drop
    // whatever is in flight or remembered.
    void invalidate() {
        ++generation_;
        pending_ = false;
    }
    bool loading() const { return loading_; }

private:
    struct Outcome {
        std::optional<T> value;
        QString error;
    };

    void begin() {
        std::optional<Job> job = start_();
        if (!job) return;
        loading_ = true;
        started_ = generation_;
        watcher_.setFuture(QtConcurrent::run([job = std::move(*job)] {
            Outcome out;
            auto store = storage::RunStore::open(job.database.toStdString(),
                                                 {.create = false, .readOnly = true});
            auto result = store ? job.work(store.value()) : storage::Result<T>(store.error());
            if (result)
                out.value.emplace(std::move(result.value()));
            else
                out.error = QString::fromStdString(result.error().message);
            return out;
        }));
    }

    void finished() {
        loading_ = false;
        const bool again = std::exchange(pending_, false);
        if (started_ == generation_) {
            Outcome out = watcher_.result();
            if (out.value)
                apply_(std::move(*out.value));
            else
                fail_(out.error);
        }
        // apply_ may have requested (and begun) a newer load itself.
        if (!again || loading_) return;
        if (again_)
            again_();
        else
            begin();
    }

    std::function<std::optional<Job>()> start_;
    std::function<void(T)> apply_;
    std::function<void(const QString&)> fail_;
    std::function<void()> again_;
    QFutureWatcher<Outcome> watcher_;
    quint64 generation_ = 0, started_ = 0;
    bool loading_ = false, pending_ = false;
};

}  // namespace runboard::widgets
