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
// ending in 2x2 max pooling; then dropout and a linear head. Above 32 px the last map is
// average-pooled to kCnnHeadGrid x kCnnHeadGrid first, so the head stays 2,048 inputs wide. On
// 600 images of a Fashion-MNIST folder at 64 px, the whole 8x8 map (8,192 inputs) took the
// default recipe's training loss to 11.0 in its second epoch and test accuracy to 0.31; pooled,
// 1.76 and 0.58. At 28 and 32 px nothing changes.
inline constexpr std::int64_t kCnnHeadGrid = 4;
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

// A small residual network for colour images of 32-96 px, CIFAR's ResNet-14: a 3x3 stem, then
// three stages of two basic blocks (two 3x3 conv -> BatchNorm with the input added back, a 1x1
// projection where the shape changes; 16, 32 and 64 channels), each stage after the first
// halving the size; global average pooling, dropout and a linear head. 175k weights for any
// image size. 32-64-128 channels were 4x the compute (2.3 s a step of 128 at 28 px on one core
// here). Images of 64 px and more get a stride-2 stem, a quarter of the compute.
struct ResNetOptions {
    TORCH_ARG(std::int64_t, inChannels) = 3;
    TORCH_ARG(std::int64_t, imageSize) = 32;
    TORCH_ARG(std::vector<std::int64_t>, channels) = std::vector<std::int64_t>{16, 32, 64};
    TORCH_ARG(std::int64_t, blocksPerStage) = 2;
    TORCH_ARG(std::int64_t, classes) = 10;
    TORCH_ARG(double, dropout) = 0.1;
};

class ResNetImpl : public ClassifierImpl {
public:
    explicit ResNetImpl(const ResNetOptions& options = {});
    torch::Tensor forward(torch::Tensor x) override;
    torch::Tensor headWeight() override { return head_->weight; }
    torch::Tensor headBias() override { return head_->bias; }

private:
    torch::nn::Sequential stem_{nullptr};
    std::vector<std::shared_ptr<torch::nn::Module>> blocks_;
    torch::nn::Dropout dropout_{nullptr};
    torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(ResNet);

// The shape of one sample: {C, H, W} for images, {F} for a table's encoded features.
using SampleShape = std::vector<std::int64_t>;
inline const SampleShape kFashionMnistShape{1, 28, 28};

// A built-in model sized for the data: the mlp takes any sample shape (flattened), the cnn and
// the resnet square images of at least 8 px. Throws DataError for a shape the model cannot take.
// Text models (textcnn, gru) need `vocabSize` (the dataset's vocabulary) and text data.
std::shared_ptr<ClassifierImpl> makeModel(config::ModelKind kind, std::int64_t classes,
                                          double dropout,
                                          const SampleShape& shape = kFashionMnistShape,
                                          std::int64_t vocabSize = 0);
// The model `path` names for model = torchscript (see engine/scripted_model.h), else as above.
std::shared_ptr<ClassifierImpl> makeModel(config::ModelKind kind, const std::string& path,
                                          std::int64_t classes, double dropout,
                                          const SampleShape& shape, std::int64_t vocabSize = 0);

}  // namespace runboard::engine
