#pragma once
// The per-layer cost table of any model the trainer trains, built-in or TorchScript: one forward
// pass of a single sample in evaluation mode, with a thread-local RecordFunction callback that
// sees each top-level op (those the model's own code calls, not what they call inside) with its
// inputs and outputs. An op's weights are matched to the model's parameters by their storage, so
// a row is named after the module that owns them. The FLOPs are engine/profile/cost.h's formulas.
// The model's state is left as it was: its mode, its weights and every RNG.

#include "engine/models.h"
#include "engine/profile/cost.h"

namespace runboard::engine {

// `shape`: one sample's, or for a text model ({T} with `tokens`) a sample of T token ids (the
// training part's mean length: FLOPs grow with it). Throws EngineError when the forward pass fails.
profile::ModelCost measureModelCost(ClassifierImpl& model, const SampleShape& shape,
                                    bool tokens = false);

}  // namespace runboard::engine
