#include "app/training_worker.h"

#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>

#include "app/local_ranks.h"
#include "app/run_session.h"
#include "app/sweep_job.h"
#include "engine/errors.h"
#include "engine/lr_finder.h"
#include "engine/trainer.h"
#include "storage/resume_store.h"
#include "widgets/thread_handoff.h"

namespace runboard::app {
namespace {

// Turns engine events into RunProgress signals, at most ~20 a second.
class ProgressForwarder : public engine::Observer {
public:
    ProgressForwarder(TrainingWorker* worker, storage::RunId id) : worker_(worker) { p_.id = id; }
    std::function<void(const RunProgress&)> emitProgress;

    void onStart(const engine::RunInfo& info) override {
        p_.epochs = info.epochs;
        p_.totalSteps = info.totalSteps;
        resumedAt_ = info.resumedAtStep;
        start_ = std::chrono::steady_clock::now();
    }
    void onStep(const engine::StepEvent& e) override {
        p_.epoch = e.epoch;
        p_.step = e.step;
        p_.loss = e.loss;
        p_.samplesPerSecond = e.samplesPerSecond;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < std::chrono::milliseconds(50) && e.step != p_.totalSteps) return;
        last_ = now;
        const double elapsed = std::chrono::duration<double>(now - start_).count();
        // From the steps this process took: a resumed run's earlier ones took none of it.
        p_.etaSeconds = elapsed / static_cast<double>(e.step - resumedAt_) *
                        static_cast<double>(p_.totalSteps - e.step);
        emitProgress(p_);
    }

private:
    TrainingWorker* worker_;
    RunProgress p_;
    std::int64_t resumedAt_ = 0;
    std::chrono::steady_clock::time_point start_, last_;
};

// Training is background work: this thread, and the torch threads it starts, yield to the GUI
// thread (on 2 cores, torch threads = cores would otherwise starve the event loop). Linux keeps
// nice and the policy per thread and new threads inherit both. SCHED_BATCH also stops these
// threads from preempting a waking GUI thread.
void runInBackground() {
    static thread_local const bool niced = [] {
        const sched_param none{};
        (void)sched_setscheduler(0, SCHED_BATCH, &none);
        return setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 5) == 0;
    }();
    (void)niced;
}

}  // namespace

TrainingWorker::TrainingWorker(QString dbPath) : dbPath_(std::move(dbPath)) {}

std::unique_ptr<RunSession> TrainingWorker::openJob(qint64 runId) {
    stop_ = false;
    profile_ = 0;
    runInBackground();
    auto session = RunSession::open(dbPath_.toStdString());
    if (session) return std::move(session.value());
    spdlog::error("run {}: {}", runId, session.error().message);
    emit ended(
        {runId, storage::RunStatus::Failed, QString::fromStdString(session.error().message)});
    return nullptr;
}

void TrainingWorker::train(qint64 runId, const config::Config& cfg) {
    Q_ASSERT_X(QThread::currentThread() == thread(), "TrainingWorker::train",
               "runs on the engine thread (a queued call)");
    auto session = openJob(runId);
    if (!session) return;
    RunEnded ended;
    ended.id = runId;
    // The controller holds the run's liveness lock for this process until the run ends.
    if (auto s = session->adopt({runId, storage::RunLock{}}); !s) {
        spdlog::error("run {}: {}", runId, s.error().message);
        ended.message = QString::fromStdString(s.error().message);
        emit TrainingWorker::ended(ended);
        return;
    }
    emit started(runId);
    RunOutcome outcome;
    try {
        // Data-parallel (ddp.world_size > 1): this thread is rank 0 and starts the others as
        // `runboard train --rank R` processes once it listens (app/local_ranks.h).
        config::Config c = cfg;
        const int world = static_cast<int>(c.integer("ddp.world_size"));
        const std::string filesDir = session->store().filesDir(runId);
        std::unique_ptr<LocalRanks> ranks;
        engine::DistOptions dist;
        if (world > 1) {
            shareCores(c, world);
            ranks = std::make_unique<LocalRanks>(world, c, filesDir);
            dist = localJobOptions(world, ranks);
        }
        engine::Trainer trainer(c, {filesDir, &stop_, &profile_, {}, dist});
        ProgressForwarder forward(this, runId);
        forward.emitProgress = [this](const RunProgress& p) { emit progress(p); };
        outcome = session->train(trainer, &forward);
        if (ranks) {
            const auto wait = outcome.status == storage::RunStatus::Failed
                                  ? std::chrono::milliseconds(2000)
                                  : std::chrono::milliseconds(
                                        static_cast<std::int64_t>(c.number("ddp.timeout") * 1000));
            if (const auto why = ranks->finish(wait); !why.empty())
                spdlog::warn("run {}: data-parallel: {}", runId, why);
        }
    } catch (const std::exception& e) {
        // Config or data errors before the loop: the run fails with the message.
        spdlog::error("run {} failed: {}", runId, e.what());
        (void)session->store().setStatus(runId, storage::RunStatus::Failed, e.what());
        outcome = {runId, storage::RunStatus::Failed, e.what()};
    }
    ended.status = outcome.status;
    ended.message = QString::fromStdString(outcome.message);
    emit TrainingWorker::ended(ended);
}

void TrainingWorker::resume(qint64 runId) {
    Q_ASSERT_X(QThread::currentThread() == thread(), "TrainingWorker::resume",
               "runs on the engine thread (a queued call)");
    auto session = openJob(runId);
    if (!session) return;
    RunEnded ended;
    ended.id = runId;
    storage::RunStore& store = session->store();
    try {
        // Nothing is written until resume() below: a refusal leaves the run as it was.
        auto record = store.run(runId);
        if (!record) throw std::runtime_error(record.error().message);
        ended.status = record->status;
        config::Config cfg = config::Config::defaults();
        cfg.mergeJson(record->configJson, "run " + std::to_string(runId));
        engine::Trainer trainer(cfg, {store.filesDir(runId), &stop_, &profile_});
        trainer.loadData();
        const ResumeChoice choice = chooseCheckpoint(store, runId, trainer);
        if (auto resumed = session->resume(runId, choice); !resumed)
            throw std::runtime_error(resumed.error().message);
        emit started(runId);
        ProgressForwarder forward(this, runId);
        forward.emitProgress = [this](const RunProgress& p) { emit progress(p); };
        const RunOutcome outcome = session->train(trainer, &forward);
        ended.status = outcome.status;
        ended.message = QString::fromStdString(outcome.message);
    } catch (const std::exception& e) {
        spdlog::error("cannot resume run {}: {}", runId, e.what());
        ended.message = QString::fromUtf8(e.what());
        ended.refused = true;
    }
    emit TrainingWorker::ended(ended);
}

void TrainingWorker::sweep(const config::Config& cfg, const sweep::Options& options,
                           const QString& name) {
    Q_ASSERT_X(QThread::currentThread() == thread(), "TrainingWorker::sweep",
               "runs on the engine thread (a queued call)");
    stop_ = false;
    runInBackground();
    SweepEnded ended;
    try {
        SweepRequest request{cfg, options, name.toStdString()};
        engine::LrFinder finder(cfg, options);
        const auto began = std::chrono::steady_clock::now();
        const sweep::Result result =
            finder.run({nullptr, [this](const sweep::Point& p) { emit sweepPoint(p); }}, &stop_);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
        if (request.name.empty()) request.name = defaultSweepName(finder.config());
        auto id = storeSweep(dbPath_.toStdString(), request, result, seconds);
        if (id) {
            ended.id = id.value();
            ended.reason = QString::fromUtf8(sweep::toString(result.stop.reason).data());
        } else {
            ended.message = QString::fromStdString(id.error().message);
            spdlog::error("storing the LR sweep: {}", id.error().message);
        }
    } catch (const std::exception& e) {
        spdlog::error("LR sweep failed: {}", e.what());
        ended.message = QString::fromUtf8(e.what());
    }
    emit sweepEnded(ended);
}

TrainingController::TrainingController(QObject* parent) : QObject(parent) {
    qRegisterMetaType<RunProgress>();
    qRegisterMetaType<RunEnded>();
    qRegisterMetaType<SweepEnded>();
    qRegisterMetaType<sweep::Point>();
    // QThread::wait() synchronises inside Qt, where ThreadSanitizer cannot see it: the thread's
    // end is announced here, on the thread itself, and received after wait() in shutdown(), so
    // deleting what it used is ordered after its last use.
    connect(
        &thread_, &QThread::finished, this, [this] { widgets::handOff(&thread_); },
        Qt::DirectConnection);
}

TrainingController::~TrainingController() {
    shutdown(false);  // the window is going: nobody to tell
}

void TrainingController::shutdown(bool deliver) {
    if (worker_ != nullptr) worker_->requestStop();
    queue_.clear();
    thread_.quit();
    thread_.wait();
    widgets::received(&thread_);  // the worker thread's last word (see the constructor)
    delete worker_;               // and its mailbox
    worker_ = nullptr;
    toWorker_ = nullptr;
    // What the stopped worker said last (its run's or sweep's end) is delivered now, before
    // another database's worker starts: the status bar and the LR finder stop showing it running.
    if (deliver && fromWorker_ != nullptr) fromWorker_->drainNow();
    delete fromWorker_;
    fromWorker_ = nullptr;
    // A job handed over but never begun (the thread stopped first) says nothing: say it here.
    if (deliver && current_ != 0)
        emit ended({current_, storage::RunStatus::Stopped, tr("the database was closed")});
    if (deliver && sweeping_) emit sweepEnded({0, {}, tr("the database was closed")});
    current_ = 0;
    sweeping_ = false;
    currentLock_ = {};
}

template <class... Args, class OnGui>
void TrainingController::relay(void (TrainingWorker::*signal)(Args...), OnGui onGui) {
    connect(
        worker_, signal, worker_,
        [box = fromWorker_, onGui](Args... args) {
            box->post([onGui, args...] { onGui(args...); });
        },
        Qt::DirectConnection);
}

void TrainingController::setDatabase(const QString& dbPath) {
    Q_ASSERT_X(QThread::currentThread() == thread(), "TrainingController", "GUI thread only");
    shutdown(true);
    dbPath_ = dbPath;
    worker_ = new TrainingWorker(dbPath);
    toWorker_ = new widgets::ThreadMailbox(worker_);
    worker_->moveToThread(&thread_);  // with its mailbox
    // The worker's signals are relayed on its own thread into a mailbox on this one (a hand-off
    // ThreadSanitizer sees); dropping the mailbox in shutdown() drops what an old worker sent.
    fromWorker_ = new widgets::ThreadMailbox(this);
    relay(&TrainingWorker::started, [this](qint64 id) { emit started(id); });
    relay(&TrainingWorker::progress, [this](const RunProgress& p) { emit progress(p); });
    relay(&TrainingWorker::ended, [this](const RunEnded& e) {
        current_ = 0;
        currentLock_ = {};
        emit ended(e);
        startNext();
    });
    relay(&TrainingWorker::sweepPoint, [this](const sweep::Point& p) { emit sweepPoint(p); });
    relay(&TrainingWorker::sweepEnded, [this](const SweepEnded& e) {
        sweeping_ = false;
        emit sweepEnded(e);
        startNext();
    });
    thread_.start();
}

storage::Result<storage::RunId> TrainingController::enqueue(const config::Config& cfg,
                                                            const QString& name,
                                                            std::optional<storage::RunId> parent,
                                                            std::optional<storage::RunId> group) {
    Q_ASSERT_X(QThread::currentThread() == thread(), "TrainingController", "GUI thread only");
    if (auto problems = cfg.problems(); !problems.empty())
        return storage::Error{storage::ErrorKind::InvalidArgument, problems.front()};
    auto store = storage::RunStore::open(dbPath_.toStdString());
    if (!store) return store.error();
    RunRequest request{cfg, name.toStdString(), parent, group};
    auto owned = store->createRun(request.toNewRun(storage::RunStatus::Queued));
    if (!owned) return owned.error();
    const storage::RunId id = owned->id;
    queue_.push_back({std::move(owned.value()), std::nullopt, cfg, name});
    startNext();
    return id;
}

storage::Status TrainingController::enqueueResume(storage::RunId id) {
    Q_ASSERT_X(QThread::currentThread() == thread(), "TrainingController", "GUI thread only");
    auto store = storage::RunStore::open(dbPath_.toStdString(), {.create = false});
    if (!store) return store.error();
    if (auto s = storage::checkResumable(store.value(), id); !s) return s;
    for (const Job& j : queue_)
        if (j.resume && j.run.id == id)
            return storage::Error{storage::ErrorKind::InvalidArgument,
                                  "run " + std::to_string(id) + " is already queued to resume"};
    Job job{{id, {}}, std::nullopt, config::Config::defaults(), {}};
    job.resume = true;
    queue_.push_back(std::move(job));
    startNext();
    return {};
}

void TrainingController::enqueueSweep(const config::Config& cfg, const sweep::Options& options,
                                      const QString& name) {
    Q_ASSERT_X(QThread::currentThread() == thread(), "TrainingController", "GUI thread only");
    queue_.push_back({{}, options, cfg, name});
    startNext();
}

void TrainingController::startNext() {
    Q_ASSERT_X(QThread::currentThread() == thread(), "TrainingController", "GUI thread only");
    if (busy() || queue_.empty() || worker_ == nullptr) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    // The calls run on the worker's thread (the mailbox lives there), with copies of the job.
    if (job.sweep) {
        sweeping_ = true;
        emit sweepStarted(job.name);
        toWorker_->post([worker = worker_, config = job.config, options = *job.sweep,
                         name = job.name] { worker->sweep(config, options, name); });
        return;
    }
    current_ = job.run.id;
    if (job.resume) {
        toWorker_->post(
            [worker = worker_, id = static_cast<qint64>(current_)] { worker->resume(id); });
        return;
    }
    currentLock_ = std::move(job.run.lock);
    toWorker_->post([worker = worker_, id = static_cast<qint64>(current_), config = job.config] {
        worker->train(id, config);
    });
}

void TrainingController::stopCurrent() {
    Q_ASSERT_X(QThread::currentThread() == thread(), "TrainingController", "GUI thread only");
    if (worker_ != nullptr && busy()) worker_->requestStop();
}

void TrainingController::profileCurrent(storage::RunId run, int steps) {
    Q_ASSERT_X(QThread::currentThread() == thread(), "TrainingController", "GUI thread only");
    if (worker_ != nullptr && current_ != 0 && current_ == run) worker_->requestProfile(steps);
}

}  // namespace runboard::app
