#pragma once
// The config keys that choose among a fixed set, as enums with their one name table each: the
// schema's choices (and so --set's validation and the help text) come from these tables, and the
// engine reads the enum once when a run starts, so no per-step code compares names.

#include "engine/config/config.h"
#include "engine/config/names.h"

namespace runboard::config {

enum class ModelKind { Mlp, Cnn };
inline constexpr auto kModelNames =
    nameTable<ModelKind>({{ModelKind::Mlp, "mlp"}, {ModelKind::Cnn, "cnn"}});

enum class OptimizerKind { Sgd, Adam, AdamW };
inline constexpr auto kOptimizerNames = nameTable<OptimizerKind>(
    {{OptimizerKind::Sgd, "sgd"}, {OptimizerKind::Adam, "adam"}, {OptimizerKind::AdamW, "adamw"}});

enum class ScheduleKind { Constant, Step, Cosine, OneCycle };
inline constexpr auto kScheduleNames =
    nameTable<ScheduleKind>({{ScheduleKind::Constant, "constant"},
                             {ScheduleKind::Step, "step"},
                             {ScheduleKind::Cosine, "cosine"},
                             {ScheduleKind::OneCycle, "onecycle"}});

enum class HeadInit { Default, Small };
inline constexpr auto kHeadInitNames =
    nameTable<HeadInit>({{HeadInit::Default, "default"}, {HeadInit::Small, "small"}});

enum class Precision { Auto, Fp32, Bf16 };
inline constexpr auto kPrecisionNames = nameTable<Precision>(
    {{Precision::Auto, "auto"}, {Precision::Fp32, "fp32"}, {Precision::Bf16, "bf16"}});

// The value of a choice key; the schema admits only the table's names, so a valid config always
// parses (ConfigError otherwise, e.g. a key whose schema lost its choices).
template <typename E, std::size_t N>
E choice(const Config& config, std::string_view key, const NameTable<E, N>& table) {
    const std::string& text = config.text(key);
    if (auto value = table.parse(text)) return *value;
    throw ConfigError("'" + std::string(key) + "' must be one of " + table.joined() + ", got '" +
                      text + "'");
}

}  // namespace runboard::config
