// The prediction gallery at 10k samples, offscreen (QT_QPA_PLATFORM=offscreen if unset):
//  1. open: from choosing the run to the gallery filled, laid out and painted (query, filter, sort
//     by loss, confusion matrix, first paint), with the dataset images cold (first open: the test
//     images file is read) and warm;
//  2. re-sort and re-filter the loaded 10k (no database);
//  3. scrolling: the list scrolled a page at a time from top to bottom, each step repainted
//     synchronously; the slowest and the median step.
// Uses Debian's Fashion-MNIST when installed; otherwise a generated look-alike.
//   gallery_bench [--samples N]

#include <QApplication>
#include <QElapsedTimer>
#include <QListView>
#include <QScrollBar>
#include <QStandardPaths>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

#include "bench/qt_wait.h"
#include "storage/writer.h"
#include "support/fixtures.h"
#include "widgets/gallery_view.h"

using namespace runboard;

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    int samples = 10'000;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == "--samples") samples = std::atoi(argv[i + 1]);

    test::TempDir dir;
    std::string data = "/usr/share/datasets/fashion-mnist";
    if (!std::filesystem::exists(data + "/t10k-images-idx3-ubyte.gz")) {
        data = dir.file("data");
        test::writeFakeFashionMnist(data, 1000, static_cast<std::uint32_t>(samples));
    }
    const std::string db = dir.file("gallery.db");
    storage::RunId run = 0;
    {
        auto store = storage::RunStore::open(db);
        auto writer = storage::Writer::open(db);
        auto owned = store->createRun({"bench",
                                       std::nullopt,
                                       "{}",
                                       1,
                                       {{"data.dir", data, "string"}},
                                       storage::RunStatus::Finished});
        run = owned->id;
        std::mt19937 rng(3);
        std::uniform_int_distribution<int> cls(0, 9);
        std::uniform_real_distribution<float> unit(0.1f, 1.0f);
        for (int i = 0; i < samples; ++i) {
            const int target = i % 10, predicted = rng() % 10 < 9 ? target : cls(rng);
            const float c = unit(rng);
            std::vector<float> probs(10, (1 - c) / 9);
            probs[static_cast<std::size_t>(predicted)] = c;
            writer.value()->prediction({run, "test", 10, i, target, predicted, c,
                                        -std::log(probs[static_cast<std::size_t>(target)]), probs});
        }
        (void)writer.value()->flush();
        owned->lock.release();
    }

    widgets::GalleryView view;
    view.resize(1400, 900);
    view.show();
    auto* list = view.findChild<QListView*>();
    const auto open = [&] {
        view.setDatabase(QString::fromStdString(db));
        QElapsedTimer t;
        t.start();
        view.setRuns({{run, "bench"}});
        bench::waitFor([&] { return view.model()->rowCount() == samples; }, 30'000);
        // Laid out (the view does it lazily; the scroll range says when) and painted.
        bench::waitFor([&] { return list->verticalScrollBar()->maximum() > 0; }, 5'000);
        list->viewport()->repaint();
        return static_cast<double>(t.nsecsElapsed()) / 1e6;
    };
    const double cold = open();
    std::vector<double> warm;
    for (int i = 0; i < 5; ++i)
        warm.push_back(open());
    std::sort(warm.begin(), warm.end());

    QElapsedTimer t;
    t.start();
    view.setSort(widgets::GallerySort::ConfidenceAscending);
    widgets::GalleryFilter f;
    f.mistakesOnly = true;
    view.setFilter(f);
    view.setFilter({});
    view.setSort(widgets::GallerySort::LossDescending);
    list->viewport()->repaint();
    const double resort = static_cast<double>(t.nsecsElapsed()) / 1e6 / 4;

    std::vector<double> steps;
    QScrollBar* bar = list->verticalScrollBar();
    for (int v = 0; v <= bar->maximum(); v += bar->pageStep()) {
        QElapsedTimer s;
        s.start();
        bar->setValue(v);
        list->viewport()->repaint();
        steps.push_back(static_cast<double>(s.nsecsElapsed()) / 1e6);
    }
    std::sort(steps.begin(), steps.end());
    std::printf("gallery of %d predictions (%s):\n", samples,
                data.rfind("/usr/share", 0) == 0 ? "Fashion-MNIST test set" : "generated images");
    std::printf("  open, images cold:            %7.1f ms (target <= 200)\n", cold);
    std::printf("  open, images warm (median):   %7.1f ms (min %.1f, max %.1f)\n",
                warm[warm.size() / 2], warm.front(), warm.back());
    std::printf("  re-sort or re-filter (mean):  %7.1f ms\n", resort);
    std::printf("  scroll a page and repaint:    %7.1f ms median, %.1f ms slowest over %zu pages\n",
                steps[steps.size() / 2], steps.back(), steps.size());
    return 0;
}
