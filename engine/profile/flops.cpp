#include <algorithm>
#include <array>

#include "engine/profile/cost.h"

namespace runboard::engine::profile {

namespace {

// "aten::relu_" -> "relu": the in-place form costs what the plain one does.
std::string_view baseName(std::string_view op) {
    if (op.starts_with("aten::")) op.remove_prefix(6);
    if (op.size() > 1 && op.back() == '_' && op[op.size() - 2] != '_') op.remove_suffix(1);
    return op;
}

template <std::size_t N>
bool among(std::string_view name, const std::array<std::string_view, N>& names) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

constexpr std::array<std::string_view, 45> kNoArithmetic{"view",
                                                         "reshape",
                                                         "flatten",
                                                         "dropout",
                                                         "feature_dropout",
                                                         "alpha_dropout",
                                                         "contiguous",
                                                         "t",
                                                         "transpose",
                                                         "permute",
                                                         "squeeze",
                                                         "unsqueeze",
                                                         "expand",
                                                         "slice",
                                                         "select",
                                                         "narrow",
                                                         "embedding",
                                                         "to",
                                                         "_to_copy",
                                                         "copy",
                                                         "clone",
                                                         "detach",
                                                         "cat",
                                                         "stack",
                                                         "empty",
                                                         "zeros",
                                                         "ones",
                                                         "identity",
                                                         "as_strided",
                                                         "_reshape_alias",
                                                         "empty_like",
                                                         "zeros_like",
                                                         "full",
                                                         "arange",
                                                         "index",
                                                         "index_select",
                                                         "gather",
                                                         "scatter",
                                                         "masked_fill",
                                                         "where",
                                                         "sort",
                                                         "item",
                                                         "_pack_padded_sequence",
                                                         "_pad_packed_sequence",
                                                         "constant_pad_nd"};
constexpr std::array<std::string_view, 9> kMatmul{"linear",  "matmul", "mm", "addmm",  "bmm",
                                                  "baddbmm", "addmv",  "mv", "_linear"};
constexpr std::array<std::string_view, 6> kConv{
    "conv1d", "conv2d", "conv3d", "convolution", "_convolution", "mkldnn_convolution"};
constexpr std::array<std::string_view, 5> kNorm{"batch_norm", "layer_norm", "group_norm",
                                                "instance_norm", "native_batch_norm"};
constexpr std::array<std::string_view, 11> kPool{"max_pool1d",          "max_pool2d",
                                                 "max_pool3d",          "avg_pool1d",
                                                 "avg_pool2d",          "avg_pool3d",
                                                 "adaptive_avg_pool1d", "adaptive_avg_pool2d",
                                                 "adaptive_max_pool2d", "max_pool2d_with_indices",
                                                 "_adaptive_avg_pool2d"};
// Reductions: one per input element.
constexpr std::array<std::string_view, 9> kReduce{
    "sum", "mean", "max", "min", "amax", "amin", "softmax", "log_softmax", "_log_softmax"};
constexpr std::array<std::string_view, 31> kElementwise{
    "relu",      "relu6",     "gelu", "sigmoid", "tanh", "silu", "hardtanh",   "leaky_relu",
    "elu",       "hardswish", "add",  "mul",     "sub",  "div",  "threshold",  "neg",
    "exp",       "log",       "sqrt", "rsqrt",   "abs",  "pow",  "clamp",      "clamp_min",
    "clamp_max", "ne",        "eq",   "lt",      "gt",   "le",   "logical_not"};

}  // namespace

std::int64_t elements(const Shape& shape) {
    std::int64_t n = 1;
    for (std::int64_t d : shape)
        n *= d;
    return n;
}

bool noArithmetic(std::string_view op) {
    return among(baseName(op), kNoArithmetic);
}

std::optional<double> forwardFlops(std::string_view op, const std::vector<Shape>& inputs,
                                   const Shape& output) {
    const std::string_view name = baseName(op);
    const auto out = static_cast<double>(elements(output));
    if (among(name, kNoArithmetic)) return 0.0;
    if (among(name, kMatmul)) {
        // addmm(bias, a, b) and baddbmm(bias, a, b): the matrix is the second input.
        const std::size_t a = name == "addmm" || name == "baddbmm" || name == "addmv" ? 1 : 0;
        if (inputs.size() <= a || inputs[a].empty()) return std::nullopt;
        return 2 * out * static_cast<double>(inputs[a].back());
    }
    if (among(name, kConv)) {
        // The weight [out channels, in channels / groups, k...]: per output element, one
        // multiply-add for each of its other elements.
        if (inputs.size() < 2 || inputs[1].size() < 3 || inputs[1][0] == 0) return std::nullopt;
        const auto perOutput = static_cast<double>(elements(inputs[1]) / inputs[1][0]);
        return 2 * out * perOutput;
    }
    if (among(name, kNorm)) return 2 * out;
    if (among(name, kPool)) {
        if (inputs.empty()) return std::nullopt;
        return static_cast<double>(elements(inputs[0]));
    }
    if (among(name, kElementwise)) return out;
    if (among(name, kReduce)) {
        if (inputs.empty()) return std::nullopt;
        return static_cast<double>(elements(inputs[0]));
    }
    if (name == "gru" || name == "lstm" || name == "rnn_tanh" || name == "rnn_relu") {
        // One layer, one direction: per token, each gate's input and hidden products
        // (G x H x (I + H) multiply-adds) and the gates' element-wise work (about 8 per hidden
        // unit for a GRU, 10 for an LSTM, 1 for a plain RNN). The output [tokens, H] (packed) or
        // [B, T, H] gives the tokens; the input the width I.
        if (inputs.empty() || inputs[0].empty() || output.empty() || output.back() == 0)
            return std::nullopt;
        const auto h = static_cast<double>(output.back());
        const auto in = static_cast<double>(inputs[0].back());
        const double tokens = out / h;
        const double gates = name == "gru" ? 3 : name == "lstm" ? 4 : 1;
        const double pointwise = name == "gru" ? 8 : name == "lstm" ? 10 : 1;
        return tokens * (2 * gates * h * (in + h) + pointwise * h);
    }
    return std::nullopt;
}

ModelCost summarise(std::vector<Layer> layers) {
    ModelCost cost;
    for (const Layer& l : layers) {
        cost.params += l.params;
        cost.activationBytes += l.activationBytes;
        if (l.flops)
            cost.forwardFlops += *l.flops;
        else
            ++cost.uncounted[l.op];
    }
    cost.layers = std::move(layers);
    return cost;
}

}  // namespace runboard::engine::profile
