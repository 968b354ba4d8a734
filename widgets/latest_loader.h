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
// - destruction: returns at once; a running load ends on its own and its notice reaches nobody,
//   so nothing reaches the view while it is half destroyed, whatever the order of its members.
//   The work captures copies of what it reads (never the view): it runs on another thread;
// - threads: everything but the work runs on the view's thread (asserted in debug builds), and
//   the hand-offs to and from the pool are annotated for ThreadSanitizer (thread_handoff.h).

#include <QCoreApplication>
#include <QEvent>
#include <QObject>
#include <QString>
#include <QThread>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "storage/run_store.h"
#include "widgets/thread_handoff.h"

namespace runboard::widgets {

// Told on its own thread, by a posted event, that a load ended. The event is not read: it was
// allocated on the pool thread, after the hand-off TSan is told of.
class LoadNotice : public QObject {
public:
    std::function<void()> onEnded;

protected:
    void customEvent(QEvent*) override {
        received(this);
        if (onEnded) onEnded();
    }
};

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
        : context_(context),
          start_(std::move(start)),
          apply_(std::move(apply)),
          fail_(std::move(fail)),
          again_(std::move(again)) {
        notice_->onEnded = [this] { finished(); };
    }
    // Returns at once: a load still running ends on its own copies, and its notice reaches
    // nobody. (Waiting for it could freeze the GUI behind other pool work, e.g. a write in
    // SQLite's busy timeout.)
    ~LatestLoader() { notice_->onEnded = nullptr; }
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
    // One load: the job in, the outcome out. Each side writes only before handing it over.
    struct Load {
        Job job;
        Outcome outcome;
    };
    void assertThread() const {
        Q_ASSERT_X(QThread::currentThread() == context_->thread(), "LatestLoader",
                   "requests and results belong to the view's thread");
    }

    void begin() {
        assertThread();
        std::optional<Job> job = start_();
        if (!job) return;
        loading_ = true;
        started_ = generation_;
        load_ = std::make_shared<Load>();
        load_->job = std::move(*job);
        startOnPool([load = load_, notice = notice_] { run(*load, notice.get()); });
    }

    // On the pool: the work, then the notice (kept alive by this task's reference).
    static void run(Load& load, LoadNotice* notice) {
        // Nothing may escape into the pool: a throw is this load's error.
        try {
            auto store = storage::RunStore::open(load.job.database.toStdString(),
                                                 {.create = false, .readOnly = true});
            auto result = store ? load.job.work(store.value()) : storage::Result<T>(store.error());
            if (result)
                load.outcome.value.emplace(std::move(result.value()));
            else
                load.outcome.error = QString::fromStdString(result.error().message);
        } catch (const std::exception& e) {
            load.outcome.value.reset();
            load.outcome.error = QString::fromUtf8(e.what());
        } catch (...) {
            load.outcome.value.reset();
            load.outcome.error = QStringLiteral("the load failed with an unknown error");
        }
        handOff(notice);
        QCoreApplication::postEvent(notice, new QEvent(QEvent::User));
    }

    void finished() {
        assertThread();
        loading_ = false;
        const bool again = std::exchange(pending_, false);
        std::shared_ptr<Load> load = std::exchange(load_, nullptr);
        if (started_ == generation_) {
            if (load->outcome.value)
                apply_(std::move(*load->outcome.value));
            else
                fail_(load->outcome.error);
        }
        // apply_ may have requested (and begun) a newer load itself.
        if (!again || loading_) return;
        if (again_)
            again_();
        else
            begin();
    }

    QObject* context_;
    std::function<std::optional<Job>()> start_;
    std::function<void(T)> apply_;
    std::function<void(const QString&)> fail_;
    std::function<void()> again_;
    // Shared with the running load, so it outlives this loader when needed; deleted on its own
    // thread by the last owner.
    std::shared_ptr<LoadNotice> notice_{new LoadNotice, [](LoadNotice* n) { n->deleteLater(); }};
    std::shared_ptr<Load> load_;  // the running one
    quint64 generation_ = 0, started_ = 0;
    bool loading_ = false, pending_ = false;
};

}  // namespace runboard::widgets
