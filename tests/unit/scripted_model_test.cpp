// model = torchscript: a CNN scripted by python3-torch trains in the engine (its parameters reach
// the optimizer and change; it learns the fake Fashion-MNIST bars), BatchNorm follows train() and
// eval(), the saved model.pt reloads with identical outputs, and every bad module is refused
// before training with a message that names the file and the problem.

#include "engine/scripted_model.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "engine/errors.h"
#include "engine/trainer.h"
#include "support/fixtures.h"

using namespace runboard;
using namespace runboard::engine;
namespace fs = std::filesystem;

namespace {

// The modules of tests/support/scripted_models.py, written once per test into dir.
bool writeModels(const fs::path& dir) {
    const std::string cmd =
        "/usr/bin/python3 '" + std::string(SCRIPTED_MODELS_PY) + "' '" + dir.string() + "' 1 10";
    return std::system(cmd.c_str()) == 0 && fs::exists(dir / "good.pt");
}

std::string dataErrorOf(const std::string& path) {
    try {
        (void)loadScriptedModel(path, 10, {1, 28, 28});
    } catch (const DataError& e) {
        return e.what();
    }
    return "(no DataError)";
}

struct Nothing : Observer {};

}  // namespace

TEST(ScriptedModel, TrainsSwitchesModesAndSavesAModelThatReloadsIdentically) {
    test::TempDir dir;
    ASSERT_TRUE(writeModels(dir.path())) << "python3-torch could not script the test models";
    const std::string good = dir.file("good.pt");
    auto model = loadScriptedModel(good, 10, {1, 28, 28});
    EXPECT_EQ(model->classes(), 10);
    ASSERT_TRUE(model->headWeight().defined());  // head.weight, for init.head=small
    EXPECT_EQ(model->headWeight().sizes(), (std::vector<std::int64_t>{10, 512}));
    // Every scripted parameter is registered; BatchNorm's statistics are buffers.
    EXPECT_EQ(model->parameters().size(), torch::jit::load(good).parameters().size());
    const auto x = torch::randn({8, 1, 28, 28});
    torch::Tensor mean;
    for (const auto& b : model->named_buffers())
        if (b.key().ends_with("running_mean")) mean = b.value();
    ASSERT_TRUE(mean.defined());
    const auto before = mean.clone();
    model->eval();
    (void)model->forward(x);
    EXPECT_TRUE(torch::equal(mean, before)) << "eval() must leave BatchNorm's statistics alone";
    model->train();
    (void)model->forward(x);
    EXPECT_FALSE(torch::equal(mean, before)) << "train() must update them";

    // A short run through the trainer: it learns, and model.pt is the trained module.
    fs::create_directories(dir.path() / "data");
    test::writeFakeFashionMnist(dir.path() / "data", 600, 200);
    config::Config c = test::tinyConfig(dir.path() / "data");
    c.set("model", std::string("torchscript"));
    c.set("model.path", good);
    c.set("epochs", std::int64_t{4});
    c.set("warmup_steps", std::int64_t{5});
    Trainer trainer(c, {dir.file("ck"), nullptr});
    Nothing nothing;
    const RunResult r = trainer.run(nothing);
    EXPECT_EQ(r.outcome, Outcome::Finished) << r.message;
    EXPECT_GE(r.testAccuracy, 0.5) << "the bars are easy";
    ASSERT_TRUE(fs::exists(dir.path() / "ck/model.pt"));
    auto trained = torch::jit::load(dir.file("ck/model.pt"));
    auto original = torch::jit::load(good);
    trained.eval();
    original.eval();
    const auto y = trained.forward({x}).toTensor();
    EXPECT_FALSE(torch::allclose(y, original.forward({x}).toTensor())) << "the weights changed";
    // Reloaded through the engine, the same outputs bit for bit.
    auto again = loadScriptedModel(dir.file("ck/model.pt"), 10, {1, 28, 28});
    again->eval();
    EXPECT_TRUE(torch::equal(again->forward(x), y));
}

TEST(ScriptedModel, BadModulesAreRefusedInWords) {
    test::TempDir dir;
    ASSERT_TRUE(writeModels(dir.path()));
    test::writeFile(dir.file("text.pt"), "not a model\n");
    EXPECT_NE(dataErrorOf(dir.file("text.pt")).find("is not a TorchScript module"),
              std::string::npos);
    EXPECT_NE(dataErrorOf(dir.file("missing.pt")).find("is not a TorchScript module"),
              std::string::npos);
    EXPECT_NE(dataErrorOf(dir.file("wrong_k.pt"))
                  .find("outputs [2, 13] in eval() mode for a batch of shape [2, 1, 28, 28]; this "
                        "dataset has 10 classes"),
              std::string::npos);
    EXPECT_NE(dataErrorOf(dir.file("frozen.pt")).find("has no trainable parameters"),
              std::string::npos);
    const std::string channels = dataErrorOf(dir.file("channels.pt"));
    EXPECT_NE(channels.find("on a batch of shape [2, 1, 28, 28]"), std::string::npos);
    EXPECT_NE(channels.find("RuntimeError: "), std::string::npos) << channels;
    EXPECT_NE(dataErrorOf(dir.file("pair.pt")).find("returns a Tuple in eval() mode"),
              std::string::npos);
    EXPECT_NE(dataErrorOf(dir.file("intout.pt")).find("Long values: logits must be floating"),
              std::string::npos);
    EXPECT_NE(dataErrorOf(dir.file("trainshape.pt")).find("in train() mode"), std::string::npos);
    // Traced at a batch of 2: refused before any run, in words that say why.
    const std::string traced = dataErrorOf(dir.file("traced2.pt"));
    EXPECT_NE(traced.find("batch of shape [3, 1, 28, 28]"), std::string::npos) << traced;
    EXPECT_NE(traced.find("torch.jit.script"), std::string::npos) << traced;
}

// Tied weights are one parameter (stepped once), and a module's own "a_weight" beside "a.weight"
// keeps both.
// A module that passes the load test and fails in the loss mid-run: the run's error is
// LibTorch's one line, not its C++ backtrace (a review stored 4,176 characters of it).
TEST(ScriptedModel, AnErrorInsideLibTorchIsOneLineWithoutItsBacktrace) {
    test::TempDir dir;
    ASSERT_TRUE(writeModels(dir.path()));
    fs::create_directories(dir.path() / "data");
    test::writeFakeFashionMnist(dir.path() / "data", 200, 50);
    config::Config c = test::tinyConfig(dir.path() / "data");
    c.set("model", std::string("torchscript"));
    c.set("model.path", dir.file("narrow.pt"));
    c.set("checks.enabled", false);
    Trainer trainer(c, {dir.file("ck"), nullptr});
    Nothing nothing;
    try {
        (void)trainer.run(nothing);
        ADD_FAILURE() << "a 9-wide output for 10 classes trained";
    } catch (const EngineError& e) {
        const std::string what = e.what();
        EXPECT_EQ(what.rfind("training failed in LibTorch: ", 0), 0u) << what;
        EXPECT_NE(what.find("out of bounds"), std::string::npos) << what;
        EXPECT_EQ(what.find("Exception raised from"), std::string::npos) << what;
        EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
}

TEST(ScriptedModel, TiedAndCollidingParametersAreRegisteredOnceEach) {
    test::TempDir dir;
    ASSERT_TRUE(writeModels(dir.path()));
    auto tied = loadScriptedModel(dir.file("tied.pt"), 10, {1, 28, 28});
    const auto script = torch::jit::load(dir.file("tied.pt"));
    std::set<const void*> unique;
    for (const auto& p : script.parameters())
        unique.insert(p.unsafeGetTensorImpl());
    EXPECT_EQ(tied->parameters().size(), unique.size());
    EXPECT_LT(unique.size(), script.parameters().size()) << "the fixture ties two weights";
    auto collide = loadScriptedModel(dir.file("collide.pt"), 10, {1, 28, 28});
    EXPECT_EQ(collide->parameters().size(),
              torch::jit::load(dir.file("collide.pt")).parameters().size());
}

// Text: a module is probed with token ids (int64, below the vocabulary's size) at two lengths,
// since each batch is cut to its longest text; an image module on text is refused in those words,
// and so is a text module whose embedding is smaller than the vocabulary.
TEST(ScriptedModel, ATextModuleIsProbedWithTokenIdsOfVaryingLength) {
    test::TempDir dir;
    ASSERT_TRUE(writeModels(dir.path()));
    auto text = loadScriptedModel(dir.file("text.pt"), 10, {64}, 500);
    const auto out = text->forward(torch::randint(0, 500, {4, 17}, torch::kLong));
    EXPECT_EQ(out.sizes(), (std::vector<std::int64_t>{4, 10}));
    const auto refusal = [&](const std::string& file, std::int64_t vocab) {
        try {
            (void)loadScriptedModel(dir.file(file), 10, {64}, vocab);
        } catch (const DataError& e) {
            return std::string(e.what());
        }
        return std::string("(no DataError)");
    };
    const std::string image = refusal("good.pt", 500);
    EXPECT_NE(image.find("int64 token ids below 500"), std::string::npos) << image;
    EXPECT_NE(image.find("[2, 64]"), std::string::npos) << image;
    const std::string small = refusal("text.pt", 5000);  // its embedding holds 4096
    EXPECT_NE(small.find("token ids below 5000"), std::string::npos) << small;
}
