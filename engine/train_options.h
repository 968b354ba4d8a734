#pragma once
// The config, parsed once at the engine's boundary into typed options (LibTorch's option-struct
// style): the engine reads fields and enums, never keys, and each key's name appears once, in
// train_options.cpp. A check that trains with label smoothing off, or a planted bug's model,
// changes a field of a copy instead of a string in a config. Torch-free.

#include <cstdint>
#include <span>
#include <string>

#include "engine/config/choices.h"
#include "engine/config/config.h"
#include "engine/schedule.h"

namespace runboard::engine {

struct DataOptions {
    config::DataSource source = config::DataSource::FashionMnist;
    std::string dir = "/usr/share/datasets/fashion-mnist";  // fashion-mnist and folder
    std::string path;                                       // csv
    std::string label;                                      // csv; empty: the last column
    config::MissingPolicy missing = config::MissingPolicy::Refuse;
    std::int64_t valSize = 5000;  // fashion-mnist: a count
    double valShare = 0.1;        // csv and folder: a share of the training part
    double testShare = 0.2;       // csv and folder without their own test part
    std::uint64_t splitSeed = 42;
    std::int64_t limit = 0;  // first N of the train part; 0 = all
    int imageSize = 0;       // folder; 0: from the images
    config::Channels channels = config::Channels::Auto;
    std::int64_t cacheMb = 2048;
    int workers = 0;  // 0: every core
    // text: the text column (data.path) or a folder of .txt files (data.dir), the tokens, the
    // vocabulary's size and minimum count, the tokens kept a sample, length-grouped batches.
    std::string text;
    config::TokenKind tokens = config::TokenKind::Word;
    std::int64_t vocabSize = 20000, minFreq = 1, maxLen = 256;
    bool bucketing = true;
};

struct AugmentOptions {
    bool flip = false;
    int shift = 0;         // pixels
    double erase = 0;      // probability per image
    float background = 0;  // value of an empty pixel (after normalization)
    bool enabled() const { return flip || shift > 0 || erase > 0; }
};

struct ModelOptions {
    config::ModelKind kind = config::ModelKind::Cnn;
    std::string path;  // model = torchscript: the scripted module's file
    double dropout = 0;
    config::HeadInit head = config::HeadInit::Default;
    std::int64_t vocabSize = 0;  // text models: known once the data is loaded (Trainer sets it)
};

struct OptimizerOptions {
    config::OptimizerKind kind = config::OptimizerKind::Sgd;
    double lr = 0.1;
    double momentum = 0;  // Adam's beta1
    double weightDecay = 0;
    bool nesterov = false;
};

struct TrainOptions {
    ModelOptions model;
    OptimizerOptions optimizer;
    // Everything but the run's length in steps, which comes from the data (Session sets it).
    ScheduleOptions schedule;
    DataOptions data;
    AugmentOptions augment;
    config::Precision precision = config::Precision::Auto;
    int epochs = 1;
    std::int64_t batchSize = 128;
    std::int64_t evalBatchSize = 1000;
    std::uint64_t seed = 1;
    int threads = 0;  // 0: OMP_NUM_THREADS or every core
    double labelSmoothing = 0;
    std::int64_t gradNormEvery = 10;  // 0: never
    std::int64_t checkpointKeep = 3;
    std::int64_t checkpointEverySteps = 0;  // 0: by time (Trainer::kCheckpointSeconds)
    bool logPredictions = true;
    // The op profiler's window (0 steps: none), after `profileWarmup` steps of this process.
    std::int64_t profileSteps = 0, profileWarmup = 5, profileTraceMb = 100;
    // Data-parallel: processes in the job (1: none) and how long any of them waits for the
    // others before the run fails (Gloo's own default is 30 minutes).
    int worldSize = 1;
    double ddpTimeoutSeconds = 60;

    // Validates the config first (config::ConfigError names the key).
    static TrainOptions fromConfig(const config::Config& config);
};

// model = auto becomes the model the data's sample shape calls for (config::resolveModel), in the
// options and in the config that the checklist reads and the run records, so that every view
// names the model that trained. Any other model is left as it is.
void resolveModel(TrainOptions& options, config::Config& config,
                  std::span<const std::int64_t> sampleShape);

}  // namespace runboard::engine
