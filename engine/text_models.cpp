#include "engine/text_models.h"

#include <torch/nn/utils/rnn.h>
#include <torch/torch.h>

#include "engine/errors.h"

namespace runboard::engine {

namespace nn = torch::nn;

torch::Tensor tokenLengths(const torch::Tensor& ids) {
    return ids.ne(0).sum(1).clamp_min(1);
}

TextCnnImpl::TextCnnImpl(const TextCnnOptions& o) : options_(o) {
    if (o.widths().empty()) throw EngineError("TextCnnOptions: no convolution widths");
    embedding_ = register_module(
        "embedding",
        nn::Embedding(nn::EmbeddingOptions(o.vocabSize(), o.embedding()).padding_idx(0)));
    for (std::size_t i = 0; i < o.widths().size(); ++i) {
        const std::int64_t w = o.widths()[i];
        convs_.push_back(register_module(
            "conv" + std::to_string(w),
            nn::Conv1d(nn::Conv1dOptions(o.embedding(), o.filters(), w).padding(w - 1))));
    }
    dropout_ = register_module("dropout", nn::Dropout(o.dropout()));
    head_ = register_module(
        "head",
        nn::Linear(o.filters() * static_cast<std::int64_t>(o.widths().size()), o.classes()));
}

torch::Tensor TextCnnImpl::forward(torch::Tensor x) {
    const torch::Tensor lengths = tokenLengths(x);          // [B]
    const torch::Tensor e = embedding_(x).transpose(1, 2);  // [B, E, T]
    std::vector<torch::Tensor> pooled;
    for (std::size_t i = 0; i < convs_.size(); ++i) {
        const std::int64_t w = options_.widths()[i];
        torch::Tensor c = torch::relu(convs_[i](e));  // [B, F, T + w - 1]
        const auto positions = torch::arange(c.size(2), torch::TensorOptions().dtype(torch::kLong));
        const auto valid = positions.unsqueeze(0).lt((lengths + (w - 1)).unsqueeze(1));  // [B, L]
        c = c.masked_fill(valid.logical_not().unsqueeze(1),
                          -std::numeric_limits<float>::infinity());
        pooled.push_back(std::get<0>(c.max(2)));
    }
    return head_(dropout_(torch::cat(pooled, 1)));
}

GruImpl::GruImpl(const GruOptions& o) {
    embedding_ = register_module(
        "embedding",
        nn::Embedding(nn::EmbeddingOptions(o.vocabSize(), o.embedding()).padding_idx(0)));
    gru_ = register_module("gru",
                           nn::GRU(nn::GRUOptions(o.embedding(), o.hidden()).batch_first(true)));
    dropout_ = register_module("dropout", nn::Dropout(o.dropout()));
    head_ = register_module("head", nn::Linear(2 * o.hidden(), o.classes()));
}

torch::Tensor GruImpl::forward(torch::Tensor x) {
    const torch::Tensor lengths = tokenLengths(x);
    const auto packed = nn::utils::rnn::pack_padded_sequence(embedding_(x), lengths,
                                                             /*batch_first=*/true,
                                                             /*enforce_sorted=*/false);
    const auto [out, unused] = gru_->forward_with_packed_input(packed);
    (void)unused;
    // [B, Tmax, H], Tmax the batch's longest sample: the positions past a row's length are 0.
    const auto [padded, sizes] = nn::utils::rnn::pad_packed_sequence(out, /*batch_first=*/true);
    (void)sizes;
    const auto positions =
        torch::arange(padded.size(1), torch::TensorOptions().dtype(torch::kLong));
    const auto valid = positions.unsqueeze(0).lt(lengths.unsqueeze(1)).unsqueeze(2);  // [B, T, 1]
    const auto mean = padded.sum(1) / lengths.unsqueeze(1).to(padded.scalar_type());
    const auto max = std::get<0>(
        padded.masked_fill(valid.logical_not(), -std::numeric_limits<float>::infinity()).max(1));
    return head_(dropout_(torch::cat({mean, max}, 1)));
}

}  // namespace runboard::engine
