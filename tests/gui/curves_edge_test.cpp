// GUI tests of the curves panels at their edges, offscreen: a series of one point (every 1-epoch
// run's val/accuracy) is drawn as a dot inside both ranges, File > Export writes every panel, and
// at 1280x800 the panels, the runs table and the log dock each keep a usable size.

#include <gtest/gtest.h>

#include <QApplication>
#include <QDockWidget>
#include <QFont>
#include <QFontMetrics>
#include <QImage>
#include <QMouseEvent>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QTextBlock>
#include <QTextDocument>
#include <QWheelEvent>
#include <array>
#include <cmath>

#include "app/main_window.h"
#include "storage/resume_store.h"
#include "storage/run_store.h"
#include "storage/writer.h"
#include "support/fixtures.h"
#include "widgets/curves_loader.h"
#include "widgets/curves_panels.h"
#include "widgets/curves_view.h"
#include "widgets/log_view.h"
#include "widgets/plot/plot_tools.h"
#include "widgets/runs_model.h"

using namespace runboard;

namespace {

// Runs with the given (step, value) points of one metric.
std::vector<storage::RunId> writeRuns(
    const std::string& db, const std::string& metric,
    const std::vector<std::vector<std::pair<std::int64_t, double>>>& runs) {
    std::vector<storage::RunId> ids;
    auto store = storage::RunStore::open(db);
    for (std::size_t i = 0; i < runs.size(); ++i) {
        auto run = store->createRun(
            {"run " + std::to_string(i), std::nullopt, "{}", 0, {}, storage::RunStatus::Finished});
        ids.push_back(run->id);
    }
    auto writer = storage::Writer::open(db);
    const auto key = writer.value()->key(metric);
    for (std::size_t i = 0; i < runs.size(); ++i)
        for (const auto& [step, value] : runs[i])
            writer.value()->metric(ids[i], key, step, value, 0);
    EXPECT_TRUE(writer.value()->flush());
    return ids;
}

bool near(QColor a, QColor b, int tolerance) {
    return std::abs(a.red() - b.red()) <= tolerance &&
           std::abs(a.green() - b.green()) <= tolerance &&
           std::abs(a.blue() - b.blue()) <= tolerance;
}

}  // namespace

TEST(CurvesView, ASeriesOfOnePointIsADotInsideBothRanges) {
    test::TempDir dir;
    const std::string db = dir.file("one.db");
    // Two 1-epoch runs: one val/accuracy point each, at the same step, different values.
    const auto ids = writeRuns(db, "val/accuracy", {{{15, 0.62}}, {{15, 0.71}}});
    widgets::CurvesView view;
    view.resize(900, 420);
    view.show();
    view.setMetric(QStringLiteral("val/accuracy"));
    view.setDatabase(QString::fromStdString(db));
    view.setRuns({{ids[0], "a"}, {ids[1], "b"}});
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.snapshot().series.size() == 2; }, 10'000));
    QTest::qWait(50);
    const auto& m = view.plot().mapping();
    // Both values inside the y range, with room: neither on the frame.
    EXPECT_LT(m.y0, 0.62 - 0.001);
    EXPECT_GT(m.y1, 0.71 + 0.001);
    EXPECT_GT(m.y0, -0.1) << "not squashed into a range two units wide";
    // The one x in the middle, not on the left edge where the dot was half clipped.
    EXPECT_LT(m.x0, 15.0 - 0.1);
    EXPECT_GT(m.x1, 15.0 + 0.1);
    // The y ticks: at least two labels.
    EXPECT_GE(view.plot().yTicks().size(), 2u);
    // Each run's dot is on screen, in the run's colour (the smoothed line's, drawn last).
    auto* plot = view.findChild<widgets::PlotWidget*>();
    ASSERT_NE(plot, nullptr);
    const QImage shot = plot->grab().toImage();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const QPoint at = m.toPixel(15, i == 0 ? 0.62 : 0.71).toPoint();
        ASSERT_TRUE(shot.rect().contains(at));
        const QColor colour = widgets::runColor(ids[i]);
        EXPECT_TRUE(near(shot.pixelColor(at), colour, 40))
            << "run " << i << " at " << at.x() << "," << at.y() << ": "
            << shot.pixelColor(at).name().toStdString() << " instead of "
            << colour.name().toStdString();
    }
}

TEST(CurvesView, OnePointNextToALongerRunStaysInTheRange) {
    test::TempDir dir;
    const std::string db = dir.file("two.db");
    // A 1-epoch run (one point, above everything) next to a 3-epoch run, on the epoch axis.
    const auto ids =
        writeRuns(db, "val/accuracy", {{{15, 0.9}}, {{15, 0.5}, {30, 0.6}, {45, 0.7}}});
    {
        auto writer = storage::Writer::open(db);
        const auto key = writer.value()->key("epoch");
        writer.value()->metric(ids[0], key, 15, 1, 0);
        for (int e = 1; e <= 3; ++e)
            writer.value()->metric(ids[1], key, 15 * e, e, 0);
        ASSERT_TRUE(writer.value()->flush());
    }
    widgets::CurvesView view;
    view.resize(900, 420);
    view.show();
    view.setMetric(QStringLiteral("val/accuracy"));
    view.setDatabase(QString::fromStdString(db));
    view.setXAxis(widgets::XAxis::Epoch);
    view.setRuns({{ids[0], "one"}, {ids[1], "three"}});
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
            return view.snapshot().series.size() == 2 &&
                   view.snapshot().xAxis == widgets::XAxis::Epoch;
        },
        10'000));
    const auto& m = view.plot().mapping();
    EXPECT_LT(m.y0, 0.5);
    EXPECT_GT(m.y1, 0.9);
    EXPECT_LE(m.x0, 1.0);
    EXPECT_GE(m.x1, 3.0);
    // The single point is a line of one point, which the layer draws as a dot.
    bool single = false;
    for (const auto& line : view.plot().lines())
        single = single || line.points.size() == 1;
    EXPECT_TRUE(single);
}

namespace {

// Pixels of `colour` (within a tolerance) in rows [top, bottom) of an image.
int pixelsOf(const QImage& image, QColor colour, int top, int bottom) {
    int n = 0;
    for (int y = std::max(0, top); y < std::min(bottom, image.height()); ++y)
        for (int x = 0; x < image.width(); ++x)
            n += near(image.pixelColor(x, y), colour, 30) ? 1 : 0;
    return n;
}

}  // namespace

TEST(MainWindow, ExportWritesEveryPanelAsShown) {
    test::TempDir dir;
    const std::string db = dir.file("export.db");
    std::vector<std::pair<std::int64_t, double>> loss, accuracy;
    for (int s = 0; s < 200; ++s)
        loss.emplace_back(s, 2.3 * std::exp(-s / 80.0));
    for (int e = 1; e <= 4; ++e)
        accuracy.emplace_back(50 * e, 0.5 + 0.1 * e);
    const auto ids = writeRuns(db, "train/loss", {loss});
    {
        auto writer = storage::Writer::open(db);
        const auto key = writer.value()->key("val/accuracy");
        for (const auto& [step, value] : accuracy)
            writer.value()->metric(ids[0], key, step, value, 0);
        ASSERT_TRUE(writer.value()->flush());
    }
    app::MainWindow window(QString::fromStdString(db));
    window.resize(1280, 860);
    window.show();
    ASSERT_TRUE(QTest::qWaitFor([&] { return window.runsModel()->rowCount() == 1; }, 10'000));
    window.selectRuns({ids[0]});
    const auto& panels = window.panels()->panels();
    ASSERT_EQ(panels.size(), 2u);
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
            return !panels[0]->snapshot().series.empty() && !panels[1]->snapshot().series.empty();
        },
        10'000));
    QTest::qWait(100);

    // PNG: one image of both panels, stacked; the run's curve in each.
    const QString png = QString::fromStdString(dir.file("all.png"));
    ASSERT_TRUE(window.exportCharts(png));
    const QImage image(png);
    ASSERT_FALSE(image.isNull());
    const int first = panels[0]->exportSize().height();
    const int second = panels[1]->exportSize().height();
    EXPECT_EQ(image.height(), first + second);
    EXPECT_GT(second, 100);
    const QColor colour = widgets::runColor(ids[0]);
    EXPECT_GT(pixelsOf(image, colour, 0, first), 50) << "the first panel's curve";
    EXPECT_GT(pixelsOf(image, colour, first, first + second), 50) << "the second panel's curve";
    // SVG: both panels' titles; CSV: both panels' series.
    const QString svg = QString::fromStdString(dir.file("all.svg"));
    ASSERT_TRUE(window.exportCharts(svg));
    const std::string svgText = test::readFile(svg.toStdString());
    EXPECT_NE(svgText.find("train/loss"), std::string::npos);
    EXPECT_NE(svgText.find("val/accuracy"), std::string::npos);
    const QString csv = QString::fromStdString(dir.file("all.csv"));
    ASSERT_TRUE(window.exportCharts(csv));
    const std::string csvText = test::readFile(csv.toStdString());
    EXPECT_EQ(csvText.rfind("run,name,metric,step,value\n", 0), 0u);
    EXPECT_NE(csvText.find(",\"train/loss\","), std::string::npos) << csvText.substr(0, 200);
    EXPECT_NE(csvText.find(",\"val/accuracy\",200,"), std::string::npos);
}

TEST(PlotWidget, AShortPlotKeepsTwoTickLabelsAndItsWholeYTitle) {
    widgets::PlotWidget plot;
    plot.setTitles("step", "val/accuracy");
    plot.resize(700, 130);  // a short panel
    plot.setRanges(0, 100, 9.6, 10.4);
    plot.show();
    ASSERT_LT(plot.mapping().area.height(), 90);
    // The coarsest spacing that fits two ticks (0.5) has only "10" inside: a finer one.
    EXPECT_GE(plot.yTicks().size(), 2u);
    for (double t : plot.yTicks()) {
        EXPECT_GE(t, 9.6 - 1e-9);
        EXPECT_LE(t, 10.4 + 1e-9);
    }
    // Too short for "val/accuracy" up the side: above the plot, whole.
    EXPECT_TRUE(plot.yTitleAbove());
    EXPECT_GT(plot.labelMargins().top(), QFontMetrics(QFont()).height());
    // The area is the widget less the margins the labels need.
    EXPECT_EQ(plot.mapping().area,
              QRectF(plot.rect()).marginsRemoved(plot.labelMargins().toMarginsF()));
    // A tall plot: up the side again.
    plot.resize(700, 460);
    EXPECT_FALSE(plot.yTitleAbove());
    EXPECT_GT(plot.mapping().area.height(), 380);
}

TEST(PlotWidget, LogAxesTickDecadesAndMapBothWays) {
    widgets::PlotWidget plot;
    plot.resize(800, 400);
    plot.setLogScales(true, true);
    plot.setRanges(1e-6, 1.0, 1e-2, 10);
    EXPECT_EQ(plot.xTicks().front(), 1e-6);
    EXPECT_EQ(plot.xTicks().back(), 1.0);
    const auto& m = plot.mapping();
    // Decades equally spaced, and pixel -> value inverts value -> pixel on both axes.
    const double d1 = m.toPixel(1e-5, 1).x() - m.toPixel(1e-6, 1).x();
    const double d2 = m.toPixel(1e-1, 1).x() - m.toPixel(1e-2, 1).x();
    EXPECT_NEAR(d1, d2, 1e-9);
    for (double v : {3e-6, 2e-3, 0.5})
        EXPECT_NEAR(m.xAt(m.toPixel(v, 1).x()) / v, 1.0, 1e-9);
    for (double v : {0.02, 0.7, 9.0})
        EXPECT_NEAR(m.yAt(m.toPixel(1e-3, v).y()) / v, 1.0, 1e-9);
}

TEST(PlotWidget, MarkerLabelsThatWouldOverlapMoveApart) {
    widgets::PlotWidget plot;
    plot.resize(800, 400);
    plot.setRanges(0, 10, 0, 10);
    plot.show();
    // Three markers almost on one spot, each asking for its label at the same offset.
    widgets::PlotMarkers markers{{{5, 5}, {5.05, 5.05}, {5.1, 4.95}}, Qt::blue};
    for (const char* text : {"valley 0.0003", "min/10 0.0022", "min/10 0.0026"})
        markers.labels.push_back({text, QPointF(6, -20), Qt::black});
    // And one far away, which stays where it asked.
    widgets::PlotMarkers far{{{1, 1}}, Qt::red};
    far.labels.push_back({"stop", QPointF(6, -20), Qt::black});
    plot.setContent({{}, {}, {markers, far}});
    const auto placed = plot.placeLabels();
    ASSERT_EQ(placed.size(), 4u);
    for (std::size_t i = 0; i < placed.size(); ++i)
        for (std::size_t j = i + 1; j < placed.size(); ++j)
            EXPECT_FALSE(placed[i].first.intersects(placed[j].first)) << i << " and " << j;
    // Nor do they cover a marker, and all stay inside the plot.
    for (const auto& [box, label] : placed) {
        EXPECT_TRUE(plot.mapping().area.contains(box)) << label->text.toStdString();
        for (const auto& group : plot.markers())
            for (const auto& p : group.points) {
                const QPointF c = plot.mapping().toPixel(p.x, p.y);
                const QRectF mark(c.x() - group.size / 2, c.y() - group.size / 2, group.size,
                                  group.size);
                EXPECT_FALSE(box.intersects(mark)) << label->text.toStdString();
            }
    }
    // A label with room stays where it asked.
    EXPECT_EQ(placed[3].first.topLeft(), plot.mapping().toPixel(1, 1) + QPointF(6, -20));
}

TEST(PlotWidget, TheWheelNeverZoomsALogAxisOutToZeroOrInfinity) {
    widgets::PlotWidget plot;
    plot.resize(800, 400);
    plot.setLogScales(true, false);
    plot.setRanges(1e-7, 10, 0, 1);
    plot.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&plot));
    widgets::PlotZoomer zoomer(&plot);
    QObject::connect(&zoomer, &widgets::PlotZoomer::zoomed, &plot, &widgets::PlotWidget::setRanges);
    const QPointF at = plot.mapping().area.center();
    for (int i = 0; i < 200; ++i) {  // far out, then far in
        const int delta = i < 100 ? -120 : 120;
        QWheelEvent wheel(at, plot.mapToGlobal(at), {}, {0, delta}, Qt::NoButton, Qt::NoModifier,
                          Qt::NoScrollPhase, false);
        QApplication::sendEvent(&plot, &wheel);
        const auto& m = plot.mapping();
        ASSERT_TRUE(widgets::usableRange(m.x0, m.x1, true)) << i << ": " << m.x0 << " .. " << m.x1;
        ASSERT_FALSE(plot.xTicks().empty()) << i;
    }
}

TEST(PlotWidget, ADragAsksForTheRangeUnderItAndADoubleClickForAReset) {
    widgets::PlotWidget plot;
    plot.resize(800, 400);
    plot.setRanges(0, 100, 0, 1);
    plot.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&plot));
    widgets::PlotZoomer zoomer(&plot, widgets::PlotZoomer::Axes::X);
    std::vector<std::array<double, 4>> asked;
    int resets = 0;
    QObject::connect(&zoomer, &widgets::PlotZoomer::zoomed,
                     [&](double a, double b, double c, double d) {
                         asked.push_back({a, b, c, d});
                     });
    QObject::connect(&zoomer, &widgets::PlotZoomer::resetRequested, [&] { ++resets; });
    const auto& m = plot.mapping();
    const QPoint from = m.toPixel(20, 0.8).toPoint(), to = m.toPixel(40, 0.2).toPoint();
    QTest::mousePress(&plot, Qt::LeftButton, {}, from);
    QMouseEvent move(QEvent::MouseMove, QPointF(to), plot.mapToGlobal(QPointF(to)), Qt::NoButton,
                     Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&plot, &move);
    QTest::mouseRelease(&plot, Qt::LeftButton, {}, to);
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_NEAR(asked[0][0], 20, 0.5);
    EXPECT_NEAR(asked[0][1], 40, 0.5);
    // X only: y is kept as it is.
    EXPECT_EQ(asked[0][2], 0);
    EXPECT_EQ(asked[0][3], 1);
    // A click is not a zoom.
    QTest::mouseClick(&plot, Qt::LeftButton, {}, from);
    EXPECT_EQ(asked.size(), 1u);
    QTest::mouseDClick(&plot, Qt::LeftButton, {}, from);
    EXPECT_EQ(resets, 1);
}

TEST(MainWindow, At1280x800ThePanelsTheRunsTableAndTheLogDockKeepTheirRoom) {
    test::TempDir dir;
    const std::string db = dir.file("layout.db");
    std::vector<std::vector<std::pair<std::int64_t, double>>> series(12);
    for (std::size_t r = 0; r < series.size(); ++r)
        for (std::int64_t s = 1; s <= 50; ++s)
            series[r].emplace_back(s, 2.0 / static_cast<double>(s + static_cast<std::int64_t>(r)));
    const auto ids = writeRuns(db, "train/loss", series);
    app::MainWindow window(QString::fromStdString(db));
    window.resize(1280, 800);
    window.show();
    ASSERT_TRUE(QTest::qWaitFor([&] { return window.runsModel()->rowCount() == 12; }, 10'000));
    window.selectRuns({ids[0], ids[1]});
    ASSERT_TRUE(
        QTest::qWaitFor([&] { return window.curves()->snapshot().series.size() == 2; }, 10'000));
    QTest::qWait(200);
    ASSERT_EQ(window.height(), 800);

    // Both default panels (train/loss, val/accuracy): plots a user can read. They were 35 px,
    // then 55 px with the runs table at its size hint (37% of the page); now 75-80 px.
    const auto panels = window.panels()->panels();
    ASSERT_EQ(panels.size(), 2u);
    for (auto* panel : panels)
        EXPECT_GE(panel->plot().mapping().area.height(), 70.0)
            << panel->metric().toStdString() << " plot area of " << panel->height() << " px panel";

    // The runs table shows at least six whole runs.
    QTableView* table = window.runsTable();
    const int rowHeight = table->rowHeight(0);
    ASSERT_GT(rowHeight, 0);
    EXPECT_GE(table->viewport()->height() / rowHeight, 6) << table->viewport()->height() << " px";
    EXPECT_GE(table->rowAt(table->viewport()->height() - 1), 5);

    // The log dock opens five lines of its own font high: five lines show whole, and it is not
    // much more (it took 15% of the height, and then ~4.5 lines).
    auto* dock = window.findChild<QDockWidget*>(QStringLiteral("logDock"));
    ASSERT_NE(dock, nullptr);
    ASSERT_TRUE(dock->isVisible());
    auto* log = dock->findChild<widgets::LogView*>();
    auto* text = dock->findChild<QPlainTextEdit*>();
    ASSERT_NE(log, nullptr);
    ASSERT_NE(text, nullptr);
    for (int i = 1; i <= 5; ++i)
        log->append(2, QStringLiteral("line %1").arg(i));
    QTest::qWait(50);
    text->verticalScrollBar()->setValue(0);
    const int lineSpacing = QFontMetrics(text->font()).lineSpacing();
    EXPECT_EQ(text->verticalScrollBar()->maximum(), 0) << "five lines need scrolling";
    const QRect fifth = text->cursorRect(QTextCursor(text->document()->lastBlock()));
    EXPECT_LE(fifth.bottom(), text->viewport()->height())
        << "the fifth line is cut: text area " << text->height() << " px, line " << lineSpacing;
    EXPECT_LT(text->height(), lineSpacing * 7) << "text area " << text->height() << " px";
    EXPECT_LT(dock->height(), window.height() / 5) << "dock " << dock->height() << " px";
    // View > Log hides it.
    dock->toggleViewAction()->trigger();
    EXPECT_FALSE(dock->isVisible());
}

// A resumed run (issue 18): its curve carries a marker at each resume, and with "Show archived
// points" the tail that the resume archived, as it was logged; without it, none is loaded.
TEST(CurvesLoader, AResumedRunHasItsResumeMarkersAndArchivedTailOnRequest) {
    test::TempDir dir;
    const std::string db = dir.file("resumed.db");
    std::vector<std::pair<std::int64_t, double>> points;
    for (std::int64_t s = 1; s <= 30; ++s)
        points.emplace_back(s, 1.0 / static_cast<double>(s));
    const auto ids = writeRuns(db, "train/loss", {points});
    auto store = storage::RunStore::open(db);
    ASSERT_TRUE(store->setStatus(ids[0], storage::RunStatus::Stopped));
    {
        auto writer = storage::Writer::open(db);
        writer.value()->checkpointAdded(ids[0], 0, 20, dir.file("step-20.pt"), 1, 1);
        ASSERT_TRUE(writer.value()->flush());
    }
    auto resumed =
        storage::beginResume(store.value(), ids[0], {store->checkpoints(ids[0])->front(), {}});
    ASSERT_TRUE(resumed) << resumed.error().message;
    {  // the resumed run logs steps 21-30 again, differently
        auto writer = storage::Writer::open(db);
        const auto key = writer.value()->key("train/loss");
        for (std::int64_t s = 21; s <= 30; ++s)
            writer.value()->metric(ids[0], key, s, 2.0, 0);
        ASSERT_TRUE(writer.value()->flush());
    }
    widgets::CurvesQuery q{{{ids[0], "r"}},     "train/loss", std::nullopt, 100, 0, 1,
                           widgets::XAxis::Step};
    auto plain = widgets::loadSnapshot(store.value(), q);
    ASSERT_TRUE(plain);
    ASSERT_EQ(plain->series.size(), 1u);
    EXPECT_EQ(plain->series[0].resumes, std::vector<double>{20});
    EXPECT_TRUE(plain->series[0].archived.empty());
    q.archived = true;
    auto withTail = widgets::loadSnapshot(store.value(), q);
    ASSERT_TRUE(withTail);
    ASSERT_EQ(withTail->series[0].archived.size(), 1u);
    const auto& tail = withTail->series[0].archived[0];
    ASSERT_EQ(tail.size(), 10u);  // 10 points in 100 columns: every one
    EXPECT_EQ(tail.front().x, 21);
    EXPECT_DOUBLE_EQ(tail.front().y, 1.0 / 21);  // the archived value, not the new 2.0
    EXPECT_EQ(withTail->series[0].raw.back().y, 2.0);
}
