#pragma once
// Training off the GUI thread: a worker object that lives on a QThread. Only copies of plain
// value structs cross threads, through queued signals; stopping is an atomic flag the engine
// checks every step. The GUI-side TrainingController owns the thread and the queue.

#include <QObject>
#include <QString>
#include <QThread>
#include <atomic>
#include <deque>
#include <memory>
#include <optional>

#include "engine/config/config.h"
#include "engine/sweep/lr_sweep.h"
#include "storage/run_store.h"

namespace runboard::widgets {
class ThreadMailbox;
}

namespace runboard::app {

class RunSession;

struct RunProgress {
    storage::RunId id = 0;
    int epoch = 0, epochs = 0;
    qint64 step = 0, totalSteps = 0;
    double loss = 0;
    double samplesPerSecond = 0;
    double etaSeconds = 0;
};

struct RunEnded {
    storage::RunId id = 0;
    storage::RunStatus status = storage::RunStatus::Failed;
    QString message;
    bool refused = false;  // a resume that never began: the run is as it was
};

struct SweepEnded {
    qint64 id = 0;   // the stored sweep; 0 when it failed before it could be stored
    QString reason;  // sweep::StopReason as text
    QString message;
};

class TrainingWorker : public QObject {
    Q_OBJECT
public:
    explicit TrainingWorker(QString dbPath);
    // Any thread: ends the current run within one step.
    void requestStop() { stop_.store(true); }
    // Any thread: the current run records its next `steps` steps with the op profiler.
    void requestProfile(std::int64_t steps) { profile_.store(steps); }

public slots:
    // Runs on the worker's thread: trains the run, which the controller created as queued.
    void train(qint64 runId, const runboard::config::Config& config);
    // Runs on the worker's thread: continues a stopped, interrupted or failed run from its
    // newest valid checkpoint (as `runboard resume`). A refusal (the run alive, its config or
    // data changed) ends with its message and leaves the run as it was.
    void resume(qint64 runId);
    // Runs on the worker's thread: an LR sweep of the config, stored whole when it ends.
    void sweep(const runboard::config::Config& config, const runboard::sweep::Options& options,
               const QString& name);

signals:
    void started(qint64 runId);
    void sweepPoint(const runboard::sweep::Point& point);
    void sweepEnded(const runboard::app::SweepEnded& ended);
    void progress(const runboard::app::RunProgress& progress);
    void ended(const runboard::app::RunEnded& ended);

private:
    // A run job's start on the worker thread: background priority, a cleared stop flag and a
    // session; null, with the job ended, when the database cannot be opened.
    std::unique_ptr<RunSession> openJob(qint64 runId);
    QString dbPath_;
    std::atomic<bool> stop_{false};
    std::atomic<std::int64_t> profile_{0};
};

// GUI thread: queues runs (visible as 'queued' at once), feeds them one at a time to the worker.
class TrainingController : public QObject {
    Q_OBJECT
public:
    explicit TrainingController(QObject* parent = nullptr);
    ~TrainingController() override;

    void setDatabase(const QString& dbPath);
    // Creates the run as queued and starts it when the worker is free. Returns the id or an
    // error message.
    storage::Result<storage::RunId> enqueue(const config::Config& config, const QString& name,
                                            std::optional<storage::RunId> parent = {},
                                            std::optional<storage::RunId> group = {});
    // Queues a resume of the run (storage::checkResumable must allow it: else that error).
    storage::Status enqueueResume(storage::RunId id);
    // Queues an LR sweep (one job at a time, runs and sweeps alike).
    void enqueueSweep(const config::Config& config, const sweep::Options& options,
                      const QString& name);
    void stopCurrent();
    // "Profile next N steps" on the run training now (ignored when it is not `run`).
    void profileCurrent(storage::RunId run, int steps);
    bool busy() const { return current_ != 0 || sweeping_; }
    bool sweeping() const { return sweeping_; }
    storage::RunId currentRun() const { return current_; }
    int queued() const { return static_cast<int>(queue_.size()); }

signals:
    void started(qint64 runId);
    void progress(const runboard::app::RunProgress& progress);
    void ended(const runboard::app::RunEnded& ended);
    void sweepStarted(const QString& name);
    void sweepPoint(const runboard::sweep::Point& point);
    void sweepEnded(const runboard::app::SweepEnded& ended);

private:
    struct Job {
        storage::OwnedRun run;                // a run (its lock held while queued), or
        std::optional<sweep::Options> sweep;  // a sweep
        config::Config config;  // a value: the worker gets a copy, never text to parse again
        QString name;
        bool resume = false;  // run.id is resumed (the resume takes its lock on the worker)
    };
    void startNext();
    // Stops the worker and its thread; with `deliver`, what it said last reaches the GUI.
    void shutdown(bool deliver);
    // Calls onGui on this thread with the arguments of each of the worker's `signal`.
    template <class... Args, class OnGui>
    void relay(void (TrainingWorker::*signal)(Args...), OnGui onGui);

    QString dbPath_;
    QThread thread_;
    TrainingWorker* worker_ = nullptr;
    widgets::ThreadMailbox* toWorker_ = nullptr;    // the worker's child: calls on its thread
    widgets::ThreadMailbox* fromWorker_ = nullptr;  // the worker's signals, on this thread
    std::deque<Job> queue_;
    storage::RunId current_ = 0;
    bool sweeping_ = false;
    storage::RunLock currentLock_;  // this process is alive while it trains current_
};

}  // namespace runboard::app

Q_DECLARE_METATYPE(runboard::app::RunProgress)
Q_DECLARE_METATYPE(runboard::app::RunEnded)
Q_DECLARE_METATYPE(runboard::app::SweepEnded)
Q_DECLARE_METATYPE(runboard::sweep::Point)
