#pragma once
// model = torchscript: a module scripted in Python (torch.jit.script(model).save(path)) trained
// by the engine like a built-in one: its parameters and buffers are registered with this
// nn::Module under their own names ('.' becomes '_'), so the optimizer, weight decay, gradient
// checks and checkpoints see them, and train()/eval() reach the scripted module. Measured here: a
// scripted CNN trains at native speed. TorchScript is deprecated upstream in favour of
// torch.export, so only this file knows it: the engine sees a ClassifierImpl.

#include <string>

#include "engine/models.h"

namespace runboard::engine {

// Loads the module and checks it before any training: it loads, it runs a batch of two samples
// of `shape` and outputs [2, classes], and it has trainable parameters. Each failure is a
// DataError that names the file and the problem.
// `vocabSize` > 0: the data is text, and the module is probed with token ids.
std::shared_ptr<ClassifierImpl> loadScriptedModel(const std::string& path, std::int64_t classes,
                                                  const SampleShape& shape,
                                                  std::int64_t vocabSize = 0);

// Saves a model from loadScriptedModel, with its trained weights, as a TorchScript file that
// torch.jit.load reads (throws OutputError); false for any other model.
bool saveScriptedModel(ClassifierImpl& model, const std::string& path);

}  // namespace runboard::engine
