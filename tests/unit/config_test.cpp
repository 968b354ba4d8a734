// The config schema: parsing files and --set, typo protection, type and range checks.

#include "engine/config/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "engine/analysis/leaderboard.h"
#include "engine/config/choices.h"
#include "engine/data/data_checks.h"
#include "engine/observer.h"
#include "engine/sweep/lr_sweep.h"
#include "support/fixtures.h"

using namespace runboard::config;
using runboard::test::TempDir;
using runboard::test::writeFile;

namespace {

std::string errorOf(auto&& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Config, DefaultsAreValidAndCoverTheRequiredKeys) {
    const Config c = Config::defaults();
    EXPECT_TRUE(c.problems().empty());
    for (const char* k : {"model", "optimizer", "lr", "momentum", "weight_decay", "batch_size",
                          "epochs", "schedule", "seed", "threads", "label_smoothing", "precision",
                          "data.dir", "data.limit", "data.val_size", "data.split_seed"})
        EXPECT_NE(findKey(k), nullptr) << k;
    EXPECT_EQ(c.text("data.dir"), "/usr/share/datasets/fashion-mnist");
    EXPECT_EQ(c.text("precision"), "auto");
}

TEST(Config, NestedAndDottedJsonFlattenTheSame) {
    Config a = Config::defaults(), b = Config::defaults();
    a.mergeJson(R"({"data": {"limit": 100, "dir": "/d"}, "lr": 0.5})", "a.json");
    b.mergeJson(R"({"data.limit": 100, "data.dir": "/d", "lr": 0.5})", "b.json");
    EXPECT_EQ(a, b);
    EXPECT_EQ(a.integer("data.limit"), 100);
    EXPECT_EQ(a.number("lr"), 0.5);
}

TEST(Config, OverridesParseByTheKeysType) {
    Config c = Config::defaults();
    c.applyOverride("epochs=3");
    c.applyOverride("lr=1e-3");
    c.applyOverride("nesterov=false");
    c.applyOverride("model=mlp");
    c.applyOverride("weight_decay=0");  // an int where a float is expected is fine
    EXPECT_EQ(c.integer("epochs"), 3);
    EXPECT_DOUBLE_EQ(c.number("lr"), 1e-3);
    EXPECT_FALSE(c.flag("nesterov"));
    EXPECT_EQ(c.text("model"), "mlp");
}

TEST(Config, UnknownKeySuggestsAndListsValidKeys) {
    Config c = Config::defaults();
    const std::string e = errorOf([&] { c.applyOverride("lrr=0.1"); });
    EXPECT_NE(e.find("unknown config key 'lrr'"), std::string::npos) << e;
    EXPECT_NE(e.find("did you mean 'lr'"), std::string::npos) << e;
    EXPECT_NE(e.find("valid keys: model, model.path, optimizer"), std::string::npos) << e;
    const std::string nested = errorOf([&] { c.mergeJson(R"({"data": {"limt": 3}})", "f.json"); });
    EXPECT_NE(nested.find("'data.limt'"), std::string::npos) << nested;
}

TEST(Config, WrongTypesAreNamed) {
    Config c = Config::defaults();
    EXPECT_NE(errorOf([&] {
                  c.applyOverride("epochs=abc");
              }).find("wrong value type for 'epochs': expected int"),
              std::string::npos);
    EXPECT_NE(errorOf([&] { c.applyOverride("epochs=2.5"); }).find("expected int"),
              std::string::npos);
    const std::string e = errorOf([&] { c.mergeJson(R"({"batch_size": "64"})", "f.json"); });
    EXPECT_NE(
        e.find("f.json: wrong value type for 'batch_size': expected int, got the string \"64\""),
        std::string::npos)
        << e;
    EXPECT_NE(errorOf([&] { c.mergeJson(R"({"nesterov": 1})", "f.json"); }).find("expected bool"),
              std::string::npos);
}

TEST(Config, MalformedJsonIsReportedWithItsOrigin) {
    Config c = Config::defaults();
    const std::string e = errorOf([&] { c.mergeJson(R"({"lr": 0.1,,})", "bad.json"); });
    EXPECT_NE(e.find("bad.json: malformed JSON"), std::string::npos) << e;
    EXPECT_NE(errorOf([&] { c.mergeJson("[1,2]", "arr.json"); }).find("must be a JSON object"),
              std::string::npos);
}

TEST(Config, RangesAndChoicesAreValidated) {
    struct Case {
        const char* assignment;
        const char* message;
    };
    for (const Case& k : std::initializer_list<Case>{
             {"lr=0", "'lr' must be > 0, got 0"},
             {"lr=-1", "'lr' must be > 0"},
             {"batch_size=0", "'batch_size' must be >= 1, got 0"},
             {"epochs=0", "'epochs' must be >= 1, got 0"},
             {"model=vit",
              "unknown model 'vit' (choose one of: auto, mlp, cnn, resnet, torchscript, textcnn, "
              "gru)"},
             {"optimizer=rmsprop", "unknown optimizer 'rmsprop' (choose one of: sgd, adam, adamw)"},
             {"momentum=1", "'momentum' must be < 1"},
             {"label_smoothing=1.5", "'label_smoothing' must be < 1"},
             {"precision=fp16", "unknown precision 'fp16'"}}) {
        Config c = Config::defaults();
        c.applyOverride(k.assignment);
        const std::string e = errorOf([&] { c.validate(); });
        EXPECT_NE(e.find(k.message), std::string::npos) << k.assignment << " -> " << e;
    }
}

TEST(Config, JsonRoundTripIsFlatAndStable) {
    Config c = Config::defaults();
    c.applyOverride("lr=0.25");
    Config back = Config::defaults();
    back.mergeJson(c.toJson(), "roundtrip");
    EXPECT_EQ(back, c);
    EXPECT_EQ(c.toJson(), back.toJson());
}

// ---- Hostile input (issue 13, item 6): every failure is a ConfigError naming the file and key.

namespace {

// Whether the message would reach a terminal with a control character or broken UTF-8 in it.
bool isSafeForTerminal(const std::string& s) {
    if (!isValidUtf8(s)) return false;
    for (unsigned char c : s)
        if ((c < 0x20 && c != '\n') || c == 0x7F) return false;
    return s.find("\xC2\x9B") == std::string::npos;  // CSI (C1)
}

}  // namespace

TEST(ConfigHostile, OverflowingNumbersInJsonAreConfigErrorsNamingFileAndKey) {
    struct Case {
        const char* json;
        const char* key;
        const char* number;
    };
    for (const Case& k : std::initializer_list<Case>{
             {R"({"epochs": 1e400})", "'epochs'", "1e400"},
             {R"({"lr": -1e999})", "'lr'", "-1e999"},
             {R"({"model": "mlp", "onecycle": {"div_factor": 2.5e308}})", "'onecycle.div_factor'",
              "2.5e308"},
             {R"({"data": {"limit": 1}, "lr": 0.1, "seed": 1E+9999})", "'seed'", "1E+9999"}}) {
        Config c = Config::defaults();
        const Config before = c;
        const std::string e = errorOf([&] { c.mergeJson(k.json, "exp.json"); });
        EXPECT_NE(e.find("exp.json: "), std::string::npos) << k.json << " -> " << e;
        EXPECT_NE(e.find(k.key), std::string::npos) << k.json << " -> " << e;
        EXPECT_NE(e.find(k.number), std::string::npos) << k.json << " -> " << e;
        EXPECT_NE(e.find("out of range"), std::string::npos) << k.json << " -> " << e;
        EXPECT_EQ(c, before) << "a failed merge changed the config: " << k.json;
    }
}

TEST(ConfigHostile, ConfigFileWithAnOverflowingNumberIsAConfigError) {
    TempDir dir;
    const std::string path = dir.file("big.json");
    writeFile(path, "{\n  \"model\": \"mlp\",\n  \"epochs\": 1e400\n}\n");
    const std::string e = errorOf([&] { loadConfigFile(path); });
    EXPECT_NE(e.find(path + ": 'epochs': the number 1e400 is out of range"), std::string::npos)
        << e;
}

TEST(ConfigHostile, IntegersBeyondInt64AreRefusedNotWrapped) {
    for (const char* json : {R"({"seed": 18446744073709551615})",
                             R"({"epochs": 9223372036854775808})", R"({"data.limit": 1e19})"}) {
        Config c = Config::defaults();
        const std::string e = errorOf([&] { c.mergeJson(json, "f.json"); });
        EXPECT_NE(e.find("is out of range"), std::string::npos) << json << " -> " << e;
        EXPECT_NE(e.find("f.json"), std::string::npos) << json << " -> " << e;
    }
    Config c = Config::defaults();
    c.mergeJson(R"({"seed": 9007000000000000})", "f.json");  // the largest allowed seed fits
    EXPECT_EQ(c.integer("seed"), 9007000000000000);
}

TEST(ConfigHostile, SetValuesOutOfRangeNotANumberOrEmpty) {
    struct Case {
        const char* assignment;
        const char* message;  // from applyOverride, or else from validate()
    };
    for (const Case& k : std::initializer_list<Case>{
             {"epochs=1e400", "wrong value type for 'epochs': expected int, got '1e400'"},
             {"lr=1e400", "'lr' is out of range: '1e400' does not fit a double"},
             {"lr=-1e999", "'lr' is out of range: '-1e999'"},
             {"epochs=99999999999999999999", "'epochs' is out of range: '99999999999999999999'"},
             {"seed=-99999999999999999999", "'seed' is out of range"},
             {"lr=nan", "'lr' must be finite, got nan"},
             {"lr=inf", "'lr' must be finite, got inf"},
             {"momentum=-inf", "'momentum' must be finite, got -inf"},
             {"lr=", "wrong value type for 'lr': expected float, got ''"},
             {"epochs=", "wrong value type for 'epochs': expected int, got ''"},
             {"nesterov=", "wrong value type for 'nesterov': expected bool"},
             {"model=", "unknown model ''"},
             {"data.dir=", "'data.dir' must not be empty"},
             {"=5", "--set expects KEY=VALUE, got '=5'"},
             {"epochs", "--set expects KEY=VALUE"}}) {
        Config c = Config::defaults();
        std::string e = errorOf([&] { c.applyOverride(k.assignment); });
        if (e.empty()) e = errorOf([&] { c.validate(); });
        EXPECT_NE(e.find(k.message), std::string::npos) << k.assignment << " -> " << e;
    }
}

TEST(ConfigHostile, OddBytesInKeysAndValuesAreEscapedInMessages) {
    Config c = Config::defaults();
    const std::string esc = errorOf([&] { c.applyOverride("\x1b[31mlr\x07=0.1"); });
    EXPECT_NE(esc.find("unknown config key '\\x1b[31mlr\\x07'"), std::string::npos) << esc;
    EXPECT_TRUE(isSafeForTerminal(esc)) << esc;
    const std::string broken = errorOf([&] { c.applyOverride("lr\xff\xfe=1"); });
    EXPECT_NE(broken.find("'lr\\xff\\xfe'"), std::string::npos) << broken;
    EXPECT_TRUE(isSafeForTerminal(broken)) << broken;
    const std::string c1 = errorOf([&] {
        c.applyOverride(
            "epochs=\xC2\x9B"
            "2J");
    });
    EXPECT_NE(c1.find("got '\\u009b2J'"), std::string::npos) << c1;
    EXPECT_TRUE(isSafeForTerminal(c1)) << c1;
    // A key from JSON with an escaped control character, and a huge key: both named, short.
    const std::string fromJson = errorOf([&] { c.mergeJson(R"({"\u001b]0;x\u0007": 1})", "f"); });
    EXPECT_NE(fromJson.find("unknown config key '\\x1b]0;x\\x07'"), std::string::npos) << fromJson;
    const std::string huge = errorOf([&] { c.applyOverride(std::string(100000, 'k') + "=1"); });
    EXPECT_NE(huge.find("unknown config key 'kkkk"), std::string::npos);
    EXPECT_LT(huge.size(), 2000u);
    // Valid UTF-8 passes through as is.
    const std::string utf8 = errorOf([&] {
        c.applyOverride("model=млп");
        c.validate();
    });
    EXPECT_NE(utf8.find("unknown model 'млп'"), std::string::npos) << utf8;
}

TEST(ConfigHostile, StringValuesMustBeUtf8SoTheConfigCanBeStored) {
    Config c = Config::defaults();
    const std::string e = errorOf([&] { c.applyOverride("data.dir=/data/\xff\xfe"); });
    EXPECT_NE(e.find("'data.dir' is not valid UTF-8: '/data/\\xff\\xfe'"), std::string::npos) << e;
    EXPECT_NE(errorOf([&] { c.set("data.dir", std::string("\xed\xa0\x80")); })  // a surrogate
                  .find("not valid UTF-8"),
              std::string::npos);
    EXPECT_NO_THROW(c.toJson());
    c.applyOverride("data.dir=/données/fashion");
    EXPECT_NE(c.toJson().find("/données/fashion"), std::string::npos);
}

TEST(ConfigHostile, MalformedJsonMessagesAreSafeForTheTerminal) {
    for (const std::string& json :
         {std::string("{\"\xff\": 1}"), std::string("{\"lr\": \"\x1b[2J\"}"),
          std::string("{\"lr\": 0.1\x07"), std::string("\xC2\x9B"), std::string(""),
          std::string("{\"lr\": 01}"), std::string("{\"lr\": 1e}")}) {
        Config c = Config::defaults();
        const std::string e = errorOf([&] { c.mergeJson(json, "f.json"); });
        EXPECT_NE(e.find("f.json: malformed JSON: "), std::string::npos) << e;
        EXPECT_EQ(e.find("[json.exception"), std::string::npos) << e;
        EXPECT_TRUE(isSafeForTerminal(e)) << e;
    }
}

TEST(ConfigHostile, DeepNestingStopsAtTheFirstKeyOutsideTheSchema) {
    std::string json;
    for (int i = 0; i < 5000; ++i)
        json += "{\"a\": ";
    json += "1";
    json += std::string(5000, '}');
    Config c = Config::defaults();
    const std::string e = errorOf([&] { c.mergeJson(json, "deep.json"); });
    EXPECT_NE(e.find("unknown config key 'a'"), std::string::npos) << e.substr(0, 200);
    EXPECT_LT(e.size(), 2000u);
    // Sections of the schema still nest; deeper than the schema does not.
    EXPECT_NO_THROW(c.mergeJson(R"({"data": {"limit": 5}})", "ok.json"));
    const std::string deeper =
        errorOf([&] { c.mergeJson(R"({"data": {"limit": {"x": 1}}})", "d"); });
    EXPECT_NE(deeper.find("wrong value type for 'data.limit'"), std::string::npos) << deeper;
    const std::string underSection =
        errorOf([&] { c.mergeJson(R"({"data": {"nope": {"x": 1}}})", "d"); });
    EXPECT_NE(underSection.find("unknown config key 'data.nope'"), std::string::npos)
        << underSection;
}

TEST(ConfigHostile, ConfigFilesThatAreNotFilesOrTooLarge) {
    TempDir dir;
    const std::string missing = errorOf([&] { loadConfigFile(dir.file("nope.json")); });
    EXPECT_NE(missing.find("nope.json': No such file or directory"), std::string::npos) << missing;
    EXPECT_NE(errorOf([&] { loadConfigFile(dir.path().string()); }).find("it is a directory"),
              std::string::npos);
    writeFile(dir.file("big.json"), "{\"lr\": 0.1" + std::string(2 << 20, ' ') + "}");
    EXPECT_NE(errorOf([&] { loadConfigFile(dir.file("big.json")); }).find("larger than 1 MB"),
              std::string::npos);
    if (std::filesystem::exists("/dev/zero")) {  // reads 1 MB, not forever
        EXPECT_NE(errorOf([&] { loadConfigFile("/dev/zero"); }).find("larger than 1 MB"),
                  std::string::npos);
    }
}

TEST(ConfigHostile, NonFiniteSetValuesAreRefusedSoEveryConfigStores) {
    // Found by tests/fuzz/fuzz_config_set: `--set lr=nan` was held until validate(), and toJson()
    // stored it as null, which no longer read back.
    for (const char* assignment : {"lr=nan", "lr=inf", "momentum=-inf", "weight_decay=NaN"}) {
        Config c = Config::defaults();
        const std::string e = errorOf([&] { c.applyOverride(assignment); });
        EXPECT_NE(e.find("must be finite"), std::string::npos) << assignment << " -> " << e;
        EXPECT_EQ(c, Config::defaults()) << assignment;
    }
    Config c = Config::defaults();
    c.applyOverride("lr=1e-300");  // tiny but finite: kept
    EXPECT_EQ(c.number("lr"), 1e-300);
    Config back = Config::defaults();
    back.mergeJson(c.toJson(), "stored");
    EXPECT_EQ(back, c);
}

// Every enum's one name table: each value round-trips through its name, names are unique, and the
// schema offers exactly the table's names for the key (so --set, the help and the engine agree).
template <typename E, std::size_t N>
void expectTable(const runboard::config::NameTable<E, N>& table, const char* key) {
    std::set<std::string_view> seen;
    for (const auto& [value, name] : table.entries) {
        EXPECT_FALSE(name.empty());
        EXPECT_TRUE(seen.insert(name).second) << "duplicate name " << name;
        EXPECT_EQ(table.parse(name), value) << name;
        EXPECT_EQ(table.name(value), name);
    }
    EXPECT_EQ(table.parse("no such name"), std::nullopt);
    if (key == nullptr) return;
    const auto* spec = runboard::config::findKey(key);
    ASSERT_NE(spec, nullptr) << key;
    EXPECT_EQ(spec->choices, table.names()) << key;
}

TEST(NameTables, EveryValueRoundTripsAndTheSchemaOffersTheTablesNames) {
    using namespace runboard::config;
    expectTable(kModelNames, "model");
    expectTable(kOptimizerNames, "optimizer");
    expectTable(kScheduleNames, "schedule");
    expectTable(kHeadInitNames, "init.head");
    expectTable(kPrecisionNames, "precision");
    // The engine's other tables (stored and printed text, so fixed).
    expectTable(runboard::sweep::kModeNames, nullptr);
    expectTable(runboard::sweep::kStopReasonNames, nullptr);
    expectTable(runboard::engine::kCheckStatusNames, nullptr);
    expectTable(runboard::engine::kSplitNames, nullptr);
    expectTable(runboard::analysis::kOwnMetricNames, nullptr);
    Config c = Config::defaults();
    c.set("optimizer", std::string("adamw"));
    EXPECT_EQ(choice(c, "optimizer", kOptimizerNames), OptimizerKind::AdamW);
    EXPECT_THROW(choice(c, "model", kOptimizerNames), ConfigError);  // "auto" is no optimizer
}

// A run stores the files it read by absolute name, whatever the directory it ran from.
TEST(Config, PathKeysBecomeAbsolute) {
    using runboard::config::Config;
    Config c = Config::defaults();
    c.set("data.path", std::string("tables/./iris.csv"));
    c.set("model.path", std::string(""));
    c.makePathsAbsolute();
    EXPECT_EQ(c.text("data.path"),
              (std::filesystem::current_path() / "tables/iris.csv").lexically_normal().string());
    EXPECT_EQ(c.text("model.path"), "") << "empty stays empty";
    EXPECT_EQ(c.text("data.dir"), "/usr/share/datasets/fashion-mnist") << "the default stays";
    c.set("data.dir", std::string("/a/b/../c"));
    c.makePathsAbsolute();
    EXPECT_EQ(c.text("data.dir"), "/a/c");
}

// An image smaller than the models' three halvings is a config error (exit 2), not a data error
// after the scan.
TEST(Config, TinyImageSizesAreRefusedAsAConfigProblem) {
    runboard::config::Config c = runboard::config::Config::defaults();
    c.set("data.image_size", std::int64_t{4});
    const auto problems = c.problems();
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("'data.image_size' must be 0 (from the images) or at least 8 px"),
              std::string::npos)
        << problems[0];
    c.set("data.image_size", std::int64_t{8});
    EXPECT_TRUE(c.problems().empty());
}

// model = auto by the sample shape: a table's rows, colour images inside and just outside
// 32-96 px, gray images of any size; an explicit choice is never replaced.
TEST(NameTables, AutoModelFollowsTheSampleShape) {
    using namespace runboard::config;
    using Shape = std::vector<std::int64_t>;
    EXPECT_EQ(Config::defaults().text("model"), "auto");
    const std::vector<std::pair<Shape, ModelKind>> cases = {{{4}, ModelKind::Mlp},
                                                            {{1, 28, 28}, ModelKind::Cnn},
                                                            {{3, 31, 31}, ModelKind::Cnn},
                                                            {{3, 32, 32}, ModelKind::ResNet},
                                                            {{3, 64, 64}, ModelKind::ResNet},
                                                            {{3, 96, 96}, ModelKind::ResNet},
                                                            {{3, 97, 97}, ModelKind::Cnn},
                                                            {{1, 64, 64}, ModelKind::Cnn}};
    for (const auto& [shape, kind] : cases)
        EXPECT_EQ(resolveModel(ModelKind::Auto, shape), kind) << shape.size() << " " << shape[0];
    for (ModelKind k : {ModelKind::Mlp, ModelKind::Cnn, ModelKind::ResNet, ModelKind::TorchScript})
        EXPECT_EQ(resolveModel(k, Shape{3, 64, 64}), k);
}

// How a run executes, not what it learns: lineage does not count these as changes (README's
// config table says which keys they are). Every operational key is a real key of the schema.
TEST(Config, OperationalKeysAreExactlyTheExecutionSettings) {
    // data.workers decodes on more threads with the same result; data.cache_mb only bounds it;
    // the op profiler only watches; ddp.timeout only bounds a wait (ddp.world_size is not one:
    // it sets the global batch).
    const std::set<std::string> expected{
        "threads",         "checks.enabled",  "log.predictions",
        "checkpoint.keep", "eval_batch_size", "log.grad_norm_every",
        "data.workers",    "data.cache_mb",   "checkpoint.every_steps",
        "profile.steps",   "profile.warmup",  "profile.trace_mb",
        "ddp.timeout"};
    std::set<std::string> operational;
    for (const auto& k : schema())
        if (isOperational(k.key)) operational.insert(k.key);
    EXPECT_EQ(operational, expected);
}
