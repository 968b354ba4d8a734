// GUI scale and responsiveness, offscreen (QT_QPA_PLATFORM=offscreen is set if absent):
//  1. a generated database of 500 runs x 4 series x 10k points: runs table populated after open;
//  2. 10 of those runs overlaid in the curves (both default panels loaded);
//  3. one 1M-point series: from selection to drawn, query included, and the repaint alone;
//  4. the event loop's longest stall (a 5 ms timer probe) while a run trains at full speed
//     on Fashion-MNIST and logs every step, its curves shown live;
//  5. the same during an LR sweep drawn live in the LR finder (one point per mini-batch).
//   gui_bench [--db PATH] [--regen] [--train-seconds N]

#include <spdlog/spdlog.h>
#include <time.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "app/main_window.h"
#include "app/run_launcher.h"
#include "bench/qt_wait.h"
#include "storage/sweep_store.h"
#include "storage/writer.h"
#include "widgets/curves_panels.h"
#include "widgets/curves_view.h"
#include "widgets/lr_finder_view.h"
#include "widgets/runs_model.h"

using namespace runboard;
using runboard::bench::waitFor;

namespace {

// Times every event the GUI thread delivers, so a long gap in the probe can be told apart:
// our own work (one long event) or waiting for a core (no long event).
class TimedApplication : public QApplication {
public:
    using QApplication::QApplication;
    bool timing = false;
    qint64 longestNs = 0;
    qint64 longestCpuNs = 0;  // of which the GUI thread ran on a core
    qint64 longestAtMs = 0;
    double longestMonotonic = 0;  // when it began, in seconds of CLOCK_MONOTONIC (perf -k)
    QString longestWhat;
    QElapsedTimer since;  // started with timing

    static qint64 threadCpuNs() {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<qint64>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    }

    bool notify(QObject* receiver, QEvent* event) override {
        // The worker's events (a whole sweep is one queued call) are not the GUI thread's.
        if (!timing || QThread::currentThread() != thread())
            return QApplication::notify(receiver, event);
        QElapsedTimer t;
        t.start();
        const qint64 cpu0 = threadCpuNs();
        timespec began{};
        clock_gettime(CLOCK_MONOTONIC, &began);
        const int type = event->type();
        const bool result = QApplication::notify(receiver, event);
        if (const qint64 ns = t.nsecsElapsed(); ns > longestNs) {
            longestNs = ns;
            longestCpuNs = threadCpuNs() - cpu0;
            longestAtMs = since.elapsed();
            longestMonotonic =
                static_cast<double>(began.tv_sec) + static_cast<double>(began.tv_nsec) / 1e9;
            longestWhat = QStringLiteral("%1 (event %2)")
                              .arg(QString::fromLatin1(receiver->metaObject()->className()))
                              .arg(type);
        }
        return result;
    }
};

// Runs `loop` with a 5 ms timer probing it; returns the longest gap between ticks, in ns.
qint64 probeStalls(TimedApplication& app, QEventLoop& loop, qint64* ticks) {
    QElapsedTimer probe;
    probe.start();
    qint64 last = 0, worst = 0;
    *ticks = 0;
    QTimer timer;
    timer.setTimerType(Qt::PreciseTimer);
    QObject::connect(&timer, &QTimer::timeout, [&] {
        const qint64 now = probe.nsecsElapsed();
        if (last != 0) worst = std::max(worst, now - last);
        last = now;
        ++*ticks;
    });
    timer.start(5);
    app.longestNs = 0;
    app.timing = true;
    app.since.start();
    loop.exec();
    app.timing = false;
    timer.stop();
    return worst;
}

void printLongestEvent(const TimedApplication& app) {
    std::printf(
        "  longest single event on the GUI thread: %.1f ms (%.1f ms of it on a core), %s, "
        "%lld ms into the probe (CLOCK_MONOTONIC %.6f s)\n",
        static_cast<double>(app.longestNs) / 1e6, static_cast<double>(app.longestCpuNs) / 1e6,
        qPrintable(app.longestWhat), static_cast<long long>(app.longestAtMs), app.longestMonotonic);
}

void generate(const std::string& path) {
    std::filesystem::remove(path);
    std::filesystem::remove(path + "-wal");
    std::filesystem::remove_all(path + ".files");
    auto store = storage::RunStore::open(path);
    auto writer = storage::Writer::open(path);
    const storage::KeyHandle keys[4] = {
        writer.value()->key("train/loss"), writer.value()->key("train/lr"),
        writer.value()->key("val/accuracy"), writer.value()->key("test/accuracy")};
    QElapsedTimer t;
    t.start();
    for (int r = 0; r < 500; ++r) {
        storage::NewRun run{"run " + std::to_string(r),
                            std::nullopt,
                            "{}",
                            r,
                            {{"model", r % 2 ? "cnn" : "mlp", "string"},
                             {"lr", std::to_string(0.01 * (1 + r % 7)), "float"}},
                            storage::RunStatus::Finished};
        auto owned = store->createRun(run);
        const double rate = 1e-4 * (1 + r % 13);
        for (std::int64_t s = 1; s <= 10'000; ++s) {
            const double x = static_cast<double>(s);
            writer.value()->metric(owned->id, keys[0], s,
                                   2.3 * std::exp(-rate * x) + 0.05 * std::sin(x), 0);
            writer.value()->metric(owned->id, keys[1], s, 0.1 * std::cos(x / 10'000.0), 0);
            writer.value()->metric(owned->id, keys[2], s, 0.9 - 0.4 * std::exp(-rate * x), 0);
            writer.value()->metric(owned->id, keys[3], s, 0.88 - 0.4 * std::exp(-rate * x), 0);
        }
        owned->lock.release();
        (void)store->setStatus(owned->id, storage::RunStatus::Finished);
    }
    auto big =
        store->createRun({"1M points", std::nullopt, "{}", 0, {}, storage::RunStatus::Finished});
    for (std::int64_t s = 1; s <= 1'000'000; ++s)
        writer.value()->metric(
            big->id, keys[0], s,
            1.0 / std::sqrt(static_cast<double>(s)) + (s % 99'991 == 0 ? 5.0 : 0.0), 0);
    big->lock.release();
    (void)store->setStatus(big->id, storage::RunStatus::Finished);
    (void)writer.value()->flush();
    std::printf("generated %s: 501 runs, %d rows in %.1f s\n", path.c_str(),
                500 * 4 * 10'000 + 1'000'000, static_cast<double>(t.elapsed()) / 1000.0);
}

}  // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    TimedApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    spdlog::set_level(spdlog::level::warn);
    std::string db = (std::filesystem::temp_directory_path() / "runboard-gui-bench.db").string();
    bool regen = false;
    int trainSeconds = 15;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--db" && i + 1 < argc)
            db = argv[++i];
        else if (a == "--regen")
            regen = true;
        else if (a == "--train-seconds" && i + 1 < argc)
            trainSeconds = std::atoi(argv[++i]);
    }
    if (regen || !std::filesystem::exists(db)) generate(db);

    // 1. Runs table after open.
    QElapsedTimer t;
    t.start();
    auto* window = new app::MainWindow(QString::fromStdString(db));
    window->resize(1400, 900);
    window->show();
    if (!waitFor([&] { return window->runsModel()->rowCount() >= 501; }, 30'000)) return 1;
    const double tableMs = static_cast<double>(t.nsecsElapsed()) / 1e6;
    QTest::qWait(300);

    // 2. Ten runs overlaid (both panels).
    std::vector<storage::RunId> ten;
    for (storage::RunId id = 11; id <= 20; ++id)
        ten.push_back(id);
    auto overlaid = [&] {
        for (auto* p : window->panels()->panels())
            if (p->snapshot().series.size() != ten.size()) return false;
        return true;
    };
    t.restart();
    window->selectRuns(ten);
    if (!waitFor(overlaid, 30'000)) return 1;
    const double tenMs = static_cast<double>(t.nsecsElapsed()) / 1e6;

    // 3. The 1M-point series, in the first panel.
    widgets::CurvesView* view = window->curves();
    QTest::qWait(300);
    t.restart();
    window->selectRuns({501});
    if (!waitFor(
            [&] {
                return view->snapshot().series.size() == 1 &&
                       view->snapshot().series.front().run == 501;
            },
            30'000))
        return 1;
    const double loadedMs = static_cast<double>(t.nsecsElapsed()) / 1e6;
    QElapsedTimer paint;
    paint.start();
    view->repaint();
    const double paintMs = static_cast<double>(paint.nsecsElapsed()) / 1e6;
    const auto& big = view->snapshot().series.front();
    std::printf("runs table populated after open:      %7.1f ms  (target <= 300)\n", tableMs);
    std::printf("10 runs overlaid in both panels:      %7.1f ms  (target <= 200)\n", tenMs);
    std::printf(
        "1M-point series, selection to drawn:  %7.1f ms  (query + M4 + chart update %.1f ms, "
        "repaint %.1f ms; target <= 50); %lld of %lld points drawn, plot %d px\n",
        loadedMs + paintMs, loadedMs, paintMs, static_cast<long long>(big.shown),
        static_cast<long long>(big.total), view->plotWidth());

    // 4. Event-loop stalls while training at full speed and logging every step.
    if (std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") &&
        trainSeconds > 0) {
        config::Config c = config::Config::defaults();
        c.set("model", std::string("mlp"));
        c.set("batch_size", std::int64_t{32});
        c.set("epochs", std::int64_t{50});
        auto id = window->launcher()->startRun(c, "stall probe");
        if (!id) return 1;
        QSignalSpy progress(window->training(), &app::TrainingController::progress);
        if (!waitFor([&] { return progress.count() > 0; }, 60'000)) return 1;
        window->selectRuns({id.value()});
        // A real event loop, as the app's: QTest::qWait sleeps 10 ms between rounds of events.
        QEventLoop loop;
        QTimer::singleShot(trainSeconds * 1000, &loop, &QEventLoop::quit);
        qint64 ticks = 0;
        const qint64 worst = probeStalls(app, loop, &ticks);
        const auto steps =
            progress.isEmpty() ? 0 : progress.last().at(0).value<app::RunProgress>().step;
        window->training()->stopCurrent();
        waitFor([&] { return !window->training()->busy(); }, 30'000);
        if (auto store = storage::RunStore::open(db))
            (void)store->deleteRun(id.value());  // keep the database as generated
        std::printf(
            "event loop while training (mlp, batch 32, every step logged, curves live): longest "
            "gap between 5 ms ticks %.1f ms over %d s (%lld ticks, %lld steps; target <= 50)\n",
            static_cast<double>(worst) / 1e6, trainSeconds, static_cast<long long>(ticks),
            static_cast<long long>(steps));
        printLongestEvent(app);

        // 5. An LR sweep drawn live: the MLP's mini-batches take milliseconds, so points arrive
        // far faster than a CNN's would.
        window->findChild<QTabWidget*>()->setCurrentWidget(window->lrFinder());
        config::Config sc = config::Config::defaults();
        sc.set("model", std::string("mlp"));
        sc.set("batch_size", std::int64_t{32});
        sweep::Options options;
        options.steps = 300;
        QEventLoop sweepLoop;
        QObject::connect(window->training(), &app::TrainingController::sweepEnded, &sweepLoop,
                         &QEventLoop::quit);
        QTimer::singleShot(180'000, &sweepLoop, &QEventLoop::quit);
        window->launcher()->startSweep(sc, options, QStringLiteral("stall probe"));
        int drawn = 0;
        QObject::connect(window->training(), &app::TrainingController::sweepPoint,
                         [&] { drawn = std::max(drawn, window->lrFinder()->liveCount()); });
        const qint64 sweepWorst = probeStalls(app, sweepLoop, &ticks);
        std::printf(
            "event loop during a live LR sweep (mlp, batch 32, up to 300 steps): longest gap "
            "between 5 ms ticks %.1f ms (%lld ticks, %d live points drawn; target <= 50)\n",
            static_cast<double>(sweepWorst) / 1e6, static_cast<long long>(ticks), drawn);
        printLongestEvent(app);
        waitFor([&] { return !window->training()->busy(); }, 30'000);
        if (auto store = storage::RunStore::open(db))  // keep the database as generated
            if (auto sweeps = storage::listSweeps(store->connection()))
                for (const auto& s : sweeps.value())
                    (void)storage::deleteSweep(store->connection(), s.id);
    }
    delete window;
    return 0;
}
