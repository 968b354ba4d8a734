#pragma once
// `runboard compare`'s output: analysis::CompareReport as JSON or text.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/analysis/comparison.h"

namespace runboard::app {

// {changed: {key: [a, b]}, metrics: {key: {a, b, delta}}, verdict: {text, delta, ci_low, ci_high,
// p_value, method}, ...}; values absent on a side are null.
nlohmann::json compareToJson(const analysis::CompareReport& report);
std::string compareToText(const analysis::CompareReport& report);

}  // namespace runboard::app
