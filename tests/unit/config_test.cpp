// The config schema: parsing files and --set, typo protection, type and range checks.

#include "engine/config/config.h"

#include <gtest/gtest.h>

using namespace runboard::config;

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
    EXPECT_NE(e.find("valid keys: model, optimizer"), std::string::npos) << e;
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
             {"model=resnet", "unknown model 'resnet' (choose one of: mlp, cnn)"},
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
