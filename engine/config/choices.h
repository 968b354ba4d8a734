#pragma once
// The config keys that choose among a fixed set, as enums with their one name table each: the
// schema's choices (and so --set's validation and the help text) come from these tables, and the
// engine reads the enum once when a run starts, so no per-step code compares names.

#include <cstdint>
#include <span>

#include "engine/config/config.h"
#include "engine/config/names.h"

namespace runboard::config {

enum class ModelKind { Auto, Mlp, Cnn, ResNet, TorchScript, TextCnn, Gru };
inline constexpr auto kModelNames = nameTable<ModelKind>({{ModelKind::Auto, "auto"},
                                                          {ModelKind::Mlp, "mlp"},
                                                          {ModelKind::Cnn, "cnn"},
                                                          {ModelKind::ResNet, "resnet"},
                                                          {ModelKind::TorchScript, "torchscript"},
                                                          {ModelKind::TextCnn, "textcnn"},
                                                          {ModelKind::Gru, "gru"}});
// The models that read token ids (data.source = text), and only they.
inline bool isTextModel(ModelKind kind) {
    return kind == ModelKind::TextCnn || kind == ModelKind::Gru;
}

// model = auto, once the data's sample shape ({C, H, W} for images, {F} for a table's features)
// is known: the mlp for table rows; the resnet for colour images of 32-96 px, where its stride-2
// stem and three stages fit (its 175k weights do not grow with the size); the cnn otherwise,
// which is Fashion-MNIST's recipe (28 px gray) and the cheaper model for small or gray images.
// Any other choice is returned as it is.
inline ModelKind resolveModel(ModelKind kind, std::span<const std::int64_t> shape) {
    if (kind != ModelKind::Auto) return kind;
    if (shape.size() != 3) return ModelKind::Mlp;
    const bool colour = shape[0] == 3, fits = shape[1] >= 32 && shape[1] <= 96;
    return colour && fits ? ModelKind::ResNet : ModelKind::Cnn;
}

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

// Where the samples come from: the IDX files (the built-in demo), a CSV table, a folder of
// images with one sub-folder per class (torchvision's ImageFolder convention), or text (a CSV or
// TSV with a text column, or a folder of class sub-folders of .txt files).
enum class DataSource { FashionMnist, Csv, Folder, Text };
inline constexpr auto kDataSourceNames =
    nameTable<DataSource>({{DataSource::FashionMnist, "fashion-mnist"},
                           {DataSource::Csv, "csv"},
                           {DataSource::Folder, "folder"},
                           {DataSource::Text, "text"}});

// Text's tokens: words (lower-cased runs of letters and digits, punctuation apart) or characters.
enum class TokenKind { Word, Char };
inline constexpr auto kTokenNames =
    nameTable<TokenKind>({{TokenKind::Word, "word"}, {TokenKind::Char, "char"}});

// What a missing cell of a CSV table does: stop with the first rows named, or take the training
// part's mean (numeric) or no category (text).
enum class MissingPolicy { Refuse, Mean };
inline constexpr auto kMissingNames =
    nameTable<MissingPolicy>({{MissingPolicy::Refuse, "refuse"}, {MissingPolicy::Mean, "mean"}});

// An image folder's channels: 1 when every image is grayscale, else 3; or forced.
enum class Channels { Auto, Gray, Rgb };
inline constexpr auto kChannelsNames =
    nameTable<Channels>({{Channels::Auto, "auto"}, {Channels::Gray, "1"}, {Channels::Rgb, "3"}});

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
