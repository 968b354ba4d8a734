#include "engine/models.h"

#include <torch/torch.h>

#include "engine/errors.h"
#include "engine/scripted_model.h"
#include "engine/text_models.h"

namespace runboard::engine {

namespace nn = torch::nn;

MlpImpl::MlpImpl(const MlpOptions& o) {
    body_ = nn::Sequential(nn::Flatten());
    std::int64_t in = o.inputs();
    for (std::int64_t h : o.hidden()) {
        body_->push_back(nn::Linear(in, h));
        body_->push_back(nn::ReLU(nn::ReLUOptions().inplace(true)));
        if (o.dropout() > 0) body_->push_back(nn::Dropout(o.dropout()));
        in = h;
    }
    register_module("body", body_);
    head_ = register_module("head", nn::Linear(in, o.classes()));
}

torch::Tensor MlpImpl::forward(torch::Tensor x) {
    return head_(body_->forward(x));
}

CnnImpl::CnnImpl(const CnnOptions& o) {
    if (o.channels().size() != o.convsPerStage().size())
        throw EngineError("CnnOptions: channels and convsPerStage differ in length");
    features_ = nn::Sequential();
    std::int64_t in = o.inChannels(), size = o.imageSize();
    for (std::size_t s = 0; s < o.channels().size(); ++s) {
        for (std::int64_t c = 0; c < o.convsPerStage()[s]; ++c) {
            const std::int64_t out = o.channels()[s];
            features_->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
            features_->push_back(nn::BatchNorm2d(out));
            features_->push_back(nn::ReLU(nn::ReLUOptions().inplace(true)));
            in = out;
        }
        features_->push_back(nn::MaxPool2d(2));
        size /= 2;
    }
    if (size > kCnnHeadGrid) {  // see CnnOptions: images above 32 px
        features_->push_back(nn::AdaptiveAvgPool2d(kCnnHeadGrid));
        size = kCnnHeadGrid;
    }
    features_->push_back(nn::Flatten());
    register_module("features", features_);
    dropout_ = register_module("dropout", nn::Dropout(o.dropout()));
    head_ = register_module("head", nn::Linear(in * size * size, o.classes()));
}

torch::Tensor CnnImpl::forward(torch::Tensor x) {
    return head_(dropout_(features_->forward(x)));
}

namespace {

// conv3x3 -> BN -> ReLU -> conv3x3 -> BN, plus the input (projected by a strided 1x1 conv and BN
// where the channels or the size change), then ReLU.
class BasicBlockImpl : public nn::Module {
public:
    BasicBlockImpl(std::int64_t in, std::int64_t out, std::int64_t stride) {
        body_ = register_module(
            "body",
            nn::Sequential(
                nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)),
                nn::BatchNorm2d(out), nn::ReLU(nn::ReLUOptions().inplace(true)),
                nn::Conv2d(nn::Conv2dOptions(out, out, 3).padding(1).bias(false)),
                nn::BatchNorm2d(out)));
        if (stride != 1 || in != out)
            shortcut_ = register_module(
                "shortcut",
                nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)),
                               nn::BatchNorm2d(out)));
    }
    torch::Tensor forward(const torch::Tensor& x) {
        const torch::Tensor identity = shortcut_ ? shortcut_->forward(x) : x;
        return torch::relu(body_->forward(x) + identity);
    }

private:
    nn::Sequential body_{nullptr}, shortcut_{nullptr};
};
TORCH_MODULE(BasicBlock);

}  // namespace

ResNetImpl::ResNetImpl(const ResNetOptions& o) {
    const std::int64_t width = o.channels().front();
    const std::int64_t stemStride = o.imageSize() >= 64 ? 2 : 1;
    stem_ = register_module(
        "stem", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(o.inChannels(), width, 3)
                                              .stride(stemStride)
                                              .padding(1)
                                              .bias(false)),
                               nn::BatchNorm2d(width), nn::ReLU(nn::ReLUOptions().inplace(true))));
    std::int64_t in = width;
    for (std::size_t s = 0; s < o.channels().size(); ++s)
        for (std::int64_t b = 0; b < o.blocksPerStage(); ++b) {
            const std::int64_t out = o.channels()[s];
            const std::int64_t stride = (s > 0 && b == 0) ? 2 : 1;
            blocks_.push_back(
                register_module("stage" + std::to_string(s + 1) + "_block" + std::to_string(b + 1),
                                BasicBlock(in, out, stride).ptr()));
            in = out;
        }
    dropout_ = register_module("dropout", nn::Dropout(o.dropout()));
    head_ = register_module("head", nn::Linear(in, o.classes()));
}

torch::Tensor ResNetImpl::forward(torch::Tensor x) {
    x = stem_->forward(x);
    for (const auto& block : blocks_)
        x = std::static_pointer_cast<BasicBlockImpl>(block)->forward(x);
    x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
    return head_(dropout_(x));
}

std::shared_ptr<ClassifierImpl> makeModel(config::ModelKind kind, std::int64_t classes,
                                          double dropout, const SampleShape& shape,
                                          std::int64_t vocabSize) {
    if (config::isTextModel(kind)) {
        if (vocabSize < 3)
            throw DataError("model = " + std::string(config::kModelNames.name(kind)) +
                            " reads text: set data.source = text");
        if (kind == config::ModelKind::Gru)
            return std::make_shared<GruImpl>(
                GruOptions().vocabSize(vocabSize).classes(classes).dropout(dropout));
        return std::make_shared<TextCnnImpl>(
            TextCnnOptions().vocabSize(vocabSize).classes(classes).dropout(dropout));
    }
    if (vocabSize > 0)
        throw DataError("model = " + std::string(config::kModelNames.name(kind)) +
                        " cannot read text: use model = textcnn or gru (or auto)");
    std::int64_t inputs = 1;
    for (std::int64_t d : shape)
        inputs *= d;
    const bool automatic = kind == config::ModelKind::Auto;
    kind = config::resolveModel(kind, shape);
    switch (kind) {
        case config::ModelKind::Auto:  // resolved above
        case config::ModelKind::Mlp:
            return std::make_shared<MlpImpl>(
                MlpOptions().inputs(inputs).classes(classes).dropout(dropout));
        case config::ModelKind::TorchScript:
            throw EngineError("model = torchscript needs model.path");
        case config::ModelKind::Cnn:
        case config::ModelKind::ResNet:
        case config::ModelKind::TextCnn:  // above
        case config::ModelKind::Gru:
            break;
    }
    // Three halvings: below 8 px the last stage would pool nothing.
    const std::string name = automatic
                                 ? "auto (" + std::string(config::kModelNames.name(kind)) + ")"
                                 : std::string(config::kModelNames.name(kind));
    if (shape.size() != 3 || shape[1] != shape[2] || shape[1] < 8)
        throw DataError(shape.size() != 3
                            ? "model = " + name +
                                  " needs images, and this dataset's samples are rows of " +
                                  std::to_string(inputs) + " features: use model = mlp"
                            : "model = " + name + " needs square images of at least 8 px, got " +
                                  std::to_string(shape[1]) + "x" + std::to_string(shape[2]));
    if (kind == config::ModelKind::ResNet)
        return std::make_shared<ResNetImpl>(
            ResNetOptions().inChannels(shape[0]).imageSize(shape[1]).classes(classes).dropout(
                dropout));
    return std::make_shared<CnnImpl>(
        CnnOptions().inChannels(shape[0]).imageSize(shape[1]).classes(classes).dropout(dropout));
}

std::shared_ptr<ClassifierImpl> makeModel(config::ModelKind kind, const std::string& path,
                                          std::int64_t classes, double dropout,
                                          const SampleShape& shape, std::int64_t vocabSize) {
    if (kind == config::ModelKind::TorchScript)
        return loadScriptedModel(path, classes, shape, vocabSize);
    return makeModel(kind, classes, dropout, shape, vocabSize);
}

}  // namespace runboard::engine
