#pragma once
// Classifiers in LibTorch's own style: option structs, `Impl` modules and TORCH_MODULE holders.

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/config/choices.h"

namespace runboard::engine {

// The common interface of every model the trainer can train: the built-in ones below and a
// TorchScript module (engine/scripted_model.h).
class ClassifierImpl : public torch::nn::Module {
public:
    virtual torch::Tensor forward(torch::Tensor x) = 0;
    // The final linear layer's weight [K, F] and bias [K] (the checks and last-layer
    // initialisation use them); undefined when the model has none it can name.
    virtual torch::Tensor headWeight() = 0;
    virtual torch::Tensor headBias() = 0;
    // K, the number of outputs.
    virtual std::int64_t classes() { return headWeight().size(0); }
};

struct MlpOptions {
    TORCH_ARG(std::int64_t, inputs) = 784;
    TORCH_ARG(std::vector<std::int64_t>, hidden) = std::vector<std::int64_t>{512, 256};
    TORCH_ARG(std::int64_t, classes) = 10;
    TORCH_ARG(double, dropout) = 0.1;
};

class MlpImpl : public ClassifierImpl {
public:
    explicit MlpImpl(const MlpOptions& options = {});
    torch::Tensor forward(torch::Tensor x) override;
    torch::Tensor headWeight() override { return head_->weight; }
    torch::Tensor headBias() override { return head_->bias; }

private:
    torch::nn::Sequential body_{nullptr};
    torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(Mlp);

// Stages of 3x3 conv -> BatchNorm -> ReLU (convs without bias: BatchNorm has one), each stage
// ending in 2x2 max pooling; then dropout and a linear head.
struct CnnOptions {
    TORCH_ARG(std::int64_t, inChannels) = 1;
    TORCH_ARG(std::int64_t, imageSize) = 28;
    TORCH_ARG(std::vector<std::int64_t>, channels) = std::vector<std::int64_t>{32, 64, 128};
    TORCH_ARG(std::vector<std::int64_t>, convsPerStage) = std::vector<std::int64_t>{2, 2, 1};
    TORCH_ARG(std::int64_t, classes) = 10;
    TORCH_ARG(double, dropout) = 0.1;
};

class CnnImpl : public ClassifierImpl {
public:
    explicit CnnImpl(const CnnOptions& options = {});
    torch::Tensor forward(torch::Tensor x) override;
    torch::Tensor headWeight() override { return head_->weight; }
    torch::Tensor headBias() override { return head_->bias; }

private:
    torch::nn::Sequential features_{nullptr};
    torch::nn::Dropout dropout_{nullptr};
    torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(Cnn);

// The shape of one sample: {C, H, W} for images, {F} for a table's encoded features.
using SampleShape = std::vector<std::int64_t>;
inline const SampleShape kFashionMnistShape{1, 28, 28};

// A built-in model sized for the data: the mlp takes any sample shape (flattened), the cnn
// square images of at least 8 px. Throws DataError for a shape the model cannot take.
std::shared_ptr<ClassifierImpl> makeModel(config::ModelKind kind, std::int64_t classes,
                                          double dropout,
                                          const SampleShape& shape = kFashionMnistShape);
// The model `path` names for model = torchscript (see engine/scripted_model.h), else as above.
std::shared_ptr<ClassifierImpl> makeModel(config::ModelKind kind, const std::string& path,
                                          std::int64_t classes, double dropout,
                                          const SampleShape& shape);

}  // namespace runboard::engine
