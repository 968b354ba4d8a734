#pragma once
// The model's cost per layer and the machine's limit, as plain values. Layers come from one
// forward pass of a single sample (engine/model_cost.h records each top-level op's input and
// output shapes); FLOPs from the formulas below, with 1 multiply-add = 2 FLOPs.
//
// Every FLOP counter in the Python world (fvcore, ptflops, DeepSpeed, the profiler's with_flops)
// counts some ops as 0 without saying so, and most skip the backward pass. Here an op is either
// counted by a formula, known to do no arithmetic (a view, a flatten, dropout in evaluation), or
// listed as uncounted by name: never a silent 0.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/profile/profile.h"

namespace runboard::engine::profile {

// Forward FLOPs of one op from its input and output shapes:
//   linear, matmul, mm, addmm, bmm   2 x output elements x the reduced dimension
//   conv1d/2d/3d, convolution        2 x output elements x (input channels / groups x kernel)
//   batch_norm, layer_norm, group_norm   2 per element (scale and shift; evaluation mode)
//   max/avg pooling, adaptive pooling    1 per input element
//   relu, gelu, sigmoid, tanh, silu, add, mul, sub, div, comparisons (and in-place forms)
//                                        1 per element
//   sum, mean, max, min, softmax         1 per input element
//   gru, lstm, rnn (one layer, one direction)   per token 2 x gates x H x (I + H), plus the
//                                        gates' element-wise work (8 H for a GRU, 10 H LSTM)
//   embedding, views, flatten, dropout, copies, indexing, sorting, packing   0: no arithmetic
// Bias additions are not counted, as in fvcore. nullopt: no formula for this op.
std::optional<double> forwardFlops(std::string_view op, const std::vector<Shape>& inputs,
                                   const Shape& output);
// Whether `op` does no arithmetic at all (0 FLOPs by definition, not for want of a formula).
bool noArithmetic(std::string_view op);

std::int64_t elements(const Shape& shape);

// One row of the layer table: a top-level op of the forward pass.
struct Layer {
    std::string name;  // the module that owns its weights ("features.0"), else the op's name
    std::string op;    // aten::conv2d
    Shape output;      // for one sample
    std::int64_t params = 0;
    std::int64_t activationBytes = 0;  // the output's bytes for one sample (fp32)
    std::optional<double> flops;       // forward, one sample; nullopt: no formula
    bool operator==(const Layer&) const = default;
};

struct ModelCost {
    std::vector<Layer> layers;
    std::int64_t params = 0;
    // Per sample, the counted layers only.
    double forwardFlops = 0;
    std::int64_t activationBytes = 0;
    // Ops without a formula, by name, with their calls.
    std::map<std::string, std::int64_t> uncounted;
    // Training costs about forward + backward (≈ 2x forward: gradients of both the inputs and the
    // weights) per sample: an estimate, labelled as such wherever it is shown.
    double trainFlopsEstimate() const { return 3 * forwardFlops; }
};

// Sums the layers and lists the uncounted ops.
ModelCost summarise(std::vector<Layer> layers);

// The machine's matrix-multiply throughput on this LibTorch and thread count (engine/peak.h).
struct MachinePeak {
    int threads = 0;
    double fp32Gflops = 0, bf16Gflops = 0;
    double gflops(bool bf16) const { return bf16 ? bf16Gflops : fp32Gflops; }
};

}  // namespace runboard::engine::profile
