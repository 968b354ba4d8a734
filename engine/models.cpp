#include "engine/models.h"

#include <torch/torch.h>

#include "engine/errors.h"
#include "engine/scripted_model.h"

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
    features_->push_back(nn::Flatten());
    register_module("features", features_);
    dropout_ = register_module("dropout", nn::Dropout(o.dropout()));
    head_ = register_module("head", nn::Linear(in * size * size, o.classes()));
}

torch::Tensor CnnImpl::forward(torch::Tensor x) {
    return head_(dropout_(features_->forward(x)));
}

std::shared_ptr<ClassifierImpl> makeModel(config::ModelKind kind, std::int64_t classes,
                                          double dropout, const SampleShape& shape) {
    std::int64_t inputs = 1;
    for (std::int64_t d : shape)
        inputs *= d;
    switch (kind) {
        case config::ModelKind::Mlp:
            return std::make_shared<MlpImpl>(
                MlpOptions().inputs(inputs).classes(classes).dropout(dropout));
        case config::ModelKind::TorchScript:
            throw EngineError("model = torchscript needs model.path");
        case config::ModelKind::Cnn:
            break;
    }
    // Three 2x2 poolings: below 8 px the last stage would pool nothing.
    if (shape.size() != 3 || shape[1] != shape[2] || shape[1] < 8)
        throw DataError(shape.size() != 3
                            ? "model = cnn needs images, and this dataset's samples are rows of " +
                                  std::to_string(inputs) + " features: use model = mlp"
                            : "model = cnn needs square images of at least 8 px, got " +
                                  std::to_string(shape[1]) + "x" + std::to_string(shape[2]));
    return std::make_shared<CnnImpl>(
        CnnOptions().inChannels(shape[0]).imageSize(shape[1]).classes(classes).dropout(dropout));
}

std::shared_ptr<ClassifierImpl> makeModel(config::ModelKind kind, const std::string& path,
                                          std::int64_t classes, double dropout,
                                          const SampleShape& shape) {
    if (kind == config::ModelKind::TorchScript) return loadScriptedModel(path, classes, shape);
    return makeModel(kind, classes, dropout, shape);
}

}  // namespace runboard::engine
