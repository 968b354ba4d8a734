// The text models: padding never changes a prediction (the same sample alone, in a batch padded
// to a longer sample, and padded far beyond, gives the same logits within 1e-6), and both learn
// a task that needs the whole sequence (is token 5 anywhere in it?).

#include "engine/text_models.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>

using namespace runboard::engine;

namespace {

// Token ids in [2, vocab) (0 is <pad>, 1 <unk>) for each length, padded to `width`.
torch::Tensor padded(const std::vector<std::vector<std::int64_t>>& samples, std::int64_t width) {
    auto out = torch::zeros({static_cast<std::int64_t>(samples.size()), width}, torch::kLong);
    for (std::size_t i = 0; i < samples.size(); ++i)
        for (std::size_t t = 0; t < samples[i].size(); ++t)
            out[static_cast<std::int64_t>(i)][static_cast<std::int64_t>(t)] = samples[i][t];
    return out;
}

std::vector<std::vector<std::int64_t>> randomSamples(std::int64_t vocab, std::mt19937& gen) {
    std::vector<std::vector<std::int64_t>> samples;
    for (std::int64_t length : {1, 2, 5, 17, 40}) {
        std::vector<std::int64_t> s;
        for (std::int64_t t = 0; t < length; ++t)
            s.push_back(std::uniform_int_distribution<std::int64_t>(2, vocab - 1)(gen));
        samples.push_back(s);
    }
    return samples;
}

void expectPaddingInvariant(ClassifierImpl& model, std::int64_t vocab) {
    torch::manual_seed(3);
    std::mt19937 gen(5);
    const auto samples = randomSamples(vocab, gen);
    model.eval();
    torch::NoGradGuard noGrad;
    const auto together = model.forward(padded(samples, 40));
    const auto far = model.forward(padded(samples, 123));
    EXPECT_LT((together - far).abs().max().item<double>(), 1e-6);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const auto alone =
            model.forward(padded({samples[i]}, static_cast<std::int64_t>(samples[i].size())));
        EXPECT_LT((alone[0] - together[static_cast<std::int64_t>(i)]).abs().max().item<double>(),
                  1e-6)
            << "sample of length " << samples[i].size();
    }
}

template <class Model>
double learnsWhetherTokenFiveAppears(Model& model) {
    torch::manual_seed(1);
    std::mt19937 gen(9);
    torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(3e-3));
    model->train();
    double last = 0;
    for (int step = 0; step < 150; ++step) {
        std::vector<std::vector<std::int64_t>> batch;
        std::vector<std::int64_t> labels;
        for (int i = 0; i < 32; ++i) {
            const auto length = std::uniform_int_distribution<std::int64_t>(3, 30)(gen);
            std::vector<std::int64_t> s;
            for (std::int64_t t = 0; t < length; ++t)
                s.push_back(std::uniform_int_distribution<std::int64_t>(6, 49)(gen));
            const bool five = i % 2 == 0;
            if (five)
                s[static_cast<std::size_t>(
                    std::uniform_int_distribution<std::int64_t>(0, length - 1)(gen))] = 5;
            batch.push_back(s);
            labels.push_back(five ? 1 : 0);
        }
        const auto loss =
            torch::cross_entropy_loss(model->forward(padded(batch, 30)), torch::tensor(labels));
        opt.zero_grad();
        loss.backward();
        opt.step();
        last = loss.template item<double>();
    }
    return last;
}

}  // namespace

TEST(TextModels, PaddingNeverChangesATextCnnPrediction) {
    TextCnn model(TextCnnOptions().vocabSize(50).classes(3));
    expectPaddingInvariant(*model, 50);
}

TEST(TextModels, PaddingNeverChangesAGruPrediction) {
    Gru model(GruOptions().vocabSize(50).classes(3).hidden(32));
    expectPaddingInvariant(*model, 50);
}

TEST(TextModels, BothLearnATaskThatNeedsTheWholeSequence) {
    TextCnn cnn(TextCnnOptions().vocabSize(50).classes(2).filters(16));
    EXPECT_LT(learnsWhetherTokenFiveAppears(cnn), 0.2);
    Gru gru(GruOptions().vocabSize(50).classes(2).hidden(32));
    EXPECT_LT(learnsWhetherTokenFiveAppears(gru), 0.2);
}
