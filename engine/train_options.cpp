#include "engine/train_options.h"

namespace runboard::engine {

TrainOptions TrainOptions::fromConfig(const config::Config& c) {
    c.validate();
    TrainOptions o;
    o.model.kind = config::choice(c, "model", config::kModelNames);
    o.model.path = c.text("model.path");
    o.model.dropout = c.number("dropout");
    o.model.head = config::choice(c, "init.head", config::kHeadInitNames);

    o.optimizer.kind = config::choice(c, "optimizer", config::kOptimizerNames);
    o.optimizer.lr = c.number("lr");
    o.optimizer.momentum = c.number("momentum");
    o.optimizer.weightDecay = c.number("weight_decay");
    o.optimizer.nesterov = c.flag("nesterov");

    ScheduleOptions& s = o.schedule;
    s.kind = config::choice(c, "schedule", config::kScheduleNames);
    s.lr = o.optimizer.lr;
    s.stepSize = c.integer("steplr.step_size");
    s.gamma = c.number("steplr.gamma");
    s.pctStart = c.number("onecycle.pct_start");
    s.divFactor = c.number("onecycle.div_factor");
    s.finalDivFactor = c.number("onecycle.final_div_factor");
    s.minWarmupSteps = c.integer("warmup_steps");
    // PyTorch cycles momentum only when the optimizer has one.
    s.cycleMomentum = o.optimizer.kind != config::OptimizerKind::Sgd || o.optimizer.momentum > 0;

    o.data.source = config::choice(c, "data.source", config::kDataSourceNames);
    o.data.text = c.text("data.text");
    o.data.tokens = config::choice(c, "data.tokens", config::kTokenNames);
    o.data.vocabSize = c.integer("data.vocab_size");
    o.data.minFreq = c.integer("data.min_freq");
    o.data.maxLen = c.integer("data.max_len");
    o.data.bucketing = c.flag("data.bucketing");
    o.data.dir = c.text("data.dir");
    o.data.path = c.text("data.path");
    o.data.label = c.text("data.label");
    o.data.missing = config::choice(c, "data.missing", config::kMissingNames);
    o.data.valSize = c.integer("data.val_size");
    o.data.valShare = c.number("data.val_share");
    o.data.testShare = c.number("data.test_size");
    o.data.imageSize = static_cast<int>(c.integer("data.image_size"));
    o.data.channels = config::choice(c, "data.channels", config::kChannelsNames);
    o.data.cacheMb = c.integer("data.cache_mb");
    o.data.workers = static_cast<int>(c.integer("data.workers"));
    o.data.splitSeed = static_cast<std::uint64_t>(c.integer("data.split_seed"));
    o.data.limit = c.integer("data.limit");

    o.augment.flip = c.flag("augment.flip");
    o.augment.shift = static_cast<int>(c.integer("augment.shift"));
    o.augment.erase = c.number("augment.erase");

    o.precision = config::choice(c, "precision", config::kPrecisionNames);
    o.epochs = static_cast<int>(c.integer("epochs"));
    o.batchSize = c.integer("batch_size");
    o.evalBatchSize = c.integer("eval_batch_size");
    o.seed = static_cast<std::uint64_t>(c.integer("seed"));
    o.threads = static_cast<int>(c.integer("threads"));
    o.labelSmoothing = c.number("label_smoothing");
    o.gradNormEvery = c.integer("log.grad_norm_every");
    o.checkpointKeep = c.integer("checkpoint.keep");
    o.checkpointEverySteps = c.integer("checkpoint.every_steps");
    o.logPredictions = c.flag("log.predictions");
    o.profileSteps = c.integer("profile.steps");
    o.worldSize = static_cast<int>(c.integer("ddp.world_size"));
    o.ddpTimeoutSeconds = c.number("ddp.timeout");
    o.profileWarmup = c.integer("profile.warmup");
    o.profileTraceMb = c.integer("profile.trace_mb");
    return o;
}

void resolveModel(TrainOptions& options, config::Config& config,
                  std::span<const std::int64_t> sampleShape) {
    // Text: the textcnn, the faster of the two text models (the gru reads every token in turn).
    if (options.data.source == config::DataSource::Text &&
        options.model.kind == config::ModelKind::Auto)
        options.model.kind = config::ModelKind::TextCnn;
    options.model.kind = config::resolveModel(options.model.kind, sampleShape);
    config.set("model", std::string(config::kModelNames.name(options.model.kind)));
}

}  // namespace runboard::engine
