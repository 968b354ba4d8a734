// data.source = text through the CLI as a user runs it: a learnable CSV of texts trains with the
// default (textcnn) and with the gru, logs its padding and tokens per second, stores every test
// prediction; length-grouped batches pad far less than shuffled ones; and bad text is refused
// with its exit code and nothing written.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "storage/run_store.h"
#include "support/cli_run.h"
#include "support/fixtures.h"

using nlohmann::json;
using runboard::test::Output;
using runboard::test::runCli;
using runboard::test::TempDir;

namespace {

// Three topics of a few words each, texts of 3 to 60 words with half of them noise: a class is
// readable from its words, and lengths vary as real text's do.
void writeTopics(const std::string& path, int rows) {
    const std::vector<std::vector<std::string>> topics{
        {"goal", "match", "team", "score", "league"},
        {"cpu", "kernel", "compile", "memory", "thread"},
        {"oven", "flour", "bake", "sugar", "dough"}};
    const std::vector<std::string> noise{"the", "a", "of", "and", "today", "very", "we", "it"};
    std::mt19937 gen(4);
    std::string text = "id,text,topic\n";
    for (int r = 0; r < rows; ++r) {
        const int k = r % 3;
        const int words = std::uniform_int_distribution<int>(3, 60)(gen);
        std::string t;
        for (int w = 0; w < words; ++w) {
            const auto& pool = w % 2 == 0 ? topics[static_cast<std::size_t>(k)] : noise;
            t += (w > 0 ? " " : "") + pool[gen() % pool.size()];
        }
        text += std::to_string(r) + ",\"" + t + (r % 7 == 0 ? "!" : ".") + "\"," +
                (k == 0   ? "sport"
                 : k == 1 ? "tech"
                          : "food") +
                "\n";
    }
    runboard::test::writeFile(path, text);
}

std::vector<std::string> textArgs(const std::string& db, const std::string& csv) {
    return {"train",
            "--db",
            db,
            "--set",
            "data.source=text",
            "--set",
            "data.path=" + csv,
            "--set",
            "data.text=text",
            "--set",
            "threads=1",
            "--set",
            "batch_size=16"};
}

double meanOf(const std::vector<runboard::storage::MetricPoint>& points) {
    double sum = 0;
    for (const auto& p : points)
        sum += p.value;
    return points.empty() ? -1 : sum / static_cast<double>(points.size());
}

}  // namespace

TEST(CliText, TrainsTopicsEndToEndAndBucketingPadsLess) {
    TempDir dir;
    const std::string csv = dir.file("topics.csv"), db = dir.file("text.db");
    writeTopics(csv, 600);
    auto args = textArgs(db, csv);
    args.insert(args.end(), {"--set", "epochs=4", "--json"});
    Output o = runCli(args, dir);
    ASSERT_EQ(o.code, 0) << o.err;
    const json run = json::parse(o.out);
    EXPECT_EQ(run["params"]["model"], "textcnn");  // auto on text
    EXPECT_GE(run["metrics"]["test/accuracy"].get<double>(), 0.9);
    auto store = runboard::storage::RunStore::open(db);
    auto& c = store->connection();
    EXPECT_EQ(c.queryInt("SELECT count(*) FROM predictions WHERE split='test'").value(), 120);
    // The vocabulary is stored with the run: <pad>, <unk>, then the training words by count.
    const auto vocab =
        json::parse(runboard::test::readFile(store->filesDir(1) + "/vocabulary.json"));
    ASSERT_GE(vocab.size(), 20u);
    EXPECT_EQ(vocab[0], "<pad>");
    EXPECT_EQ(vocab[1], "<unk>");
    const double bucketed = meanOf(store->series(1, "train/padding").value());
    EXPECT_GE(bucketed, 0.0);
    EXPECT_GT(meanOf(store->series(1, "train/tokens_per_s").value()), 0.0);

    // The gru, without bucketing: more padding on the same data.
    args = textArgs(db, csv);
    args.insert(args.end(),
                {"--set", "epochs=4", "--set", "model=gru", "--set", "data.bucketing=false"});
    o = runCli(args, dir);
    ASSERT_EQ(o.code, 0) << o.err;
    const double shuffled = meanOf(store->series(2, "train/padding").value());
    EXPECT_GT(shuffled, 3 * bucketed) << shuffled << " against " << bucketed;
    EXPECT_GT(shuffled, 0.3);
    const auto accuracy = store->latestMetrics(2).value().at("test/accuracy");
    EXPECT_GE(accuracy, 0.85);
}

TEST(CliText, BadTextIsRefusedWithItsExitCodeAndNothingWritten) {
    TempDir dir;
    const std::string good = dir.file("good.csv"), db = dir.file("keep.db");
    writeTopics(good, 60);
    auto args = textArgs(db, good);
    args.insert(args.end(), {"--set", "epochs=1", "--set", "checks.enabled=false"});
    ASSERT_EQ(runCli(args, dir).code, 0);
    const auto hash = runboard::test::fileHash(db);
    struct Case {
        std::string name, text;
        std::vector<std::string> extra;
        int code;
        std::string message;
    };
    std::string rare = "text,topic\n";  // 40 texts, no word in more than two
    for (int i = 0; i < 40; ++i)
        rare.append("w")
            .append(std::to_string(i / 2))
            .append(" x")
            .append(std::to_string(i))
            .append(i % 2 ? ",a\n" : ",b\n");
    const std::vector<Case> cases{
        {"an empty text", "text,topic\nhello world,a\n  ,b\n", {}, 3, "line 3: the text"},
        {"one class", "text,topic\nhello,a\nworld,a\n", {}, 3, "one class ('a')"},
        {"max_len 0", "text,topic\nhello,a\nworld,b\n", {"data.max_len=0"}, 2, "data.max_len"},
        {"an image model", "text,topic\nhello,a\nworld,b\n", {"model=cnn"}, 2, "textcnn or gru"},
        {"no text column", "words,topic\nhello,a\nworld,b\n", {}, 3, "no column 'text'"},
        {"min_freq above every count", rare, {"data.min_freq=50"}, 3, "lower data.min_freq"},
        {"a label not in UTF-8",
         "text,topic\nhello,caf\xE9\nworld,b\n",
         {},
         3,
         "line 2: the label ('topic') is not valid UTF-8"},
        {"UTF-16", std::string("\xFF\xFEt\0e\0", 6), {}, 3, "is UTF-16 text"},
    };
    for (const auto& k : cases) {
        runboard::test::writeFile(dir.file("bad.csv"), k.text);
        auto a = textArgs(db, dir.file("bad.csv"));
        for (const auto& e : k.extra)
            a.insert(a.end(), {"--set", e});
        const Output o = runCli(a, dir);
        EXPECT_EQ(o.code, k.code) << k.name << ": " << o.err;
        EXPECT_NE(o.err.find(k.message), std::string::npos) << k.name << ": " << o.err;
        EXPECT_EQ(runboard::test::fileHash(db), hash) << k.name;
    }
    // text without a file or folder to read, and a text model on images: usage errors.
    Output o = runCli({"train", "--db", db, "--set", "data.source=text"}, dir);
    EXPECT_EQ(o.code, 2);
    EXPECT_NE(o.err.find("data.path"), std::string::npos) << o.err;
    o = runCli({"train", "--db", db, "--set", "model=gru"}, dir);
    EXPECT_EQ(o.code, 2);
    EXPECT_NE(o.err.find("data.source = text"), std::string::npos) << o.err;
    EXPECT_EQ(runboard::test::fileHash(db), hash);
    // lr-find on text it cannot read: the data's exit code, and no database made for it.
    o = runCli({"lr-find", "--db", dir.file("new.db"), "--set", "data.source=text", "--set",
                "data.path=" + dir.file("missing.csv"), "--set", "data.text=text"},
               dir);
    EXPECT_EQ(o.code, 3) << o.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("new.db")));

    // Invalid UTF-8 is replaced and counted, never a crash.
    std::string bytes = "text,topic\n";
    for (int i = 0; i < 40; ++i)
        bytes +=
            std::string(i % 2 ? "caf\xE9 bar" : "cpu kernel") + "," + (i % 2 ? "a" : "b") + "\n";
    runboard::test::writeFile(dir.file("latin1.csv"), bytes);
    auto a = textArgs(dir.file("other.db"), dir.file("latin1.csv"));
    a.insert(a.end(), {"--set", "epochs=1", "--set", "checks.enabled=false"});
    o = runCli(a, dir);
    EXPECT_EQ(o.code, 0) << o.err;
    EXPECT_NE(o.err.find("invalid UTF-8 sequences in 20 samples replaced"), std::string::npos)
        << o.err;
}
