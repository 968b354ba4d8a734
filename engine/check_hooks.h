#pragma once
// Where the checklist's tests plant bugs, without recompiling the engine: the model, its
// initialisation, the training step, the step preparation and the evaluation forward. Each is
// optional; empty means the trainer's own. Include only in Torch translation units.

#include <functional>
#include <memory>

#include "engine/session.h"

namespace runboard::engine {

struct CheckHooks {
    std::function<std::shared_ptr<ClassifierImpl>(const TrainOptions&, int classes)> makeModel;
    std::function<void(ClassifierImpl&)> initModel;
    // The training step at a given learning rate (default: Session::trainStepAt).
    std::function<StepOutput(Session&, const torch::Tensor& x, const torch::Tensor& y, double lr)>
        step;
    // The step preparation before a backward pass (default: Session::prepareStep).
    std::function<void(Session&)> prepare;
    // The forward pass of an evaluation (default: eval() mode, no grad, then back to train()).
    std::function<torch::Tensor(Session&, const torch::Tensor& x)> evalForward;
    // Runs as each training batch is fetched (a planted slow loader for data.bound).
    std::function<void()> fetch;
};

}  // namespace runboard::engine

namespace runboard::engine {

struct Dataset;
// model.layers: the model's weights by name and shape and its buffers, stored with every run
// (Trainer::loadData) and listed by a standalone checklist (runboard check).
CheckResult layersCheck(torch::nn::Module& model, std::string_view kind);
// data.preprocessing on a loaded dataset (runChecks runs it; the tests plant its bugs directly).
CheckResult preprocessingCheck(const Dataset& data);
// A check's result (the checks' one constructor, shared by checks.cpp and dataset_checks.cpp).
CheckResult checkResult(std::string name, CheckStatus status, double value, std::string message);
// Duplicates across parts, class balance and (not for text) the parts' drift, on the tensors.
std::vector<CheckResult> tensorDataChecks(const Dataset& data);

}  // namespace runboard::engine
