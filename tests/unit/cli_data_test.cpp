// Training on your own data through the CLI, as a user runs it: a CSV table and an image folder
// end to end (the params, the stable ids of the stored predictions, the accuracy that matches
// them, the quarantine), and every bad table or folder refused with a message that names the file
// and the problem, exit 3 (2 for a config that cannot work), and the database byte-for-byte
// unchanged.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine/images/image_folder.h"
#include "storage/run_store.h"
#include "support/cli_run.h"
#include "support/fixtures.h"
#include "support/image_fixtures.h"

using nlohmann::json;
using runboard::test::Output;
using runboard::test::runCli;
using runboard::test::TempDir;

namespace {

std::vector<std::string> csvArgs(const std::string& db, const std::string& csv) {
    return {"train",
            "--db",
            db,
            "--set",
            "data.source=csv",
            "--set",
            "data.path=" + csv,
            "--set",
            "threads=1",
            "--set",
            "precision=fp32"};
}

// A database holding one short run on a table: what bad input must leave unchanged.
std::string databaseWithARun(const TempDir& dir) {
    const std::string db = dir.file("keep.db"), good = dir.file("good.csv");
    runboard::test::writeBlobsCsv(good, 60);
    auto args = csvArgs(db, good);
    args.insert(args.end(), {"--set", "epochs=1", "--set", "checks.enabled=false"});
    return runCli(args, dir).code == 0 ? db : std::string();
}

}  // namespace

TEST(CliData, TrainsOnACsvTableEndToEnd) {
    TempDir dir;
    const std::string csv = dir.file("blobs.csv"), db = dir.file("csv.db");
    runboard::test::writeBlobsCsv(csv, 600);
    auto args = csvArgs(db, csv);
    args.insert(args.end(), {"--set", "epochs=5", "--set", "batch_size=32", "--json"});
    const Output t = runCli(args, dir);
    ASSERT_EQ(t.code, 0) << t.err;
    const json run = json::parse(t.out);
    EXPECT_EQ(run["status"], "finished");
    EXPECT_EQ(run["params"]["data.source"], "csv");
    EXPECT_EQ(run["params"]["data.path"], csv);
    // model = auto (the default) trains the mlp on a table, and the run says so.
    EXPECT_EQ(run["params"]["model"], "mlp");
    EXPECT_EQ(run["name"].get<std::string>().rfind("mlp sgd", 0), 0u) << run["name"];
    const double accuracy = run["metrics"]["test/accuracy"].get<double>();
    EXPECT_GE(accuracy, 0.85) << "three separable blobs";
    bool checked = false;
    for (const auto& c : run["checks"])
        if (c["name"] == "data.duplicates.test") checked = c["status"] == "pass";
    EXPECT_TRUE(checked) << "the data checks run on tables too";

    // 20% of 600 rows are the test part, each stored once with its row number.
    auto store = runboard::storage::RunStore::open(db);
    auto& c = store->connection();
    EXPECT_EQ(c.queryInt("SELECT count(*) FROM predictions WHERE split='test'").value(), 120);
    EXPECT_EQ(c.queryInt("SELECT count(DISTINCT sample_index) FROM predictions WHERE "
                         "split='test' AND sample_index BETWEEN 1 AND 600")
                  .value(),
              120);
    const auto correct =
        c.queryInt("SELECT count(*) FROM predictions WHERE split='test' AND predicted = target")
            .value();
    EXPECT_NEAR(accuracy, static_cast<double>(correct) / 120.0, 1e-12);
}

TEST(CliData, BadTablesAreRefusedCleanly) {
    TempDir dir;
    const std::string db = databaseWithARun(dir);
    ASSERT_FALSE(db.empty());
    const auto dbHash = runboard::test::fileHash(db);
    struct Case {
        std::string name, text;
        std::vector<std::string> extra;
        int code;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"no header", "1.0,2.0,a\n3.0,4.0,b\n", {}, 3, "line 1 must be a header row"},
        {"no such label",
         "x,y\n1,a\n2,b\n",
         {"data.label=target"},
         3,
         "there is no label column 'target' (data.label); the columns are x, y"},
        {"ragged", "x,y\n1,a\n2,b,c\n3,a\n", {}, 3, "line 3 has 3 fields, the header 2"},
        {"one class", "x,y\n1,a\n2,a\n3,a\n4,a\n5,a\n", {}, 3, "has one value ('a') in every row"},
        {"missing cells",
         "x,z,y\n1,2,a\n,3,b\n4,NA,a\n5,6,b\n7,8,a\n",
         {},
         3,
         "column 'x' has missing values ('', NA or NaN) on line 3"},
        {"empty", "", {}, 3, "the file is empty"},
        {"only a label", "y\na\nb\n", {}, 3, "at least one feature column"},
        {"unclosed quote", "x,y\n1,\"a\n2,b\n", {}, 3, "quote"},
        {"cnn on a table", "x,y\n1,a\n2,b\n", {"model=cnn"}, 2, "use model = mlp"},
        {"a number to predict",
         "species,petal\nsetosa,1.4\nvirginica,5.1\nsetosa,1.3\nvirginica,5.9\nsetosa,1.5\n",
         {},
         3,
         "'petal' looks like a number to predict, not a class"},
        {"semicolons", "x;y\n1,5;a\n2,5;b\n", {}, 3, "line 1 looks separated by ';'"},
        {"label in another case",
         "x,target\n1,a\n2,b\n",
         {"data.label=Target"},
         3,
         "did you mean 'target'?"},
    };
    for (const Case& c : cases) {
        const std::string csv = dir.file("bad.csv");
        runboard::test::writeFile(csv, c.text);
        auto args = csvArgs(db, csv);
        for (const auto& e : c.extra)
            args.insert(args.end(), {"--set", e});
        const Output o = runCli(args, dir);
        EXPECT_EQ(o.code, c.code) << c.name << ": " << o.err;
        EXPECT_NE(o.err.find(c.message), std::string::npos) << c.name << ": " << o.err;
        if (c.code == 3) {
            EXPECT_NE(o.err.find(csv), std::string::npos) << c.name << ": " << o.err;
        }
        EXPECT_TRUE(o.out.empty()) << c.name;
        EXPECT_EQ(runboard::test::fileHash(db), dbHash) << c.name << " changed the database";
    }
    // A file that does not exist, and data.source = csv without a file.
    Output o = runCli(csvArgs(db, dir.file("nowhere.csv")), dir);
    EXPECT_EQ(o.code, 3) << o.err;
    EXPECT_NE(o.err.find("nowhere.csv"), std::string::npos) << o.err;
    o = runCli({"train", "--db", db, "--set", "data.source=csv", "--set", "model=mlp"}, dir);
    EXPECT_EQ(o.code, 2) << o.err;
    EXPECT_NE(o.err.find("data.path"), std::string::npos) << o.err;
    EXPECT_EQ(runboard::test::fileHash(db), dbHash);
}

// An image folder end to end: the bars of the fake Fashion-MNIST as PNG files in class folders
// with train/ and test/, one bad file among them. The run learns, quarantines the bad file
// (stored as the data.scan check, with its path and reason), and stores each test prediction
// under its file's stable id.
TEST(CliData, TrainsOnAnImageFolderEndToEnd) {
    TempDir dir;
    const auto root = dir.path() / "bars";
    runboard::test::writeBarFolder(root, 40, "png", 10);
    runboard::test::writeFile((root / "train/class3/broken.png").string(), "not a png");
    const std::string db = dir.file("folder.db");
    const Output t = runCli({"train",
                             "--db",
                             db,
                             "--set",
                             "data.source=folder",
                             "--set",
                             "data.dir=" + root.string(),
                             "--set",
                             "epochs=4",
                             "--set",
                             "warmup_steps=5",
                             "--set",
                             "batch_size=32",
                             "--set",
                             "threads=1",
                             "--set",
                             "precision=fp32",
                             "--set",
                             "data.workers=2",
                             "--json"},
                            dir);
    ASSERT_EQ(t.code, 0) << t.err;
    const json run = json::parse(t.out);
    EXPECT_EQ(run["params"]["data.source"], "folder");
    EXPECT_EQ(run["params"]["model"], "cnn") << "model = auto on 28-px gray images";
    EXPECT_GE(run["metrics"]["test/accuracy"].get<double>(), 0.9) << "bright bars, 4 epochs\n"
                                                                  << t.err;
    bool scanned = false;
    for (const auto& c : run["checks"])
        if (c["name"] == "data.scan") {
            scanned = true;
            EXPECT_EQ(c["status"], "warn") << c;
            EXPECT_NE(c["message"].get<std::string>().find("1 of 501 images"), std::string::npos)
                << c;
            EXPECT_NE(c.dump().find("train/class3/broken.png"), std::string::npos) << c;
        }
    EXPECT_TRUE(scanned) << run["checks"];
    EXPECT_NE(t.err.find("quarantined 'train/class3/broken.png'"), std::string::npos) << t.err;
    // check --json prints one JSON document on stdout, whatever the scan logs.
    const Output check =
        runCli({"check", "--json", "--set", "data.source=folder", "--set",
                "data.dir=" + root.string(), "--set", "model=mlp", "--set", "threads=1"},
               dir);
    EXPECT_EQ(check.code, 0) << check.err;
    EXPECT_TRUE(json::accept(check.out)) << check.out.substr(0, 300);
    // 100 test files, each stored once under its path's id.
    auto store = runboard::storage::RunStore::open(db);
    auto& c = store->connection();
    EXPECT_EQ(c.queryInt("SELECT count(*) FROM predictions WHERE split='test'").value(), 100);
    EXPECT_EQ(c.queryInt("SELECT count(*) FROM predictions WHERE split='test' AND sample_index = " +
                         std::to_string(runboard::engine::folderSampleId("test/class7/00004.png")))
                  .value(),
              1);
}

TEST(CliData, BadFoldersAreRefusedCleanly) {
    TempDir dir;
    const std::string db = databaseWithARun(dir);
    ASSERT_FALSE(db.empty());
    const auto dbHash = runboard::test::fileHash(db);
    const auto flat = dir.path() / "flat";
    runboard::test::writeSolidImage(flat / "a.png", 28, 28, true, 1);
    const auto one = dir.path() / "one";
    runboard::test::writeSolidImage(one / "cat/a.png", 28, 28, true, 1);
    const auto emptyClass = dir.path() / "empty";
    runboard::test::writeSolidImage(emptyClass / "cat/a.png", 28, 28, true, 1);
    std::filesystem::create_directories(emptyClass / "dog");
    const Output noDir = runCli({"train", "--db", db, "--set", "data.source=folder"}, dir);
    EXPECT_EQ(noDir.code, 2) << noDir.err;
    EXPECT_NE(noDir.err.find("'data.dir' must name the image folder"), std::string::npos)
        << noDir.err;
    for (const auto& [path, message] : std::vector<std::pair<std::string, std::string>>{
             {dir.file("nowhere"), "does not exist"},
             {flat.string(), "has no class sub-folders"},
             {one.string(), "has one class ('cat')"},
             {emptyClass.string(), "has no images"}}) {
        const Output o = runCli(
            {"train", "--db", db, "--set", "data.source=folder", "--set", "data.dir=" + path}, dir);
        EXPECT_EQ(o.code, 3) << path << ": " << o.err;
        EXPECT_NE(o.err.find(message), std::string::npos) << o.err;
        EXPECT_TRUE(o.out.empty());
        EXPECT_EQ(runboard::test::fileHash(db), dbHash) << path << " changed the database";
    }
}

// Your own model: a CNN scripted by python3-torch trains through the CLI with the checklist, and
// saves model.pt; every bad module is refused before the database is touched (exit 3).
TEST(CliData, TrainsATorchScriptModelAndRefusesBadOnes) {
    TempDir dir;
    const std::string script = "/usr/bin/python3 '" + std::string(SCRIPTED_MODELS_PY) + "' '" +
                               dir.path().string() + "' 1 10";
    ASSERT_EQ(std::system(script.c_str()), 0) << "python3-torch could not script the models";
    const auto data = dir.path() / "data";
    runboard::test::writeFakeFashionMnist(data, 600, 200);
    const std::string db = dir.file("ts.db");
    const std::vector<std::string> common = {"train",
                                             "--db",
                                             db,
                                             "--set",
                                             "data.dir=" + data.string(),
                                             "--set",
                                             "model=torchscript",
                                             "--set",
                                             "data.val_size=100",
                                             "--set",
                                             "batch_size=50",
                                             "--set",
                                             "threads=1",
                                             "--set",
                                             "precision=fp32"};
    auto train = [&](const std::string& model, std::vector<std::string> extra) {
        auto args = common;
        args.insert(args.end(), {"--set", "model.path=" + dir.file(model)});
        args.insert(args.end(), extra.begin(), extra.end());
        return runCli(args, dir);
    };
    const Output t = train("good.pt", {"--set", "epochs=4", "--set", "warmup_steps=5", "--json"});
    ASSERT_EQ(t.code, 0) << t.err;
    const json run = json::parse(t.out);
    EXPECT_EQ(run["params"]["model"], "torchscript");
    EXPECT_GE(run["metrics"]["test/accuracy"].get<double>(), 0.5) << t.err;
    for (const auto& c : run["checks"])
        EXPECT_NE(c["status"], "fail") << c;
    const auto files = std::filesystem::path(run["checkpoints"][0]["path"].get<std::string>());
    EXPECT_TRUE(std::filesystem::exists(files.parent_path() / "model.pt"));

    const auto dbHash = runboard::test::fileHash(db);
    runboard::test::writeFile(dir.file("text.pt"), "not a model");
    for (const auto& [model, message] : std::vector<std::pair<std::string, std::string>>{
             {"text.pt", "is not a TorchScript module"},
             {"wrong_k.pt", "outputs [2, 13]"},
             {"channels.pt", "to have 3 channels, but got 1 channels"},
             {"frozen.pt", "has no trainable parameters"}}) {
        const Output o = train(model, {"--set", "epochs=1"});
        EXPECT_EQ(o.code, 3) << model << ": " << o.err;
        EXPECT_NE(o.err.find(message), std::string::npos) << o.err;
        EXPECT_NE(o.err.find(model), std::string::npos) << o.err;
        EXPECT_TRUE(o.out.empty());
        EXPECT_EQ(runboard::test::fileHash(db), dbHash) << model << " changed the database";
    }
    const Output noPath = runCli({"train", "--db", db, "--set", "model=torchscript"}, dir);
    EXPECT_EQ(noPath.code, 2);
    EXPECT_NE(noPath.err.find("'model.path' must name the TorchScript file"), std::string::npos)
        << noPath.err;
}
