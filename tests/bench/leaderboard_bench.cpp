// The Leaderboard tab on an imported competition of N entries (1M by default, as a big Kaggle
// board), offscreen (QT_QPA_PLATFORM=offscreen if unset), in a real event loop:
//  1. import: the entries stored in one transaction (not the GUI's cost; printed for scale);
//  2. open: from choosing the competition to the table filled, the charts drawn and the tab
//     painted; with the longest the GUI thread went without processing events (a 5 ms timer);
//  3. re-sort by the private score and repaint.
// Gives up after --timeout seconds (default 600) and says so.
//   leaderboard_bench [--entries N] [--timeout S]

#include <fmt/format.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QStandardPaths>
#include <QTableView>
#include <QTimer>
#include <cstdio>
#include <random>

#include "bench/qt_wait.h"
#include "storage/leaderboard.h"
#include "storage/run_store.h"
#include "support/fixtures.h"
#include "widgets/leaderboard_view.h"

using namespace runboard;

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // lines out as they come, even when killed
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    int entries = 1'000'000, timeout = 600;
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::string(argv[i]) == "--entries") entries = std::atoi(argv[i + 1]);
        if (std::string(argv[i]) == "--timeout") timeout = std::atoi(argv[i + 1]);
    }
    test::TempDir dir;
    const std::string db = dir.file("board.db");
    storage::CompetitionId id = 0;
    {
        QElapsedTimer t;
        t.start();
        std::mt19937 rng(5);
        std::normal_distribution<double> skill(0.8, 0.05), noise(0, 0.01);
        std::vector<storage::BoardEntry> rows;
        rows.reserve(static_cast<std::size_t>(entries));
        for (int i = 0; i < entries; ++i) {
            const double s = skill(rng);
            const std::string date =
                fmt::format("2026-01-{:02} {:02}:{:02}", 1 + i % 28, i % 24, i % 60);
            rows.push_back({std::to_string(i), "team " + std::to_string(i), std::nullopt, date,
                            s + noise(rng), s + noise(rng)});
        }
        auto store = storage::RunStore::open(db);
        auto c = storage::insertCompetition(store->connection(), "big", "score", true, rows);
        if (!c) {
            std::fprintf(stderr, "import failed: %s\n", c.error().message.c_str());
            return 1;
        }
        id = c.value();
        std::printf("import of %d entries: %.1f s\n", entries, t.elapsed() / 1000.0);
    }

    widgets::LeaderboardView view;
    view.resize(1400, 900);
    view.show();
    view.setDatabase(QString::fromStdString(db));
    bench::waitFor([&] { return false; }, 500);  // the own-runs board (empty) first
    // The longest stretch without the event loop running: a 5 ms timer's largest gap.
    QElapsedTimer gap;
    qint64 longest = 0;
    QTimer probe;
    probe.setInterval(5);
    QObject::connect(&probe, &QTimer::timeout, [&] { longest = std::max(longest, gap.restart()); });
    gap.start();
    probe.start();
    QElapsedTimer t;
    t.start();
    bool loaded = false;
    QObject::connect(&view, &widgets::LeaderboardView::loaded,
                     [&] { loaded = view.snapshot().shown.id == id; });
    view.showCompetition(id);
    if (!bench::waitFor([&] { return loaded; }, timeout * 1000)) {
        std::printf("open: not loaded after %d s; gave up\n", timeout);
        return 2;
    }
    QCoreApplication::sendPostedEvents();  // layouts and chart items QtCharts makes lazily
    view.repaint();
    const qint64 open = t.elapsed();
    std::printf("open (query, rank, table, charts, first paint): %lld ms; longest stall %lld ms\n",
                static_cast<long long>(open), static_cast<long long>(longest));
    longest = 0;
    gap.restart();
    t.restart();
    view.table()->sortByColumn(widgets::LeaderboardModel::PrivateColumn, Qt::DescendingOrder);
    view.table()->repaint();
    std::printf("re-sort by private score and repaint: %lld ms\n",
                static_cast<long long>(t.elapsed()));
    std::printf("rows in the table: %d\n", view.table()->model()->rowCount());
    return 0;
}
