// The CLI's analysis commands as a user runs them: `compare` (only the changed keys, the deltas,
// the verdict, bad input) and `check` (the checklist alone, and `train` stopping on a failed
// check with exit 6).

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/data/idx.h"
#include "engine/data/sample_images.h"
#include "engine/stats/stats.h"
#include "storage/run_store.h"
#include "storage/writer.h"
#include "support/cli_run.h"
#include "support/fixtures.h"

using nlohmann::json;
using runboard::test::Output;
using runboard::test::runCli;
using runboard::test::TempDir;

TEST(Cli, CompareShowsOnlyChangedKeysTheDeltasAndTheVerdict) {
    TempDir dir;
    const std::string db = dir.file("cmp.db");
    runboard::storage::RunId a = 0, b = 0;
    std::int64_t onlyA = 0, onlyB = 0;
    {
        auto store = runboard::storage::RunStore::open(db);
        auto writer = runboard::storage::Writer::open(db);
        const std::vector<runboard::storage::Param> pa = {{"lr", "0.1", "float"},
                                                          {"optimizer.name", "sgd", "string"},
                                                          {"batch_size", "128", "int"},
                                                          {"augment.flip", "true", "bool"}};
        const std::vector<runboard::storage::Param> pb = {{"lr", "0.05", "float"},
                                                          {"optimizer.name", "sgd", "string"},
                                                          {"batch_size", "256", "int"}};
        for (int run = 0; run < 2; ++run) {
            auto r = store->createRun({run == 0 ? "base" : "half lr",
                                       run == 0 ? std::nullopt : std::optional(a), "{}", 0,
                                       run == 0 ? pa : pb, runboard::storage::RunStatus::Running});
            (run == 0 ? a : b) = r->id;
            double right = 0;
            for (std::int64_t i = 0; i < 400; ++i) {
                runboard::storage::PredictionRow p{.runId = r->id,
                                                   .split = "test",
                                                   .epoch = 3,
                                                   .sampleIndex = i,
                                                   .target = static_cast<std::int32_t>(i % 3)};
                const bool ok = run == 0 ? i % 5 != 0 : i % 7 != 0;  // B better
                p.predicted = ok ? p.target : (p.target + 1) % 3;
                p.probs = {0.3f, 0.3f, 0.4f};
                right += ok;
                if (run == 1) {
                    const bool aOk = i % 5 != 0;
                    onlyA += aOk && !ok;
                    onlyB += !aOk && ok;
                }
                writer.value()->prediction(std::move(p));
            }
            writer.value()->metric(r->id, writer.value()->key("test/accuracy"), 30, right / 400, 0);
            if (run == 0)
                writer.value()->metric(r->id, writer.value()->key("train/only_a"), 30, 1, 0);
            ASSERT_TRUE(writer.value()->flush());
            r->lock.release();
            ASSERT_TRUE(store->setStatus(r->id, runboard::storage::RunStatus::Finished));
        }
    }
    const Output o =
        runCli({"compare", std::to_string(a), std::to_string(b), "--db", db, "--json"}, dir);
    ASSERT_EQ(o.code, 0) << o.err;
    const json j = json::parse(o.out);
    // Only the differing keys, nested ones included, and keys only one run has (null).
    EXPECT_EQ(j["changed"].size(), 3u) << j["changed"].dump();
    EXPECT_EQ(j["changed"]["lr"], json::array({"0.1", "0.05"}));
    EXPECT_EQ(j["changed"]["batch_size"], json::array({"128", "256"}));
    EXPECT_EQ(j["changed"]["augment.flip"], json::array({"true", nullptr}));
    EXPECT_FALSE(j["changed"].contains("optimizer.name"));
    const double accA = 320.0 / 400, accB = (400.0 - 58) / 400;  // i % 5 == 0: 80; i % 7 == 0: 58
    EXPECT_DOUBLE_EQ(j["metrics"]["test/accuracy"]["a"].get<double>(), accA);
    EXPECT_DOUBLE_EQ(j["metrics"]["test/accuracy"]["b"].get<double>(), accB);
    EXPECT_NEAR(j["metrics"]["test/accuracy"]["delta"].get<double>(), accB - accA, 1e-12);
    EXPECT_TRUE(j["metrics"]["train/only_a"]["b"].is_null());
    EXPECT_TRUE(j["metrics"]["train/only_a"]["delta"].is_null());
    // The verdict: McNemar on the discordant samples, the bootstrap interval around the delta.
    const auto& v = j["verdict"];
    EXPECT_EQ(v["method"], "mcnemar-exact+paired-bootstrap");
    EXPECT_NEAR(v["delta"].get<double>(), 100 * (accB - accA), 1e-9);
    EXPECT_DOUBLE_EQ(v["p_value"].get<double>(), runboard::stats::mcnemarExactP(onlyA, onlyB));
    EXPECT_LT(v["ci_low"].get<double>(), v["delta"].get<double>());
    EXPECT_GT(v["ci_high"].get<double>(), v["delta"].get<double>());
    EXPECT_NE(v["text"].get<std::string>().find(" pt (95% CI "), std::string::npos);
    EXPECT_EQ(j["shared_test_samples"], 400);
    // B's own change set against its parent A has three keys: the warning says so.
    EXPECT_NE(j["warning"].get<std::string>().find("3 changes: augment.flip, batch_size, lr"),
              std::string::npos)
        << j["warning"];
    // Text: the same, for people.
    const Output t = runCli({"compare", std::to_string(a), std::to_string(b), "--db", db}, dir);
    ASSERT_EQ(t.code, 0) << t.err;
    EXPECT_NE(t.out.find("lr"), std::string::npos);
    EXPECT_NE(t.out.find("0.1 -> 0.05"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("can't tell which one helped"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("Verdict"), std::string::npos);
    // Bad input: a clear message and exit 2; a missing database: 4.
    Output bad = runCli({"compare", std::to_string(a), "99", "--db", db}, dir);
    EXPECT_EQ(bad.code, 2);
    EXPECT_NE(bad.err.find("no run with id 99"), std::string::npos) << bad.err;
    bad = runCli({"compare", "x", "1", "--db", db}, dir);
    EXPECT_EQ(bad.code, 2);
    EXPECT_NE(bad.err.find("got 'x'"), std::string::npos) << bad.err;
    EXPECT_EQ(runCli({"compare", "1", "--db", db}, dir).code, 2);
    EXPECT_EQ(runCli({"compare", "1", "2", "--db", dir.file("none.db")}, dir).code, 4);
}

namespace {

// True when `text` holds a byte a terminal acts on (C0 other than \n, DEL) or, as UTF-8, a C1
// control or a bidi or invisible character that can disguise what is shown.
bool hasRawControls(const std::string& text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if ((c < 0x20 && c != '\n') || c == 0x7F) return true;
        if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xA0)
            return true;  // U+0080..U+009F
        for (const char* bad : {"\xE2\x80\xAE", "\xE2\x80\xAA", "\xE2\x81\xA6", "\xE2\x81\xA9",
                                "\xE2\x80\x8B", "\xE2\x80\x8F", "\xD8\x9C", "\xEF\xBB\xBF"})
            if (text.compare(i, std::char_traits<char>::length(bad), bad) == 0) return true;
    }
    return false;
}

}  // namespace

TEST(Cli, CompareEscapesNamesConfigKeysAndValues) {
    TempDir dir;
    const std::string db = dir.file("evil.db");
    // A title-setting OSC with BEL, a colour, and a right-to-left override that shows "base" for
    // a run really named "esab": all stored as anyone could store them.
    const std::string nameA =
        "a\x1b]0;pwned\a\xE2\x80\xAE"
        "esab";
    const std::string nameB =
        "b\xE2\x81\xA6"
        "x\xE2\x81\xA9\x1b[2J";
    const std::string key = "tag\x1b[31m";
    const std::string valueA = "x\a", valueB =
                                          "y\xE2\x80\xAE"
                                          "z\xC2\x9B"
                                          "1m";
    runboard::storage::RunId a = 0, b = 0;
    {
        auto store = runboard::storage::RunStore::open(db);
        auto writer = runboard::storage::Writer::open(db);
        const std::vector<runboard::storage::Param> pa = {
            {key, valueA, "string"}, {"lr", "0.1", "float"}, {"note", "n\xE2\x80\x8B", "string"}};
        const std::vector<runboard::storage::Param> pb = {
            {key, valueB, "string"}, {"lr", "0.2", "float"}, {"note", "m", "string"}};
        for (int run = 0; run < 2; ++run) {
            auto r = store->createRun({run == 0 ? nameA : nameB,
                                       run == 0 ? std::nullopt : std::optional(a), "{}", 0,
                                       run == 0 ? pa : pb, runboard::storage::RunStatus::Running});
            ASSERT_TRUE(r) << r.error().message;
            (run == 0 ? a : b) = r->id;
            writer.value()->metric(r->id, writer.value()->key("val/\x1b[2Jacc"), 1, 0.5, 0);
            ASSERT_TRUE(writer.value()->flush());
            r->lock.release();
            ASSERT_TRUE(store->setStatus(r->id, runboard::storage::RunStatus::Finished));
        }
    }
    const Output t = runCli({"compare", std::to_string(a), std::to_string(b), "--db", db}, dir);
    ASSERT_EQ(t.code, 0) << t.err;
    EXPECT_FALSE(hasRawControls(t.out)) << t.out;
    EXPECT_NE(t.out.find("a\\x1b]0;pwned\\x07\\u202eesab"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("b\\u2066x\\u2069\\x1b[2J"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("tag\\x1b[31m"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("x\\x07 -> y\\u202ez\\u009b1m"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("n\\u200b -> m"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("val/\\x1b[2Jacc"), std::string::npos) << t.out;
    // Columns line up on what is shown: keys pad to the widest shown one ("val/\x1b[2Jacc", 14).
    EXPECT_NE(t.out.find("  lr" + std::string(14, ' ') + "0.1 -> 0.2"), std::string::npos) << t.out;
    // JSON keeps the exact stored strings (escaped by JSON itself): no raw ESC or BEL.
    const Output j =
        runCli({"compare", std::to_string(a), std::to_string(b), "--db", db, "--json"}, dir);
    ASSERT_EQ(j.code, 0) << j.err;
    EXPECT_EQ(j.out.find('\x1b'), std::string::npos) << j.out;
    EXPECT_EQ(j.out.find('\a'), std::string::npos) << j.out;
    const json parsed = json::parse(j.out);
    EXPECT_EQ(parsed["changed"][key], json::array({valueA, valueB})) << j.out;
}

TEST(Cli, CheckRunsTheChecklistAndTrainStopsOnAFailedCheckWithExitSix) {
    TempDir dir;
    const auto data = dir.path() / "data";
    runboard::test::writeFakeFashionMnist(data, 400, 100);
    // The MLP: this is the CLI's wiring of the checklist (exit 6, JSON, the stored checklist);
    // engine_tests' Checks suite plants each bug in the CNN. On the CNN the four checklists took
    // 110 s, since the overfit on noise-like fake images runs all its steps.
    const std::vector<std::string> tiny = {"--set", "data.dir=" + data.string(),
                                           "--set", "data.val_size=100",
                                           "--set", "batch_size=50",
                                           "--set", "epochs=1",
                                           "--set", "model=mlp",
                                           "--set", "precision=fp32",
                                           "--set", "threads=1"};
    auto with = [&](std::vector<std::string> args) {
        args.insert(args.end(), tiny.begin(), tiny.end());
        return args;
    };
    // Healthy: every check passes or warns, exit 0; one object per check.
    Output o = runCli(with({"check", "--json"}), dir);
    ASSERT_EQ(o.code, 0) << o.err << o.out;
    json j = json::parse(o.out);
    ASSERT_EQ(j.size(), 12u);  // with model.layers, as a run stores it
    bool layers = false;
    for (const auto& c : j)
        if (c["name"] == "model.layers")
            layers = c["message"].get<std::string>().rfind("mlp: ", 0) == 0;
    EXPECT_TRUE(layers) << "check names the model it checked: " << o.out;
    for (const auto& c : j) {
        for (const char* k : {"name", "status", "value", "message"})
            EXPECT_TRUE(c.contains(k)) << c.dump();
        EXPECT_NE(c["status"], "fail") << c.dump();
    }
    // Leakage planted in the data: every training image doubled, so validation copies training.
    const std::string path =
        runboard::engine::idxImagesPath(data.string(), runboard::engine::FilePart::Train);
    auto images = runboard::engine::readIdx(path, 3);
    for (std::size_t i = 0; i + 1 < images.dims[0]; i += 2)
        std::copy_n(images.data.begin() + static_cast<std::ptrdiff_t>(i * 784), 784,
                    images.data.begin() + static_cast<std::ptrdiff_t>((i + 1) * 784));
    runboard::engine::writeIdxGz(path, images.dims, images.data);
    o = runCli(with({"check", "--json"}), dir);
    EXPECT_EQ(o.code, 6) << o.err;
    j = json::parse(o.out);
    EXPECT_EQ(j[0]["name"], "data.duplicates.val");
    EXPECT_EQ(j[0]["status"], "fail");
    // train runs the checklist first: the run is stored as failed, with its checklist.
    const std::string db = dir.file("checks.db");
    o = runCli(with({"train", "--db", db, "--json"}), dir);
    EXPECT_EQ(o.code, 6) << o.err;
    const json run = json::parse(o.out);
    EXPECT_EQ(run["status"], "failed");
    EXPECT_NE(
        run["message"].get<std::string>().find("pre-flight check failed: data.duplicates.val"),
        std::string::npos)
        << run["message"];
    EXPECT_FALSE(run["metrics"].contains("train/loss"));  // it never trained
    ASSERT_EQ(run["checks"].size(), 12u);  // the 11 above and the stored model.layers
    EXPECT_EQ(run["checks"][0]["status"], "fail");
    // checks.enabled=false skips it and trains.
    o = runCli(with({"train", "--db", db, "--set", "checks.enabled=false"}), dir);
    EXPECT_EQ(o.code, 0) << o.err;
    // Bad input: exit 2 for the config, 3 for missing data.
    EXPECT_EQ(runCli({"check", "--set", "lr=abc"}, dir).code, 2);
    EXPECT_EQ(runCli({"check", "--set", "data.dir=" + dir.file("nowhere")}, dir).code, 3);
}
