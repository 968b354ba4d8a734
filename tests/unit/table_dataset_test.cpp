// data.source = csv through the engine: the splits (disjoint, complete, by seed), the stable ids,
// the standardisation against values computed by hand from the file, the one-hot columns, the
// models sized for the table, and a short run that learns.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <set>

#include "engine/dataset.h"
#include "engine/errors.h"
#include "engine/models.h"
#include "engine/train_options.h"
#include "engine/trainer.h"
#include "support/fixtures.h"

using namespace runboard;
using namespace runboard::engine;

namespace {

std::vector<std::int64_t> ids(const SplitData& s) {
    if (s.size() == 0) return {};
    const auto* p = s.indices.data_ptr<std::int64_t>();
    return {p, p + s.size()};
}

}  // namespace

TEST(TableDataset, SplitsAreDisjointCompleteAndFollowTheSeed) {
    test::TempDir dir;
    const std::string csv = dir.file("blobs.csv");
    test::writeBlobsCsv(csv, 300);
    DataOptions o = TrainOptions::fromConfig(test::tinyCsvConfig(csv)).data;
    const Dataset d = loadCsvDataset(o);
    // 20% test (60), then 10% of the other 240 for validation (24).
    EXPECT_EQ(d.test.size(), 60);
    EXPECT_EQ(d.val.size(), 24);
    EXPECT_EQ(d.train.size(), 216);
    std::set<std::int64_t> all;
    for (const SplitData* s : {&d.train, &d.val, &d.test})
        for (std::int64_t id : ids(*s))
            EXPECT_TRUE(all.insert(id).second) << "row " << id << " is in two splits";
    EXPECT_EQ(all.size(), 300u);
    EXPECT_EQ(*all.begin(), 1);  // rows are numbered from 1, after the header
    EXPECT_EQ(*all.rbegin(), 300);
    // The classes in sorted order; 2 numeric + 3 one-hot + 1 numeric features.
    EXPECT_EQ(d.classNames, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
    EXPECT_EQ(d.sampleShape, (std::vector<std::int64_t>{6}));
    EXPECT_EQ(d.featureNames, (std::vector<std::string>{"x1", "x2", "colour=blue", "colour=green",
                                                        "colour=red", "size"}));
    EXPECT_FALSE(d.isImage());
    // The same seed, the same test rows; another seed, others.
    EXPECT_EQ(ids(loadCsvDataset(o).test), ids(d.test));
    o.splitSeed = 7;
    EXPECT_NE(ids(loadCsvDataset(o).test), ids(d.test));
}

TEST(TableDataset, FeaturesAreStandardisedWithTheTrainingPartOnly) {
    test::TempDir dir;
    const std::string csv = dir.file("t.csv");
    // 10 rows; feature a = row number, b = a text column; label alternates.
    std::string text = "a,b,label\n";
    for (int r = 1; r <= 10; ++r)
        text +=
            std::to_string(r) + "," + (r % 2 ? "odd" : "even") + "," + std::to_string(r % 2) + "\n";
    test::writeFile(csv, text);
    DataOptions o = TrainOptions::fromConfig(test::tinyCsvConfig(csv)).data;
    o.valShare = 0;
    const Dataset d = loadCsvDataset(o);
    ASSERT_EQ(d.test.size(), 2);
    // By hand: mean and population std of a over the training rows (a = the row id).
    double mean = 0, sq = 0;
    const auto train = ids(d.train);
    for (auto id : train)
        mean += static_cast<double>(id) / static_cast<double>(train.size());
    for (auto id : train)
        sq += (static_cast<double>(id) - mean) * (static_cast<double>(id) - mean);
    const double sd = std::sqrt(sq / static_cast<double>(train.size()));
    for (const SplitData* s : {&d.train, &d.test}) {
        const auto rows = ids(*s);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto x = s->inputs[static_cast<std::int64_t>(i)];
            const auto id = rows[i];
            EXPECT_NEAR(x[0].item<float>(), (static_cast<double>(id) - mean) / sd, 1e-5) << id;
            // b: even, odd one-hot (sorted); the label is "0" or "1", classes numeric-sorted.
            EXPECT_EQ(x[1].item<float>(), id % 2 ? 0.f : 1.f);
            EXPECT_EQ(x[2].item<float>(), id % 2 ? 1.f : 0.f);
            EXPECT_EQ(s->labels[static_cast<std::int64_t>(i)].item<std::int64_t>(), id % 2);
        }
    }
}

TEST(TableDataset, BuiltInModelsTakeTheTableOrSayWhyNot) {
    auto mlp = makeModel(config::ModelKind::Mlp, 3, 0.0, {6});
    EXPECT_EQ(mlp->forward(torch::zeros({4, 6})).sizes(), (std::vector<std::int64_t>{4, 3}));
    try {
        (void)makeModel(config::ModelKind::Cnn, 3, 0.0, {6});
        FAIL() << "a cnn on a table must be refused";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("use model = mlp"), std::string::npos) << e.what();
    }
    auto cnn = makeModel(config::ModelKind::Cnn, 5, 0.0, {3, 32, 32});
    EXPECT_EQ(cnn->forward(torch::zeros({2, 3, 32, 32})).sizes(),
              (std::vector<std::int64_t>{2, 5}));
    EXPECT_THROW((void)makeModel(config::ModelKind::ResNet, 3, 0.0, {6}), DataError);
    EXPECT_THROW((void)makeModel(config::ModelKind::ResNet, 3, 0.0, {3, 6, 6}), DataError);
    // The resnet pools globally: any size and channel count, and the same weights for all sizes.
    auto count = [](const std::shared_ptr<ClassifierImpl>& m) {
        std::int64_t n = 0;
        for (const auto& p : m->parameters())
            n += p.numel();
        return n;
    };
    for (std::int64_t size : {8, 32, 64, 96}) {
        for (std::int64_t channels : {1, 3}) {
            auto resnet = makeModel(config::ModelKind::ResNet, 7, 0.0, {channels, size, size});
            resnet->eval();
            EXPECT_EQ(resnet->forward(torch::rand({2, channels, size, size})).sizes(),
                      (std::vector<std::int64_t>{2, 7}));
            if (channels == 3) {
                EXPECT_EQ(count(resnet),
                          count(makeModel(config::ModelKind::ResNet, 7, 0.0, {3, 32, 32})));
            }
        }
    }
    // The cnn's head sees at most a 4x4 map: the same weights from 32 px up, fewer at 28 px.
    const auto cnn32 = count(makeModel(config::ModelKind::Cnn, 7, 0.0, {3, 32, 32}));
    EXPECT_EQ(count(makeModel(config::ModelKind::Cnn, 7, 0.0, {3, 64, 64})), cnn32);
    EXPECT_EQ(count(makeModel(config::ModelKind::Cnn, 7, 0.0, {3, 96, 96})), cnn32);
    EXPECT_EQ(cnn32 - count(makeModel(config::ModelKind::Cnn, 7, 0.0, {3, 28, 28})),
              7 * 128 * (16 - 9));
    // The config refuses the pair before any data is read.
    test::TempDir dir;
    config::Config c = test::tinyCsvConfig(dir.file("x.csv"));
    c.set("model", std::string("cnn"));
    EXPECT_THROW((void)TrainOptions::fromConfig(c), config::ConfigError);
    c.set("model", std::string("resnet"));
    EXPECT_THROW((void)TrainOptions::fromConfig(c), config::ConfigError);
    c.set("model", std::string("mlp"));
    c.set("data.path", std::string());
    EXPECT_THROW((void)TrainOptions::fromConfig(c), config::ConfigError);
}

TEST(TableDataset, AShortRunLearnsTheTableAndLogsRowIds) {
    test::TempDir dir;
    const std::string csv = dir.file("blobs.csv");
    test::writeBlobsCsv(csv, 600);
    config::Config c = test::tinyCsvConfig(csv);
    c.set("epochs", std::int64_t{3});
    struct Last : Observer {
        std::vector<Predictions> predictions;
        void onPredictions(const Predictions& p) override { predictions.push_back(p); }
    } observer;
    Trainer trainer(c, {});
    const RunResult r = trainer.run(observer);
    EXPECT_GE(r.testAccuracy, 0.9) << "three well-separated blobs";
    ASSERT_FALSE(observer.predictions.empty());
    const Predictions& test = observer.predictions.back();
    EXPECT_EQ(test.split, Split::Test);
    EXPECT_EQ(test.numClasses, 3);
    EXPECT_EQ(test.size(), 120u);
    for (auto id : test.sampleIndex) {
        EXPECT_GE(id, 1);
        EXPECT_LE(id, 600);
    }
}
