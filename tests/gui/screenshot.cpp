// Renders the main window on a database to a PNG, as a person would see it: for the README and
// for looking at the views. Run it offscreen or under Xvfb with the real xcb platform.
//   runboard_screenshot DB OUT.png [METRIC] [RUN_ID...]
//   runboard_screenshot DB OUT.png --new-run-dialog | --new-sweep-dialog
//   runboard_screenshot DB OUT.png --new-run-dialog FOLDER   (data.source=folder, after a Scan)
//   runboard_screenshot DB OUT.png --lr-finder [RULE] SWEEP_ID...
//   runboard_screenshot DB OUT.png --leaderboard [COMPETITION_ID]
//   runboard_screenshot DB OUT.png --gallery [val|test] RUN_ID [OTHER_RUN_ID...]
//   runboard_screenshot DB OUT.png --repeat RUN_ID N   (queues N seed repeats, waits, then shoots)
//   runboard_screenshot DB OUT.png --compare [METRIC] BASELINE_ID RUN_ID...
//   runboard_screenshot DB OUT.png --lineage
//   runboard_screenshot DB OUT.png --checks RUN_ID
//   runboard_screenshot DB OUT.png --profile RUN_ID [OTHER_RUN_ID] [layers|diff]
// The window is 1400x900 unless RUNBOARD_SCREENSHOT_SIZE=WxH says otherwise.
// RUNBOARD_SCREENSHOT_ARCHIVED=1 ticks the curves' "Show archived points" (resumed runs).

#include <QApplication>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTest>
#include <cctype>
#include <cstdio>

#include "app/main_window.h"
#include "app/run_launcher.h"
#include "widgets/checklist_view.h"
#include "widgets/compare_view.h"
#include "widgets/curves_view.h"
#include "widgets/gallery_view.h"
#include "widgets/leaderboard_view.h"
#include "widgets/lineage_view.h"
#include "widgets/lr_finder_view.h"
#include "widgets/new_run_dialog.h"
#include "widgets/profile_models.h"
#include "widgets/profile_view.h"
#include "widgets/runs_model.h"
#include "widgets/sweeps_model.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);  // leave the user's settings alone
    if (argc < 3) {
        std::fprintf(stderr, "usage: runboard_screenshot DB OUT.png [METRIC] [RUN_ID...]\n");
        return 2;
    }
    if (argc > 3 && (QByteArray(argv[3]) == "--new-run-dialog" ||
                     QByteArray(argv[3]) == "--new-sweep-dialog")) {
        const bool sweep = QByteArray(argv[3]) == "--new-sweep-dialog";
        runboard::widgets::NewRunDialog dialog(
            runboard::config::Config::defaults(), nullptr,
            sweep ? std::optional(runboard::sweep::Options{}) : std::nullopt);
        const bool scan = !sweep && argc > 4;
        if (sweep) {  // shows the inline error
            dialog.setSweepField(QStringLiteral("end"), QStringLiteral("1e-8"));
        } else if (scan) {  // the Data section after a Scan of the folder, or of a text table
            const QString source = QString::fromLocal8Bit(argv[4]);
            if (source.endsWith(QLatin1String(".csv")) || source.endsWith(QLatin1String(".tsv"))) {
                dialog.setField(QStringLiteral("data.source"), QStringLiteral("text"));
                dialog.setField(QStringLiteral("data.path"), source);
                dialog.setField(QStringLiteral("data.text"), argc > 5
                                                                 ? QString::fromLocal8Bit(argv[5])
                                                                 : QStringLiteral("text"));
                dialog.setField(QStringLiteral("model"), QStringLiteral("gru"));
            } else {
                dialog.setField(QStringLiteral("data.source"), QStringLiteral("folder"));
                dialog.setField(QStringLiteral("data.dir"), source);
            }
        } else {
            dialog.setField(QStringLiteral("lr"), QStringLiteral("0"));
        }
        // RUNBOARD_SCREENSHOT_SIZE=WxH, else the dialog's own size.
        const QStringList size = qEnvironmentVariable("RUNBOARD_SCREENSHOT_SIZE").split('x');
        if (size.size() == 2) dialog.resize(size[0].toInt(), size[1].toInt());
        dialog.show();
        if (scan) {
            QSignalSpy finished(&dialog, &runboard::widgets::NewRunDialog::scanFinished);
            dialog.startScan();
            if (!finished.wait(120'000)) return 1;
        }
        QTest::qWait(300);
        return dialog.grab().save(QString::fromLocal8Bit(argv[2])) ? 0 : 1;
    }
    runboard::app::MainWindow window(QString::fromLocal8Bit(argv[1]));
    // RUNBOARD_SCREENSHOT_SIZE=WxH (default 1400x900): to look at 1280x800 and 1920x1080 too.
    const QStringList size = qEnvironmentVariable("RUNBOARD_SCREENSHOT_SIZE").split('x');
    window.resize(size.size() == 2 ? size[0].toInt() : 1400,
                  size.size() == 2 ? size[1].toInt() : 900);
    window.show();
    if (argc > 3 && QByteArray(argv[3]) == "--leaderboard") {
        auto* view = window.leaderboard();
        window.findChild<QTabWidget*>()->setCurrentWidget(view);
        const qint64 id = argc > 4 ? std::atoll(argv[4]) : 0;
        view->showCompetition(id);
        QElapsedTimer t;
        t.start();
        while ((view->snapshot().shown.id != id || view->model()->rowCount() == 0) &&
               t.elapsed() < 15'000)
            QTest::qWait(50);
        QTest::qWait(500);
        if (!window.grab().save(QString::fromLocal8Bit(argv[2]))) return 1;
        std::printf("%s: %d entries\n", argv[2], view->model()->entryCount());
        return 0;
    }
    if (argc > 5 && QByteArray(argv[3]) == "--repeat") {
        QElapsedTimer t;
        t.start();
        while (window.runsModel()->rowCount() == 0 && t.elapsed() < 10'000)
            QTest::qWait(50);
        const auto ids = window.launcher()->repeatRun(std::atoll(argv[4]), std::atoi(argv[5]));
        QTest::qWait(500);
        while (window.training()->busy() && t.elapsed() < 600'000)
            QTest::qWait(200);
        QTest::qWait(1000);
        std::printf("%zu repeats trained\n", ids.size());
        return window.grab().save(QString::fromLocal8Bit(argv[2])) ? 0 : 1;
    }
    if (argc > 4 && QByteArray(argv[3]) == "--checks") {
        QElapsedTimer t;
        t.start();
        while (window.runsModel()->rowCount() == 0 && t.elapsed() < 10'000)
            QTest::qWait(50);
        window.selectRuns({std::atoll(argv[4])});
        window.findChild<QTabWidget*>()->setCurrentWidget(window.checklist());
        while (window.checklist()->model()->rowCount() == 0 && t.elapsed() < 10'000)
            QTest::qWait(50);
        QTest::qWait(500);
        std::printf("%s: %d checks\n", argv[2], window.checklist()->model()->rowCount());
        return window.grab().save(QString::fromLocal8Bit(argv[2])) ? 0 : 1;
    }
    if (argc > 4 && QByteArray(argv[3]) == "--profile") {
        auto* view = window.profile();
        QElapsedTimer t;
        t.start();
        while (window.runsModel()->rowCount() == 0 && t.elapsed() < 10'000)
            QTest::qWait(50);
        std::vector<runboard::storage::RunId> ids;
        QByteArray table;
        for (int i = 4; i < argc; ++i) {
            if (std::isdigit(static_cast<unsigned char>(argv[i][0])))
                ids.push_back(std::atoll(argv[i]));
            else
                table = argv[i];
        }
        window.selectRuns(ids);
        window.findChild<QTabWidget*>()->setCurrentWidget(view);
        while (view->snapshot().runs.size() != std::min<std::size_t>(ids.size(), 2) &&
               t.elapsed() < 10'000)
            QTest::qWait(50);
        if (table == "layers") view->tables()->setCurrentIndex(2);
        if (table == "diff") view->tables()->setCurrentIndex(1);
        QTest::qWait(800);
        std::printf("%s: %d ops, %d layers, %d diff rows\n", argv[2], view->opModel()->rowCount(),
                    view->layerModel()->rowCount(), view->diffModel()->rowCount());
        return window.grab().save(QString::fromLocal8Bit(argv[2])) ? 0 : 1;
    }
    if (argc > 3 && QByteArray(argv[3]) == "--lineage") {
        window.findChild<QTabWidget*>()->setCurrentWidget(window.lineage());
        QElapsedTimer t;
        t.start();
        while (window.lineage()->model()->rowCount() == 0 && t.elapsed() < 10'000)
            QTest::qWait(50);
        QTest::qWait(500);
        std::printf("%s: %d roots\n", argv[2], window.lineage()->model()->rowCount());
        return window.grab().save(QString::fromLocal8Bit(argv[2])) ? 0 : 1;
    }
    if (argc > 5 && QByteArray(argv[3]) == "--compare") {
        auto* view = window.compare();
        QElapsedTimer t;
        t.start();
        while (window.runsModel()->rowCount() == 0 && t.elapsed() < 10'000)
            QTest::qWait(50);
        int first = 4;
        QString metric;
        if (!std::isdigit(static_cast<unsigned char>(argv[4][0]))) metric = argv[first++];
        std::vector<runboard::storage::RunId> ids;
        for (int i = first; i < argc; ++i)
            ids.push_back(std::atoll(argv[i]));
        window.selectRuns(ids);
        window.findChild<QTabWidget*>()->setCurrentWidget(view);
        view->setBaseline(ids.front());
        if (!metric.isEmpty()) view->curves()->setMetric(metric);
        while ((view->snapshot().runs.size() != ids.size() ||
                view->curves()->snapshot().series.empty()) &&
               t.elapsed() < 30'000)
            QTest::qWait(50);
        QTest::qWait(800);
        if (!window.grab().save(QString::fromLocal8Bit(argv[2]))) return 1;
        std::printf("%s: %zu runs compared\n%s\n", argv[2], view->snapshot().runs.size(),
                    qPrintable(view->verdictText()));
        return 0;
    }
    if (argc > 5 && QByteArray(argv[3]) == "--gallery") {
        auto* view = window.gallery();
        QElapsedTimer t;
        t.start();
        while (window.runsModel()->rowCount() == 0 && t.elapsed() < 10'000)
            QTest::qWait(50);
        std::vector<runboard::storage::RunId> ids;
        for (int i = 5; i < argc; ++i)
            ids.push_back(std::atoll(argv[i]));
        window.selectRuns(ids);
        window.findChild<QTabWidget*>()->setCurrentWidget(view);
        if (QByteArray(argv[4]) == "val") view->showValidationEpoch(-1);
        while (view->model()->rowCount() == 0 && t.elapsed() < 15'000)
            QTest::qWait(50);
        if (ids.size() > 1) view->setCompareRun(ids[1]);
        QTest::qWait(800);
        view->selectRow(0);
        QTest::qWait(800);
        if (!window.grab().save(QString::fromLocal8Bit(argv[2]))) return 1;
        std::printf("%s: %d samples shown; %s\n", argv[2], view->model()->rowCount(),
                    qPrintable(view->summaryText()));
        return 0;
    }
    if (argc > 3 && QByteArray(argv[3]) == "--lr-finder") {
        auto* view = window.lrFinder();
        window.findChild<QTabWidget*>()->setCurrentWidget(view);
        std::vector<runboard::storage::SweepId> sweeps;
        int first = 4;
        if (argc > 4 && !std::isdigit(static_cast<unsigned char>(argv[4][0]))) {
            view->setRule(QString::fromLocal8Bit(argv[4]));
            first = 5;
        }
        for (int i = first; i < argc; ++i)
            sweeps.push_back(std::atoll(argv[i]));
        QElapsedTimer t;
        t.start();
        while (view->model()->rowCount() == 0 && t.elapsed() < 10'000)
            QTest::qWait(50);
        view->selectSweeps(sweeps);
        while (view->snapshot().curves.size() != sweeps.size() && t.elapsed() < 15'000)
            QTest::qWait(50);
        QTest::qWait(500);
        if (!window.grab().save(QString::fromLocal8Bit(argv[2]))) return 1;
        std::printf("%s: %d sweeps, %zu drawn, %zu markers\n", argv[2], view->model()->rowCount(),
                    view->snapshot().curves.size(), view->markers().size());
        return 0;
    }
    QElapsedTimer t;
    t.start();
    while (window.runsModel()->rowCount() == 0 && t.elapsed() < 10'000)
        QTest::qWait(50);
    std::vector<runboard::storage::RunId> ids;
    for (int i = 4; i < argc; ++i)
        ids.push_back(std::atoll(argv[i]));
    if (!ids.empty()) window.selectRuns(ids);
    if (qEnvironmentVariableIntValue("RUNBOARD_SCREENSHOT_ARCHIVED") == 1)
        window.curves()->setShowArchived(true);
    if (argc > 3) window.curves()->setMetric(QString::fromLocal8Bit(argv[3]));
    QTest::qWait(300);
    while (window.curves()->snapshot().series.empty() && t.elapsed() < 15'000)
        QTest::qWait(50);
    QTest::qWait(500);
    if (!window.grab().save(QString::fromLocal8Bit(argv[2]))) return 1;
    std::printf("%s: %d runs, %zu curves, %d points drawn\n", argv[2],
                window.runsModel()->rowCount(), window.curves()->snapshot().series.size(),
                window.curves()->drawnPoints());
    return 0;
}
