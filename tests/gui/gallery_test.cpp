// The Predictions tab on its own, offscreen, over predictions written to a database and a small
// IDX dataset: models pass QAbstractItemModelTester, the gallery shows the file's own pixels,
// sorts by loss, the confusion matrix counts what was written and a click on a cell filters the
// gallery to that pair; validation epochs, "changed since the previous epoch", a second run's
// disagreement, a sample's detail, and label flags that survive a reopen and export as CSV.

#include <gtest/gtest.h>

#include <QAbstractItemModelTester>
#include <QHeaderView>
#include <QPainter>
#include <QSignalSpy>
#include <QStyleOptionViewItem>
#include <QTableView>
#include <QTest>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "engine/analysis/csv.h"
#include "engine/data/sample_images.h"
#include "engine/images/image_folder.h"
#include "engine/text/text_source.h"
#include "storage/run_data.h"
#include "storage/writer.h"
#include "support/fixtures.h"
#include "support/image_fixtures.h"
#include "widgets/gallery_view.h"

using namespace runboard;

namespace {

struct Written {
    std::string db;
    storage::RunId a = 0, b = 0;
    // (run, split, epoch) -> sample -> (target, predicted)
    std::map<std::tuple<storage::RunId, std::string, std::int64_t>,
             std::map<std::int64_t, std::pair<int, int>>>
        rows;
};

Written writePredictions(const test::TempDir& dir) {
    Written w;
    w.db = dir.file("g.db");
    const std::string data = dir.file("data");
    test::writeFakeFashionMnist(data, 600, 200);
    auto store = storage::RunStore::open(w.db);
    auto writer = storage::Writer::open(w.db);
    std::mt19937 rng(5);
    std::uniform_int_distribution<int> cls(0, 9);
    std::uniform_real_distribution<float> unit(0.05f, 1.0f);
    std::bernoulli_distribution right(0.7);
    for (const char* name : {"a", "b"}) {
        auto run = store->createRun({name,
                                     std::nullopt,
                                     "{}",
                                     1,
                                     {{"data.dir", data, "string"}},
                                     storage::RunStatus::Finished});
        (name[0] == 'a' ? w.a : w.b) = run->id;
        auto write = [&](const std::string& split, std::int64_t epoch, std::int64_t index) {
            const int target = static_cast<int>(index % 10);
            const int predicted = right(rng) ? target : cls(rng);
            const float confidence = unit(rng);
            std::vector<float> probs(10, (1 - confidence) / 9);
            probs[static_cast<std::size_t>(predicted)] = confidence;
            writer.value()->prediction({run->id, split == "val" ? "val" : "test", epoch, index,
                                        target, predicted, confidence,
                                        -std::log(probs[static_cast<std::size_t>(target)]), probs});
            w.rows[{run->id, split, epoch}][index] = {target, predicted};
        };
        for (std::int64_t epoch : {1, 2})
            for (std::int64_t i = 0; i < 100; ++i)
                write("val", epoch, i * 5);
        for (std::int64_t i = 0; i < 200; ++i)
            write("test", 2, i);
        run->lock.release();
    }
    EXPECT_TRUE(writer.value()->flush());
    return w;
}

}  // namespace

TEST(GalleryView, SortsFiltersLinksTheMatrixAndShowsTheFilesPixels) {
    test::TempDir dir;
    const Written w = writePredictions(dir);
    widgets::GalleryView view;
    QAbstractItemModelTester t1(view.model(),
                                QAbstractItemModelTester::FailureReportingMode::Fatal);
    QAbstractItemModelTester t2(view.confusion(),
                                QAbstractItemModelTester::FailureReportingMode::Fatal);
    view.resize(1300, 800);
    view.show();
    QSignalSpy loaded(&view, &widgets::GalleryView::loaded);
    view.setDatabase(QString::fromStdString(w.db));
    view.setRuns({{w.a, "a"}, {w.b, "b"}});
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.model()->rowCount() == 200; }, 10'000))
        << view.summaryText().toStdString();
    EXPECT_EQ(view.snapshot().split, "test");
    const auto& test = w.rows.at({w.a, "test", 2});

    // Top losses first.
    for (int r = 1; r < view.model()->rowCount(); ++r)
        ASSERT_GE(view.model()->recordAt(r - 1)->loss, view.model()->recordAt(r)->loss);
    // The thumbnail is the file's own image of that sample.
    const auto images = engine::openIdxImages(dir.file("data"));
    for (int r : {0, 57, 199}) {
        const auto index = view.model()->recordAt(r)->sampleIndex;
        const QImage img = view.model()
                               ->data(view.model()->index(r), widgets::PredictionsModel::ImageRole)
                               .value<QImage>();
        const auto expected = images->image(engine::FilePart::Test, index);
        ASSERT_EQ(img.width(), expected.width);
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x)
                ASSERT_EQ(img.pixelColor(x, y).red(),
                          expected.pixels[static_cast<std::size_t>(y * expected.width + x)]);
    }
    // The confusion matrix counts what was written; a click on a cell filters to that pair.
    std::map<std::pair<int, int>, int> counts;
    for (const auto& [index, tp] : test)
        ++counts[tp];
    const auto& m = view.confusion()->confusion();
    for (int t = 0; t < 10; ++t)
        for (int p = 0; p < 10; ++p)
            ASSERT_EQ(m.at(t, p), (counts[{t, p}])) << t << " " << p;
    std::pair<int, int> cell{-1, -1};
    for (const auto& [tp, n] : counts)
        if (tp.first != tp.second && n > 0) cell = tp;
    ASSERT_GE(cell.first, 0);
    auto* matrix = view.findChild<QTableView*>();
    const QRect rect = matrix->visualRect(view.confusion()->index(cell.first, cell.second));
    QTest::mouseClick(matrix->viewport(), Qt::LeftButton, {}, rect.center());
    EXPECT_EQ(view.model()->rowCount(), (counts[cell]));
    for (int r = 0; r < view.model()->rowCount(); ++r) {
        EXPECT_EQ(view.model()->recordAt(r)->target, cell.first);
        EXPECT_EQ(view.model()->recordAt(r)->predicted, cell.second);
    }
    // A click on the recall margin clears the pair.
    QTest::mouseClick(matrix->viewport(), Qt::LeftButton, {},
                      matrix->visualRect(view.confusion()->index(0, 10)).center());
    EXPECT_EQ(view.model()->rowCount(), 200);

    // The second run: the samples this one gets right and it gets wrong.
    view.setCompareRun(w.b);
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.snapshot().hasOther; }, 10'000));
    widgets::GalleryFilter f;
    f.pair = widgets::PairFilter::OnlyARight;
    view.setFilter(f);
    const auto& other = w.rows.at({w.b, "test", 2});
    int onlyA = 0;
    for (const auto& [index, tp] : test) {
        const auto& o = other.at(index);
        onlyA += tp.first == tp.second && o.first != o.second;
    }
    EXPECT_GT(onlyA, 0);
    EXPECT_EQ(view.model()->rowCount(), onlyA);
    EXPECT_TRUE(view.summaryText().contains(QString::number(onlyA)))
        << view.summaryText().toStdString();

    // Validation at epoch 2: flips against epoch 1, and the "changed" filter.
    view.setFilter({});
    view.showValidationEpoch(2);
    ASSERT_TRUE(QTest::qWaitFor(
        [&] { return view.snapshot().split == "val" && view.model()->rowCount() == 100; }, 10'000));
    ASSERT_EQ(view.snapshot().previousEpoch, 1);
    f = {};
    f.changedOnly = true;
    view.setFilter(f);
    const auto& e1 = w.rows.at({w.a, "val", 1});
    const auto& e2 = w.rows.at({w.a, "val", 2});
    int changed = 0, learned = 0;
    for (const auto& [index, tp] : e2) {
        changed += e1.at(index).second != tp.second;
        learned += e1.at(index).first != e1.at(index).second && tp.first == tp.second;
    }
    EXPECT_EQ(view.model()->rowCount(), changed);
    EXPECT_TRUE(view.summaryText().contains(QStringLiteral("%1 learned").arg(learned)))
        << view.summaryText().toStdString();

    // A sample's detail: every epoch of this run, and the other run.
    view.setFilter({});
    QSignalSpy shown(&view, &widgets::GalleryView::sampleShown);
    view.selectRow(3);
    ASSERT_TRUE(QTest::qWaitFor([&] { return !shown.isEmpty(); }, 10'000));
    EXPECT_EQ(view.detail()->sampleIndex(), view.model()->recordAt(3)->sampleIndex);
    EXPECT_EQ(view.detail()->historyRows(), 2);
    EXPECT_EQ(view.detail()->otherRows(), 1);
    ASSERT_EQ(view.detail()->bars().bars().size(), 5u);
    EXPECT_GE(std::get<1>(view.detail()->bars().bars()[0]),
              std::get<1>(view.detail()->bars().bars()[1]));
}

TEST(GalleryView, LabelFlagsPersistAcrossReopenAndExportAsCsv) {
    test::TempDir dir;
    const Written w = writePredictions(dir);
    std::int64_t flaggedIndex = -1;
    {
        widgets::GalleryView view;
        view.setDatabase(QString::fromStdString(w.db));
        view.setRuns({{w.a, "a"}});
        ASSERT_TRUE(QTest::qWaitFor([&] { return view.model()->rowCount() == 200; }, 10'000));
        flaggedIndex = view.model()->recordAt(0)->sampleIndex;
        QString error;
        ASSERT_TRUE(view.setFlag(flaggedIndex, storage::LabelFlag::WrongLabel,
                                 QStringLiteral("a coat, surely"), &error))
            << error.toStdString();
        ASSERT_TRUE(QTest::qWaitFor([&] { return !view.snapshot().data->flags.empty(); }, 10'000));
        // Filter: flagged only.
        widgets::GalleryFilter f;
        f.flaggedOnly = true;
        view.setFilter(f);
        ASSERT_EQ(view.model()->rowCount(), 1);
        EXPECT_EQ(view.model()
                      ->data(view.model()->index(0), widgets::PredictionsModel::FlagRole)
                      .toString(),
                  "wrong_label");
    }
    // Another run of the same dataset shows the flag too (flags belong to the sample).
    widgets::GalleryView view;
    view.setDatabase(QString::fromStdString(w.db));
    view.setRuns({{w.b, "b"}});
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.model()->rowCount() == 200; }, 10'000));
    ASSERT_EQ(view.snapshot().data->flags.count(flaggedIndex), 1u);
    EXPECT_EQ(view.snapshot().data->flags.at(flaggedIndex).note, "a coat, surely");
    const std::string csvPath = dir.file("flags.csv");
    ASSERT_TRUE(view.exportFlagsCsv(QString::fromStdString(csvPath)));
    auto csv = analysis::parseCsv(test::readFile(csvPath));
    ASSERT_TRUE(csv);
    ASSERT_EQ(csv->size(), 2u);
    const int target = static_cast<int>(flaggedIndex % 10);
    EXPECT_EQ((*csv)[1].fields,
              (std::vector<std::string>{
                  "data", "test", std::to_string(flaggedIndex),
                  engine::fashionMnistClassNames()[static_cast<std::size_t>(target)], "wrong_label",
                  "a coat, surely"}));
    // Clearing removes it.
    ASSERT_TRUE(view.setFlag(flaggedIndex, std::nullopt, {}));
    ASSERT_TRUE(QTest::qWaitFor(
        [&] { return view.snapshot().data && view.snapshot().data->flags.empty(); }, 10'000));
}

namespace {

// One finished run on `params`' data with a test prediction (right) for each of `ids`.
storage::RunId writeRun(const std::string& db, std::vector<storage::Param> params,
                        const std::vector<std::int64_t>& ids, int classes) {
    auto store = storage::RunStore::open(db);
    auto writer = storage::Writer::open(db);
    auto run = store->createRun(
        {"own data", std::nullopt, "{}", 1, std::move(params), storage::RunStatus::Finished});
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const int target = static_cast<int>(i) % classes;
        std::vector<float> probs(static_cast<std::size_t>(classes), 0.1f);
        probs[static_cast<std::size_t>(target)] = 0.8f;
        writer.value()->prediction({run->id, "test", 1, ids[i], target, target, 0.8f, 0.2, probs});
    }
    EXPECT_TRUE(writer.value()->flush());
    const storage::RunId id = run->id;
    run->lock.release();
    return id;
}

// A run over the three rows of the text table `csv` (column "text"), in two classes.
storage::RunId writeTextRun(const std::string& db, const std::string& csv) {
    return writeRun(db,
                    {{"data.source", "text", "string"},
                     {"data.path", csv, "string"},
                     {"data.text", "text", "string"}},
                    {0, 1, 2}, 2);
}

// Shows `run` in a fresh-sized view over `db` and waits until its `rows` predictions are loaded.
bool showRun(widgets::GalleryView& view, const std::string& db, storage::RunId run, int rows) {
    view.resize(1280, 800);
    view.show();
    view.setDatabase(QString::fromStdString(db));
    view.setRuns({{run, "run"}});
    return QTest::qWaitFor([&] { return view.model()->rowCount() == rows; }, 10'000);
}

}  // namespace

// The gallery on the two other sources: an image folder shows each file's own RGB pixels with the
// folder's class names and paths; a CSV table shows each row's values in the cell and the detail.
TEST(GalleryView, ShowsImageFoldersAndTableRows) {
    test::TempDir dir;
    const auto root = dir.path() / "pets";
    test::writeSolidImage(root / "cat/a.png", 40, 30, false, 30);
    test::writeSolidImage(root / "dog/b.png", 20, 20, false, 200);
    const std::string csv = dir.file("iris.csv");
    test::writeFile(csv, "petal,colour,species\n1.5,red,setosa\n4.5,blue,virginica\n");
    const std::string db = dir.file("own.db");
    const auto folderRun =
        writeRun(db, {{"data.source", "folder", "string"}, {"data.dir", root.string(), "string"}},
                 {engine::folderSampleId("cat/a.png"), engine::folderSampleId("dog/b.png")}, 2);
    const auto csvRun =
        writeRun(db, {{"data.source", "csv", "string"}, {"data.path", csv, "string"}}, {1, 2}, 2);

    widgets::GalleryView view;
    view.resize(1280, 800);
    view.show();
    view.setDatabase(QString::fromStdString(db));
    view.setRuns({{folderRun, "folder"}});
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.model()->rowCount() == 2; }, 10'000));
    const auto* data = view.model()->data();
    ASSERT_NE(data, nullptr);
    EXPECT_EQ(data->classNames, (std::vector<std::string>{"cat", "dog"}));
    EXPECT_TRUE(view.snapshot().dataset.startsWith("pets#"))
        << view.snapshot().dataset.toStdString();
    for (int r = 0; r < 2; ++r) {
        const auto* rec = view.model()->recordAt(r);
        const QImage img = view.model()
                               ->data(view.model()->index(r), widgets::PredictionsModel::ImageRole)
                               .value<QImage>();
        const bool cat = rec->sampleIndex == engine::folderSampleId("cat/a.png");
        EXPECT_EQ(img.size(), cat ? QSize(40, 30) : QSize(20, 20));  // at their own size
        EXPECT_EQ(img.pixelColor(5, 5), cat ? QColor(30, 225, 15) : QColor(200, 55, 100));
        EXPECT_EQ(widgets::sampleDescription(*data, rec->sampleIndex),
                  cat ? "cat/a.png" : "dog/b.png");
    }

    view.setRuns({{csvRun, "table"}});
    ASSERT_TRUE(QTest::qWaitFor(
        [&] { return view.model()->data() != data && view.model()->rowCount() == 2; }, 10'000));
    data = view.model()->data();
    EXPECT_EQ(data->classNames, (std::vector<std::string>{"setosa", "virginica"}));
    EXPECT_TRUE(view.snapshot().dataset.startsWith("iris.csv#"));
    for (int r = 0; r < 2; ++r) {
        const auto* rec = view.model()->recordAt(r);
        const QStringList fields =
            view.model()
                ->data(view.model()->index(r), widgets::PredictionsModel::FieldsRole)
                .toStringList();
        EXPECT_EQ(fields, rec->sampleIndex == 1 ? QStringList({"petal\t1.5", "colour\tred"})
                                                : QStringList({"petal\t4.5", "colour\tblue"}));
        EXPECT_EQ(
            widgets::sampleDescription(*data, rec->sampleIndex),
            QStringLiteral("row %1 (line %2)").arg(rec->sampleIndex).arg(rec->sampleIndex + 1));
    }
}

// Text samples: each card is wider than an image card and draws the text's first lines; the model
// serves the whole text; sorts, filters and the detail (the whole text, the top-5 classes) work
// as for images.
TEST(GalleryView, ShowsTextSamplesAsCardsAndWholeInTheDetail) {
    test::TempDir dir;
    const std::string csv = dir.file("quotes.csv");
    std::string long_text;
    for (int i = 0; i < 40; ++i)
        long_text += "line " + std::to_string(i) + " of a long quotation\n";
    test::writeFile(csv, "text,label\n\"short one\",wit\n\"" + long_text +
                             "\",wisdom\n\"third, with a comma\",wit\n");
    const std::string db = dir.file("text.db");
    const auto run = writeTextRun(db, csv);
    widgets::GalleryView view;
    ASSERT_TRUE(showRun(view, db, run, 3));
    QAbstractItemModelTester tester(view.model(),
                                    QAbstractItemModelTester::FailureReportingMode::Fatal);
    const auto* data = view.model()->data();
    ASSERT_NE(data, nullptr);
    EXPECT_TRUE(widgets::isTextData(*data));
    EXPECT_EQ(data->classNames, (std::vector<std::string>{"wisdom", "wit"}));
    const std::map<std::int64_t, QString> texts = {
        {0, "short one"}, {1, QString::fromStdString(long_text)}, {2, "third, with a comma"}};
    for (int r = 0; r < 3; ++r) {
        const auto idx = view.model()->index(r);
        const auto sample = view.model()->recordAt(r)->sampleIndex;
        EXPECT_EQ(view.model()->data(idx, widgets::PredictionsModel::TextRole).toString(),
                  texts.at(sample));
        EXPECT_TRUE(
            view.model()->data(idx, widgets::PredictionsModel::ImageRole).isNull() ||
            view.model()->data(idx, widgets::PredictionsModel::ImageRole).value<QImage>().isNull());
        EXPECT_TRUE(view.model()
                        ->data(idx, Qt::ToolTipRole)
                        .toString()
                        .contains(texts.at(sample).left(20)));
    }
    // A text card is wider than an image card.
    widgets::SampleDelegate delegate;
    QStyleOptionViewItem option;
    option.initFrom(&view);
    const QSize textCard = delegate.sizeHint(option, view.model()->index(0));
    EXPECT_EQ(textCard.width(), widgets::SampleDelegate::kTextCardWidth);
    EXPECT_GT(textCard.width(), 2 * delegate.sizeHint(option, {}).width());

    // Sorts and filters as for images: by index, then the confusion matrix's (wit, wit) cell.
    view.setSort(widgets::GallerySort::Index);
    EXPECT_EQ(view.model()->recordAt(0)->sampleIndex, 0);
    widgets::GalleryFilter f;
    f.trueClass = 0;  // writeRun's targets: sample i is class i % 2, predicted right
    f.predictedClass = 0;
    view.setFilter(f);
    ASSERT_EQ(view.model()->rowCount(), 2);
    EXPECT_EQ(view.model()->recordAt(1)->sampleIndex, 2);

    view.setFilter({});
    view.setSort(widgets::GallerySort::Index);
    QSignalSpy shown(&view, &widgets::GalleryView::sampleShown);
    view.selectRow(1);
    ASSERT_TRUE(QTest::qWaitFor([&] { return !shown.isEmpty(); }, 10'000));
    EXPECT_EQ(view.detail()->shownText(), QString::fromStdString(long_text));
    EXPECT_EQ(view.detail()->bars().bars().size(), 2u);  // top-5 of two classes: both
}

// The card's excerpt: as many lines as the box holds, ink in each, none outside the box.
TEST(GalleryView, TextExcerptFillsItsBoxAndStaysInside) {
    QFont font;
    font.setPixelSize(12);
    const QFontMetrics fm(font);
    const QRect box(10, 10, 200, 3 * fm.lineSpacing());
    auto render = [&](const QString& text) {
        QImage img(240, 120, QImage::Format_RGB32);
        img.fill(Qt::white);
        QPainter p(&img);
        p.setPen(Qt::black);
        widgets::drawTextExcerpt(p, box, text, font);
        return img;
    };
    auto inked = [](const QImage& img, int top, int bottom, int left = 0, int right = 239) {
        for (int y = top; y < bottom; ++y)
            for (int x = left; x <= right; ++x)
                if (img.pixelColor(x, y).lightness() < 128) return true;
        return false;
    };
    QString many;
    for (int i = 0; i < 20; ++i)
        many += QStringLiteral("line %1\n").arg(i);
    const QImage full = render(many);
    for (int line = 0; line < 3; ++line)
        EXPECT_TRUE(inked(full, box.top() + line * fm.lineSpacing(),
                          box.top() + (line + 1) * fm.lineSpacing()))
            << line;
    EXPECT_FALSE(inked(full, 0, box.top()));
    EXPECT_FALSE(inked(full, box.bottom() + 1, 120));
    EXPECT_FALSE(inked(full, 0, 120, box.right() + 1));
    const QImage shortOne = render(QStringLiteral("one line"));
    EXPECT_TRUE(inked(shortOne, box.top(), box.top() + fm.lineSpacing()));
    EXPECT_FALSE(inked(shortOne, box.top() + fm.lineSpacing() + 1, 120));
    // A long line wraps at the box's width instead of running out of it.
    const QImage wrapped = render(QString(60, u'w').replace(QLatin1String("ww"), "w "));
    EXPECT_TRUE(inked(wrapped, box.top() + fm.lineSpacing(), box.top() + 2 * fm.lineSpacing()));
    EXPECT_FALSE(inked(wrapped, 0, 120, box.right() + 1));
}

// A run records what it trained on (storage/run_data.h): its classes name its labels, and a text
// file edited since (one label changed, which also changes the classes' order) is not shown as
// the run's samples: the summary says so instead.
TEST(GalleryView, ATextFileChangedSinceTheRunIsNotShownAsItsSamples) {
    test::TempDir dir;
    const std::string csv = dir.file("quotes.csv");
    test::writeFile(csv, "text,label\none,wit\ntwo,wisdom\nthree,wit\n");
    const std::string db = dir.file("text.db");
    const auto run = writeTextRun(db, csv);
    {
        auto store = storage::RunStore::open(db);
        ASSERT_TRUE(storage::storeRunData(
            store->connection(), run, {engine::text::textSourceName(csv, ""), {"wisdom", "wit"}}));
    }
    {
        widgets::GalleryView view;
        ASSERT_TRUE(showRun(view, db, run, 3));
        EXPECT_FALSE(view.model()
                         ->data(view.model()->index(0), widgets::PredictionsModel::TextRole)
                         .toString()
                         .isEmpty());
        EXPECT_FALSE(view.summaryText().contains("changed since"));
    }
    test::writeFile(csv, "text,label\none,art\ntwo,wisdom\nthree,wit\n");
    widgets::GalleryView view;
    ASSERT_TRUE(showRun(view, db, run, 3));
    EXPECT_TRUE(view.summaryText().contains("changed since run"))
        << view.summaryText().toStdString();
    EXPECT_EQ(view.model()->data()->classNames, (std::vector<std::string>{"wisdom", "wit"}));
    for (int r = 0; r < 3; ++r)
        EXPECT_TRUE(view.model()
                        ->data(view.model()->index(r), widgets::PredictionsModel::TextRole)
                        .toString()
                        .isEmpty());
}

// Many classes: the confusion matrix stops measuring its cells (ResizeToContents over 2000 x 2000
// cells froze the window); ten classes are still sized to their contents.
TEST(GalleryView, ManyClassesKeepTheConfusionMatrixFromMeasuringEveryCell) {
    test::TempDir dir;
    const std::string db = dir.file("many.db");
    std::vector<std::int64_t> ids(400);
    std::iota(ids.begin(), ids.end(), 0);
    const auto many = writeRun(db, {}, ids, 200);
    const auto few = writeRun(db, {}, ids, 10);
    {
        std::vector<std::string> names;
        for (int c = 0; c < 200; ++c)
            names.push_back(std::string("class ").append(std::to_string(c)));
        auto store = storage::RunStore::open(db);
        ASSERT_TRUE(storage::storeRunData(store->connection(), many, {"", names}));
    }
    widgets::GalleryView view;
    view.resize(1280, 800);
    view.show();
    view.setDatabase(QString::fromStdString(db));
    auto* matrix = view.findChild<QTableView*>();
    ASSERT_NE(matrix, nullptr);
    view.setRuns({{many, "many"}});
    ASSERT_TRUE(
        QTest::qWaitFor([&] { return view.confusion()->classNames().size() == 200; }, 10'000));
    EXPECT_EQ(matrix->horizontalHeader()->sectionResizeMode(0), QHeaderView::Interactive);
    EXPECT_LT(matrix->horizontalHeader()->sectionSize(0), 80);
    view.setRuns({{few, "few"}});
    ASSERT_TRUE(
        QTest::qWaitFor([&] { return view.confusion()->classNames().size() == 10; }, 10'000));
    EXPECT_EQ(matrix->horizontalHeader()->sectionResizeMode(0), QHeaderView::ResizeToContents);
}
