#pragma once
// Text classifiers (issue 16) in LibTorch's style: option structs, `Impl` modules and
// TORCH_MODULE holders. Both take int64 token ids [B, T] padded with 0 (<pad>, which no token
// of the text ever maps to: text spelling "<pad>" is <unk>), read each sample's length from its
// non-pad ids, and never let padding change a prediction: the same sample padded to any length
// gives the same logits (tested within 1e-6).

#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/rnn.h>

#include <vector>

#include "engine/models.h"

namespace runboard::engine {

// Kim's TextCNN: an embedding, 1-D convolutions of a few widths, each output maxed over time,
// dropout and a linear head. The convolutions pad (width - 1) on both sides and the max runs over
// the positions whose window touches the sample (t < length + width - 1): an embedding of <pad>
// is zero, so those windows see the same numbers however far the batch is padded.
struct TextCnnOptions {
    TORCH_ARG(std::int64_t, vocabSize) = 2;
    TORCH_ARG(std::int64_t, embedding) = 64;
    TORCH_ARG(std::vector<std::int64_t>, widths) = std::vector<std::int64_t>{3, 4, 5};
    TORCH_ARG(std::int64_t, filters) = 64;
    TORCH_ARG(std::int64_t, classes) = 2;
    TORCH_ARG(double, dropout) = 0.1;
};

class TextCnnImpl : public ClassifierImpl {
public:
    explicit TextCnnImpl(const TextCnnOptions& options = {});
    torch::Tensor forward(torch::Tensor x) override;
    torch::Tensor headWeight() override { return head_->weight; }
    torch::Tensor headBias() override { return head_->bias; }

private:
    TextCnnOptions options_;
    torch::nn::Embedding embedding_{nullptr};
    std::vector<torch::nn::Conv1d> convs_;
    torch::nn::Dropout dropout_{nullptr};
    torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(TextCnn);

// An embedding, a GRU over the packed sequences (pads never enter it), the mean and the max of
// its outputs over each sample's valid positions, concatenated, dropout and a linear head.
struct GruOptions {
    TORCH_ARG(std::int64_t, vocabSize) = 2;
    TORCH_ARG(std::int64_t, embedding) = 64;
    TORCH_ARG(std::int64_t, hidden) = 128;
    TORCH_ARG(std::int64_t, classes) = 2;
    TORCH_ARG(double, dropout) = 0.1;
};

class GruImpl : public ClassifierImpl {
public:
    explicit GruImpl(const GruOptions& options = {});
    torch::Tensor forward(torch::Tensor x) override;
    torch::Tensor headWeight() override { return head_->weight; }
    torch::Tensor headBias() override { return head_->bias; }

private:
    torch::nn::Embedding embedding_{nullptr};
    torch::nn::GRU gru_{nullptr};
    torch::nn::Dropout dropout_{nullptr};
    torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(Gru);

// Each row's tokens before its padding: the count of non-zero ids, at least 1.
torch::Tensor tokenLengths(const torch::Tensor& ids);

}  // namespace runboard::engine
