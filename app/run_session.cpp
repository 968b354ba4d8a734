#include "app/run_session.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "app/core/profile_recorder.h"
#include "app/core/recorder.h"
#include "engine/errors.h"
#include "engine/train_options.h"
#include "storage/run_data.h"

namespace runboard::app {

std::vector<storage::Param> configParams(const config::Config& config) {
    std::vector<storage::Param> out;
    for (const auto& [key, value] : config.values())
        out.push_back({key, config::formatValue(value),
                       std::string(config::typeName(config::typeOf(value))),
                       config::isOperational(key)});
    return out;
}

std::string defaultRunName(const config::Config& c) {
    return c.text("model") + " " + c.text("optimizer") + " lr=" + config::formatValue(c.at("lr")) +
           " " + c.text("schedule") + " " + std::to_string(c.integer("epochs")) + "ep";
}

storage::Result<std::unique_ptr<RunSession>> RunSession::open(const std::string& dbPath) {
    auto store = storage::RunStore::open(dbPath);
    if (!store) return store.error();
    auto writer = storage::Writer::open(dbPath);
    if (!writer) return writer.error();
    return std::unique_ptr<RunSession>(
        new RunSession(std::move(store.value()), std::move(writer.value())));
}

storage::NewRun RunRequest::toNewRun(storage::RunStatus status) const {
    storage::NewRun run;
    run.name = name.empty() ? defaultRunName(config) : name;
    run.parent = parent;
    run.group = group;
    run.configJson = config.toJson();
    run.seed = config.integer("seed");
    run.params = configParams(config);
    run.status = status;
    return run;
}

storage::Result<storage::RunId> RunSession::start(const RunRequest& request,
                                                  storage::RunStatus status) {
    auto owned = store_.createRun(request.toNewRun(status));
    if (!owned) return owned.error();
    run_ = std::move(owned.value());
    return run_.id;
}

storage::Status RunSession::adopt(storage::OwnedRun run) {
    run_ = std::move(run);
    return store_.setStatus(run_.id, storage::RunStatus::Running);
}

namespace {

struct PreflightFailed : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct StoppedEarly : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A check that is not a pass, at its level: a fail is an error even when the run goes on.
void logCheck(const engine::CheckResult& check) {
    if (check.status == engine::CheckStatus::Pass) return;
    spdlog::log(
        check.status == engine::CheckStatus::Fail ? spdlog::level::err : spdlog::level::warn,
        "check {}: {}: {}", check.name, engine::checkStatusName(check.status), check.message);
}

// The checklist during training: after the first kSteps steps, whether the loss moved at all.
class FlatLossWatch : public engine::Observer {
public:
    static constexpr std::size_t kSteps = 100;
    FlatLossWatch(storage::Connection& db, storage::RunId run) : db_(db), run_(run) {}
    // A resumed run's losses before its checkpoint: the check is made at step kSteps all the
    // same, or was made already (and kept) when the checkpoint is later.
    void replay(const std::vector<storage::MetricPoint>& losses) {
        for (const auto& p : losses)
            if (losses_.size() < kSteps) losses_.push_back(p.value);
        done_ = losses_.size() >= kSteps;
    }
    void onStep(const engine::StepEvent& e) override {
        if (done_) return;
        if (losses_.size() >= kSteps) return;
        losses_.push_back(e.loss);
        if (losses_.size() < kSteps) return;
        const auto check = engine::flatLossCheck(losses_);
        logCheck(check);
        if (auto s = storage::appendCheck(db_, run_, checkRows({check}).front()); !s)
            spdlog::error("run {}: cannot store a check: {}", run_, s.error().message);
    }

private:
    storage::Connection& db_;
    storage::RunId run_;
    std::vector<double> losses_;
    bool done_ = false;
};

// The checklist after training: whether the run learned at all (engine::learnedCheck), from the
// last validation accuracy (never the test set's: competition mode hides its private part) and
// the training losses after warm-up.
class LearnedWatch : public engine::Observer {
public:
    LearnedWatch(const config::Config& config, storage::Connection& db, storage::RunId run)
        : config_(config), db_(db), run_(run) {}
    void onStart(const engine::RunInfo& info) override {
        from_ = engine::afterWarmupStep(engine::TrainOptions::fromConfig(config_).schedule,
                                        info.totalSteps);
        valSize_ = info.valSize;
        classes_ = info.numClasses;
    }
    // A resumed run's losses and last validation accuracy before its checkpoint.
    void replay(const std::vector<storage::MetricPoint>& losses, double valAccuracy) {
        for (const auto& p : losses)
            losses_.emplace_back(p.step, p.value);
        valAccuracy_ = valAccuracy;
    }
    void onStep(const engine::StepEvent& e) override { losses_.emplace_back(e.step, e.loss); }
    void onEpoch(const engine::EpochEvent& e) override { valAccuracy_ = e.valAccuracy; }
    void onFinish(const engine::RunResult& r) override {
        if (r.outcome != engine::Outcome::Finished) return;
        std::vector<double> afterWarmup;
        for (const auto& [step, loss] : losses_)
            if (step > from_) afterWarmup.push_back(loss);
        const auto check = engine::learnedCheck(valAccuracy_, valSize_, classes_, afterWarmup);
        logCheck(check);
        if (auto s = storage::appendCheck(db_, run_, checkRows({check}).front()); !s)
            spdlog::error("run {}: cannot store a check: {}", run_, s.error().message);
    }

private:
    const config::Config& config_;
    storage::Connection& db_;
    storage::RunId run_;
    std::int64_t from_ = 0, valSize_ = 0;
    double valAccuracy_ = std::nan("");
    int classes_ = 0;
    std::vector<std::pair<std::int64_t, double>> losses_;
};

// What data the run trained on (storage/run_data.h), as soon as it is loaded: the prediction
// review names the run's labels by these classes and notices a source changed since.
class DataRecorder : public engine::Observer {
public:
    DataRecorder(storage::Connection& db, storage::RunId run) : db_(db), run_(run) {}
    void onStart(const engine::RunInfo& info) override {
        if (auto s = storage::storeRunData(db_, run_, {info.sourceName, info.classNames}); !s)
            spdlog::error("run {}: cannot record its data: {}", run_, s.error().message);
    }

private:
    storage::Connection& db_;
    storage::RunId run_;
};

// model = auto is resolved once the data is loaded (engine::resolveModel): the run's params and
// a default name then say which model trains, while its stored config keeps what was asked for,
// so that a run made from it resolves again on its own data.
void recordResolvedModel(storage::RunStore& store, storage::RunId id,
                         const config::Config& resolved) {
    auto params = store.params(id);
    if (!params) {
        spdlog::error("run {}: cannot read its params: {}", id, params.error().message);
        return;
    }
    const auto asked = std::find_if(params->begin(), params->end(),
                                    [](const storage::Param& p) { return p.key == "model"; });
    const std::string& model = resolved.text("model");
    if (asked == params->end() || asked->value == model) return;
    config::Config before = resolved;
    before.set("model", asked->value);
    if (auto s = store.setParam(id, "model", model); !s)
        spdlog::error("run {}: cannot record its model: {}", id, s.error().message);
    auto record = store.run(id);
    if (record && record->name == defaultRunName(before))
        if (auto s = store.rename(id, defaultRunName(resolved)); !s)
            spdlog::error("run {}: cannot rename it: {}", id, s.error().message);
}

}  // namespace

std::vector<storage::CheckRow> checkRows(const std::vector<engine::CheckResult>& results) {
    std::vector<storage::CheckRow> rows;
    for (const auto& r : results)
        rows.push_back({r.name, std::string(engine::checkStatusName(r.status)), r.value, r.message,
                        r.details});
    return rows;
}

RunOutcome RunSession::train(engine::Trainer& trainer, engine::Observer* extra) {
    RunOutcome outcome{run_.id, storage::RunStatus::Failed, {}};
    RunRecorder recorder(*writer_, run_.id, trainer.stopFlag());
    FlatLossWatch flat(store_.connection(), run_.id);
    LearnedWatch learned(trainer.config(), store_.connection(), run_.id);
    ProfileRecorder profile(store_.connection(), run_.id);
    DataRecorder data(store_.connection(), run_.id);
    std::vector<engine::Observer*> observers{&recorder, &profile, &data};
    if (trainer.config().flag("checks.enabled"))
        observers.insert(observers.end(), {&flat, &learned});
    if (extra != nullptr) observers.push_back(extra);
    engine::ObserverList all(observers);
    try {
        trainer.loadData();
        recordResolvedModel(store_, run_.id, trainer.config());
        if (resumedFrom_) {
            // The checklist ran before the first step; the checks made during and after
            // training see the losses logged before the checkpoint (all that stayed live).
            auto losses = store_.series(run_.id, "train/loss");
            auto val = store_.series(run_.id, "val/accuracy");
            if (!losses || !val)
                throw std::runtime_error("cannot read the run's losses: " +
                                         (!losses ? losses.error() : val.error()).message);
            flat.replay(*losses);
            learned.replay(*losses, val->empty() ? std::nan("") : val->back().value);
        } else if (!trainer.config().flag("checks.enabled")) {
            // The data scan (an image folder's quarantine) is stored all the same.
            if (const auto scan = trainer.loadChecks(); !scan.empty())
                if (auto s = storage::storeChecks(store_.connection(), run_.id, checkRows(scan));
                    !s)
                    spdlog::error("run {}: cannot store its data scan: {}", run_.id,
                                  s.error().message);
        } else {
            const auto checks = engine::runChecks(
                trainer.config(), {.stop = trainer.stopFlag(), .data = trainer.data()});
            if (trainer.stopFlag() != nullptr && trainer.stopFlag()->load())
                throw StoppedEarly("stopped by request during the pre-flight checklist");
            if (auto s = storage::storeChecks(store_.connection(), run_.id, checkRows(checks)); !s)
                spdlog::error("run {}: cannot store its checklist: {}", run_.id, s.error().message);
            for (const auto& c : checks)
                spdlog::log(c.status == engine::CheckStatus::Fail   ? spdlog::level::err
                            : c.status == engine::CheckStatus::Warn ? spdlog::level::warn
                                                                    : spdlog::level::info,
                            "check {}: {}: {}", c.name, engine::checkStatusName(c.status),
                            c.message);
            if (engine::anyFailed(checks)) {
                std::string failed;
                for (const auto& c : checks)
                    if (c.status == engine::CheckStatus::Fail)
                        failed.append(failed.empty() ? "" : ", ").append(c.name);
                throw PreflightFailed("pre-flight check failed: " + failed +
                                      " (see the run's checklist; checks.enabled=false skips it)");
            }
        }
        const engine::RunResult r = trainer.run(all);
        outcome.message = r.message;
        switch (r.outcome) {
            case engine::Outcome::Finished:
                outcome.status = storage::RunStatus::Finished;
                break;
            case engine::Outcome::Stopped:
                outcome.status = storage::RunStatus::Stopped;
                break;
            case engine::Outcome::Diverged:
                outcome.status = storage::RunStatus::Diverged;
                break;
        }
    } catch (const StoppedEarly& e) {
        outcome.status = storage::RunStatus::Stopped;
        outcome.message = e.what();
    } catch (const StoreFailed& e) {
        outcome.message = e.what();
        outcome.storageFailed = storage::isDatabaseUnusable(writer_->lastError().error().kind);
        spdlog::error("run {} failed: {}", run_.id, e.what());
    } catch (const engine::OutputError& e) {
        outcome.message = e.what();
        outcome.storageFailed = true;
        spdlog::error("run {} failed: {}", run_.id, e.what());
    } catch (const PreflightFailed& e) {
        outcome.message = e.what();
        outcome.checkFailed = true;
        spdlog::error("run {}: {}", run_.id, e.what());
    } catch (const std::exception& e) {
        outcome.message = e.what();
        spdlog::error("run {} failed: {}", run_.id, e.what());
    }
    // A busy database is waited for until a stop is requested, then for the writer's grace.
    const std::atomic<bool>* stop = trainer.stopFlag();
    if (auto s = writer_->flush(stop); !s) {
        spdlog::error("run {}: not every row was stored: {}", run_.id, s.error().message);
        if (outcome.status != storage::RunStatus::Failed) {
            outcome.status = storage::RunStatus::Failed;
            outcome.message = "storing the run's rows failed: " + s.error().message;
        }
        outcome.storageFailed = outcome.storageFailed || isDatabaseUnusable(s.error().kind);
        outcome.storageBusy = s.error().kind == storage::ErrorKind::Busy;
    }
    // The status is one small row: after a full disk it usually fits once the failed
    // checkpoint's temporary file is gone, and a busy database is waited for, but once stopping
    // only for the writer's grace (one SIGTERM ends the process) and not at all when the writer
    // already gave up its rows to a lock (the next open marks the run interrupted).
    const bool stopping = stop != nullptr && stop->load();
    if (stopping) store_.setBusyTimeout(storage::WriterOptions{}.stopGrace);
    storage::Status recorded;
    if (!outcome.storageBusy) {
        recorded = store_.setStatus(run_.id, outcome.status, outcome.message);
        for (int attempt = 0; !recorded && recorded.error().kind == storage::ErrorKind::Busy &&
                              !stopping && attempt < 30;
             ++attempt)
            recorded = store_.setStatus(run_.id, outcome.status, outcome.message);
    }
    if (!recorded) {
        spdlog::error("run {}: cannot record its status: {}", run_.id, recorded.error().message);
        outcome.storageFailed = true;
        outcome.storageBusy = recorded.error().kind == storage::ErrorKind::Busy;
        if (outcome.message.empty()) outcome.message = recorded.error().message;
    }
    run_.lock.release();
    return outcome;
}

}  // namespace runboard::app
