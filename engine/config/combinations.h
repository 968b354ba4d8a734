#pragma once
// The rules no key can state alone: keys that only make sense together (a csv source needs its
// file and a model that takes table rows; a folder source needs its folder; a TorchScript model
// needs its file). Config::problems() adds them after the per-key checks.

#include <string>
#include <vector>

#include "engine/config/config.h"

namespace runboard::config {

std::vector<std::string> combinationProblems(const Config& config);

}  // namespace runboard::config
