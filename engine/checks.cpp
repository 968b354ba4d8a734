#include "engine/checks.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <optional>

#include "engine/check_hooks.h"
#include "engine/data/sample_images.h"
#include "engine/dataset.h"
#include "engine/errors.h"
#include "engine/profile/profile.h"
#include "engine/runtime.h"
#include "engine/torch_errors.h"

namespace runboard::engine {

CheckResult checkResult(std::string name, CheckStatus status, double value, std::string message) {
    CheckResult r;
    r.name = std::move(name);
    r.status = status;
    r.value = value;
    r.message = std::move(message);
    return r;
}

namespace {

using Clock = std::chrono::steady_clock;

// The checks' shared setup: the data, the hooks and a fresh model as the trainer makes it.
struct Bench {
    const TrainOptions& options;
    const CheckHooks& hooks;
    const Dataset& data;
    std::int64_t stepsPerEpoch = 1;

    Session session(const TrainOptions& o) const {
        auto model = hooks.makeModel
                         ? hooks.makeModel(o, data.numClasses)
                         : makeModel(o.model.kind, o.model.path, data.numClasses, o.model.dropout,
                                     data.sampleShape, o.model.vocabSize);
        if (hooks.initModel) hooks.initModel(*model);
        return Session(o, std::move(model), stepsPerEpoch);
    }
    void prepare(Session& s) const { hooks.prepare ? hooks.prepare(s) : s.prepareStep(); }
};

std::vector<CheckResult> dataChecks(const DataOptions& o) {
    const IdxArray trainImages = readIdx(idxImagesPath(o.dir, FilePart::Train), 3);
    const IdxArray trainLabels = readIdx(idxLabelsPath(o.dir, FilePart::Train), 1);
    const IdxArray testImages = readIdx(idxImagesPath(o.dir, FilePart::Test), 3);
    const IdxArray testLabels = readIdx(idxLabelsPath(o.dir, FilePart::Test), 1);
    const SampleArray trainFile = SampleArray::idx(trainImages, trainLabels);
    const SampleArray testFile = SampleArray::idx(testImages, testLabels);
    SplitView train{"train", &trainFile, {}};
    SplitView val{"val", &trainFile, {}};
    SplitView test{"test", &testFile, {}};
    splitIndices(trainImages.dims[0], o.valSize, o.splitSeed, train.indices, val.indices);
    if (o.limit > 0 && o.limit < static_cast<std::int64_t>(train.indices.size()))
        train.indices.resize(static_cast<std::size_t>(o.limit));
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(testImages.dims[0]); ++i)
        test.indices.push_back(i);
    const int classes = static_cast<int>(fashionMnistClassNames().size());
    std::vector<CheckResult> out;
    std::vector<SplitStats> stats;
    for (const SplitView* s : {&train, &val, &test})
        if (!s->indices.empty()) stats.push_back(splitStats(*s, classes));
    if (!val.indices.empty()) out.push_back(leakageCheck(train, val));
    out.push_back(leakageCheck(train, test));
    out.push_back(balanceCheck(stats));
    out.push_back(statsCheck(stats));
    return out;
}

CheckResult initialLossCheck(const Bench& b, const torch::Tensor& x, const torch::Tensor& y) {
    Session s = b.session(b.options);
    torch::NoGradGuard noGrad;
    s.model().train();  // as the first step sees it
    const double loss = torch::nn::functional::cross_entropy(s.forward(x), y).item<double>();
    const double lnK = std::log(static_cast<double>(b.data.numClasses));
    const double ratio = loss / lnK;
    CheckStatus status = CheckStatus::Pass;
    if (!std::isfinite(ratio) || ratio > 3 || ratio < 1.0 / 3)
        status = CheckStatus::Fail;
    else if (std::abs(ratio - 1) > 0.5)
        status = CheckStatus::Warn;
    std::string message =
        fmt::format("initial loss {:.3f} against ln K = {:.3f} ({:.2f}x)", loss, lnK, ratio);
    if (status != CheckStatus::Pass)
        message +=
            ": the last layer starts too confident; init.head=small (zero bias, small "
            "weights) starts at ln K. Or the loss or labels are wired wrong";
    return checkResult("init.loss", status, loss, message);
}

CheckResult overfitCheck(const Bench& b, const ChecksOptions& o, const torch::Tensor& x,
                         const torch::Tensor& y) {
    // Label smoothing and dropout off: one batch must be learnt exactly.
    TrainOptions exact = b.options;
    exact.labelSmoothing = 0;
    exact.model.dropout = 0;
    Session s = b.session(exact);
    s.model().train();
    const double lr = exact.optimizer.lr;
    std::vector<torch::Tensor> before;
    for (const auto& p : s.model().parameters())
        before.push_back(p.detach().clone());
    double first = 0, last = 0;
    std::int64_t correct = 0;
    const auto n = x.size(0);
    for (int k = 0; k < o.overfitSteps; ++k) {
        if (o.stop && o.stop->load()) break;
        const StepOutput out = b.hooks.step ? b.hooks.step(s, x, y, lr) : s.trainStepAt(x, y, lr);
        if (k == 0) first = out.loss;
        last = out.loss;
        correct = out.correct;
        if (!out.finite)
            return checkResult(
                "overfit.one_batch", CheckStatus::Fail, out.loss,
                fmt::format("the loss became non-finite at step {} of one batch: the "
                            "learning rate ({:.3g}) is far too large",
                            k + 1, lr));
        if (correct == n && last < 0.05 * first)
            return checkResult(
                "overfit.one_batch", CheckStatus::Pass, last,
                fmt::format("one batch of {} learnt in {} steps: 100% accuracy, loss {:.4f} "
                            "(from {:.3f})",
                            n, k + 1, last, first));
    }
    bool moved = false;
    const auto params = s.model().parameters();
    for (std::size_t i = 0; i < params.size(); ++i)
        moved = moved || !torch::equal(params[i].detach(), before[i]);
    std::string message = fmt::format(
        "after {} steps on one batch: accuracy {:.1f}%, loss {:.3f} ({:.0f}% of its "
        "start). ",
        o.overfitSteps, 100.0 * static_cast<double>(correct) / static_cast<double>(n), last,
        first > 0 ? 100 * last / first : 0);
    message += moved ? "Likely causes: the learning rate (too large or too small), or the loss "
                       "or label wiring"
                     : "No parameter changed: the optimizer does not hold the model's "
                       "parameters, or they are frozen";
    return checkResult("overfit.one_batch", CheckStatus::Fail, last, message);
}

std::vector<torch::Tensor> runningStats(ClassifierImpl& model) {
    std::vector<torch::Tensor> out;
    for (const auto& b : model.named_buffers())
        if (b.key().find("running_") != std::string::npos) out.push_back(b.value().clone());
    return out;
}

bool sameTensors(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!torch::equal(a[i], b[i])) return false;
    return true;
}

CheckResult modesCheck(const Bench& b, const torch::Tensor& x) {
    Session s = b.session(b.options);
    const auto evalForward = [&](const torch::Tensor& in) {
        if (b.hooks.evalForward) return b.hooks.evalForward(s, in);
        s.model().eval();
        torch::NoGradGuard noGrad;
        torch::Tensor out = s.forward(in);
        s.model().train();
        return out;
    };
    const auto stats0 = runningStats(s.model());
    const torch::Tensor a = evalForward(x), c = evalForward(x);
    const auto stats1 = runningStats(s.model());
    const double diff = (a - c).abs().max().item<double>();
    if (diff != 0 || !sameTensors(stats0, stats1))
        return checkResult(
            "modes.train_eval", CheckStatus::Fail, diff,
            fmt::format("evaluation is not deterministic (outputs differ by up to {:.3g}) or "
                        "changed BatchNorm's running statistics: evaluate in eval() mode",
                        diff));
    if (stats0.empty())
        return checkResult("modes.train_eval", CheckStatus::Pass, 0,
                           "evaluation is deterministic; the model has no BatchNorm");
    {
        torch::NoGradGuard noGrad;
        s.model().train();
        (void)s.forward(x);
    }
    if (sameTensors(stats1, runningStats(s.model())))
        return checkResult(
            "modes.train_eval", CheckStatus::Fail, 0,
            "in train() mode BatchNorm's running statistics did not change: training "
            "runs in eval() mode (call model.train())");
    return checkResult(
        "modes.train_eval", CheckStatus::Pass, 0,
        "eval() gives identical outputs and leaves BatchNorm alone; train() updates it");
}

std::vector<CheckResult> gradientChecks(const Bench& b, const torch::Tensor& x,
                                        const torch::Tensor& y) {
    Session s = b.session(b.options);
    s.model().train();
    const auto backward = [&] {
        torch::manual_seed(7);  // the same dropout mask each time
        b.prepare(s);
        s.criterion(s.forward(x), y).backward();
    };
    backward();
    CheckResult flow;
    flow.name = "gradients.flow";
    std::vector<torch::Tensor> first;
    int dead = 0, nonFinite = 0;
    for (const auto& p : s.model().named_parameters()) {
        if (!p.value().requires_grad()) continue;
        const torch::Tensor g = p.value().grad();
        if (!g.defined() || g.abs().sum().item<double>() == 0) {
            ++dead;
            flow.details.push_back(p.key() + ": no gradient");
        } else if (!torch::isfinite(g).all().item<bool>()) {
            ++nonFinite;
            flow.details.push_back(p.key() + ": non-finite gradient");
        }
        first.push_back(g.defined() ? g.clone() : torch::Tensor());
    }
    flow.value = dead + nonFinite;
    if (dead + nonFinite == 0) {
        flow.message = fmt::format("all {} trainable parameters get a finite, non-zero gradient",
                                   first.size());
    } else {
        flow.status = CheckStatus::Fail;
        flow.message = fmt::format(
            "{} parameters get no gradient and {} a non-finite one: an "
            "unused layer, a detached branch, or a bias right before BatchNorm "
            "(see details)",
            dead, nonFinite);
    }
    // A second backward on the same batch after the trainer's own step preparation must give
    // the same gradients: if they add up, zero_grad is missing.
    backward();
    double worst = 0;
    std::size_t i = 0;
    for (const auto& p : s.model().parameters()) {
        if (!p.requires_grad()) continue;
        const torch::Tensor& g1 = first[i++];
        const torch::Tensor g2 = p.grad();
        if (!g1.defined() || !g2.defined()) continue;
        const double scale = g1.abs().max().item<double>() + 1e-12;
        worst = std::max(worst, (g2 - g1).abs().max().item<double>() / scale);
    }
    CheckResult acc =
        worst <= 1e-3
            ? checkResult("gradients.accumulation", CheckStatus::Pass, worst,
                          "a second backward pass after the step preparation gives the "
                          "same gradients: zero_grad is called")
            : checkResult("gradients.accumulation", CheckStatus::Fail, worst,
                          fmt::format("gradients of a second backward pass differ by {:.2f} of "
                                      "their size: they accumulate; call zero_grad before "
                                      "every step",
                                      worst));
    return {flow, acc};
}

CheckResult dataBoundCheck(const Bench& b, Session& s, TrainBatches& batches) {
    double waiting = 0, computing = 0;
    const std::int64_t steps = std::min<std::int64_t>(8, batches.stepsPerEpoch());
    for (std::int64_t k = 0; k < steps; ++k) {
        const auto t0 = Clock::now();
        auto [x, y] = batches.get(k);
        const auto t1 = Clock::now();
        (void)s.trainStep(x, y);
        const auto t2 = Clock::now();
        if (k == 0) continue;  // warm-up
        waiting += std::chrono::duration<double>(t1 - t0).count();
        computing += std::chrono::duration<double>(t2 - t1).count();
    }
    (void)b;
    const double share = waiting + computing > 0 ? waiting / (waiting + computing) : 0;
    return share > profile::kDataBoundShare
               ? checkResult("data.bound", CheckStatus::Warn, share,
                             profile::dataBoundAdvice(share))
               : checkResult("data.bound", CheckStatus::Pass, share,
                             fmt::format("{:.0f}% of each step waits for data", 100 * share));
}

}  // namespace

// model.layers: the model's weights by name and shape (named_parameters, as a TorchScript module
// names them too) and its buffers, stored with the run so its architecture can be read later.
CheckResult layersCheck(torch::nn::Module& model, std::string_view kind) {
    CheckResult r;
    r.name = "model.layers";
    std::int64_t trainable = 0, frozen = 0;
    for (const auto& p : model.named_parameters()) {
        (p.value().requires_grad() ? trainable : frozen) += p.value().numel();
        r.details.push_back(fmt::format("{} [{}] {}{}", p.key(), fmt::join(p.value().sizes(), ", "),
                                        p.value().numel(),
                                        p.value().requires_grad() ? "" : " (frozen)"));
    }
    std::int64_t buffers = 0;
    for (const auto& b : model.named_buffers())
        buffers += b.value().numel();
    r.value = static_cast<double>(trainable);
    r.message =
        fmt::format("{}: {} trainable weights in {} tensors{}{}", kind, trainable, r.details.size(),
                    frozen > 0 ? fmt::format(", {} frozen", frozen) : "",
                    buffers > 0 ? fmt::format(", {} buffer values (BatchNorm)", buffers) : "");
    if (r.details.size() > 400) {  // a model of thousands of tensors: the first 400
        r.details.resize(400);
        r.details.push_back("...");
    }
    return r;
}

std::vector<CheckResult> runChecks(const config::Config& config, const ChecksOptions& options) try {
    TrainOptions train = TrainOptions::fromConfig(config);  // validates
    static const CheckHooks none;
    const CheckHooks& hooks = options.hooks ? *options.hooks : none;
    (void)configureRuntime(train.threads);
    const bool idx = train.data.source == config::DataSource::FashionMnist;
    std::vector<CheckResult> out = idx ? dataChecks(train.data) : std::vector<CheckResult>{};
    std::optional<Dataset> loaded;
    if (options.data == nullptr) {  // standalone (runboard check): the model as a run reports it
        loaded = loadDataset(train.data);
    }
    const Dataset& data = options.data != nullptr ? *options.data : *loaded;
    config::Config resolved = config;  // model = auto: the model a run would train
    resolveModel(train, resolved, data.sampleShape);
    train.model.vocabSize = static_cast<std::int64_t>(data.vocabulary.size());
    if (loaded) {  // standalone (runboard check): the model as a run reports it
        const auto model =
            makeModel(train.model.kind, train.model.path, loaded->numClasses, train.model.dropout,
                      loaded->sampleShape, train.model.vocabSize);
        loaded->loadChecks.push_back(
            layersCheck(*model, config::kModelNames.name(train.model.kind)));
    }
    out.insert(out.end(), data.loadChecks.begin(), data.loadChecks.end());
    if (!idx)
        for (auto& r : tensorDataChecks(data))
            out.push_back(std::move(r));
    out.push_back(preprocessingCheck(data));
    torch::manual_seed(train.seed);
    std::mt19937_64 rng(train.seed);
    TrainBatches batches(data, train, rng);
    if (options.hooks != nullptr) batches.setFetchHook(options.hooks->fetch);
    batches.shuffle();
    Bench b{train, hooks, data, batches.stepsPerEpoch()};
    // Bucketed text puts the longest batch first (a memory error shows at step 1); the checks
    // time and overfit a typical one instead (the longest made them about 4x slower).
    auto [x, y] = batches.get(data.text ? batches.stepsPerEpoch() / 2 : 0);
    out.push_back(initialLossCheck(b, x, y));
    const std::int64_t n = std::min<std::int64_t>(options.overfitBatch, x.size(0));
    out.push_back(overfitCheck(b, options, x.slice(0, 0, n), y.slice(0, 0, n)));
    out.push_back(modesCheck(b, x));
    for (auto& r : gradientChecks(b, x, y))
        out.push_back(std::move(r));
    Session s = b.session(train);
    s.model().train();
    out.push_back(dataBoundCheck(b, s, batches));
    return out;
} catch (const c10::Error& e) {
    throw EngineError(torchErrorMessage("the pre-flight checklist", e));
}

CheckResult flatLossCheck(const std::vector<double>& losses) {
    const std::size_t n = losses.size();
    if (n < 20)
        return checkResult("training.flat_loss", CheckStatus::Pass, 0, "too few steps to tell");
    double first = 0, last = 0;
    for (std::size_t i = 0; i < 10; ++i) {
        first += losses[i] / 10;
        last += losses[n - 10 + i] / 10;
    }
    const double drop = first != 0 ? (first - last) / std::abs(first) : 0;
    if (!std::isfinite(drop) || drop < 0.01)
        return checkResult(
            "training.flat_loss", CheckStatus::Warn, drop,
            fmt::format("the loss is flat over the first {} steps ({:.4f}, then {:.4f}): the "
                        "learning rate may be too small, or nothing learns",
                        n, first, last));
    return checkResult(
        "training.flat_loss", CheckStatus::Pass, drop,
        fmt::format("the loss fell by {:.0f}% over the first {} steps", 100 * drop, n));
}

CheckResult learnedCheck(double accuracy, std::int64_t samples, int numClasses,
                         const std::vector<double>& losses) {
    const char* name = "training.learned";
    if (numClasses < 2 || samples <= 0 || !std::isfinite(accuracy))
        return checkResult(name, CheckStatus::Pass, accuracy, "no validation accuracy to judge");
    const double chance = 1.0 / numClasses;
    const double sigma = std::sqrt(chance * (1 - chance) / static_cast<double>(samples));
    const double lnK = std::log(static_cast<double>(numClasses));
    // A validation part too small to tell learning from luck (3 standard errors of a guess cover
    // a quarter of the way from chance to perfect: 12 rows of 3 classes) only warns.
    if (accuracy < chance + 3 * sigma && accuracy > chance && 3 * sigma > (1 - chance) / 4)
        return checkResult(
            name, CheckStatus::Warn, accuracy,
            fmt::format("validation accuracy {:.1f}% is above chance ({:.1f}%), but {} "
                        "validation samples are too few to tell it from a guess; hold "
                        "out more to judge",
                        100 * accuracy, 100 * chance, samples));
    if (accuracy < chance + 3 * sigma)
        return checkResult(
            name, CheckStatus::Fail, accuracy,
            fmt::format(
                "validation accuracy {:.1f}% is not above chance ({:.1f}% for {} classes) by 3 "
                "standard errors: "
                "the model learned nothing usable; try a lower learning rate, more "
                "steps or a longer warm-up",
                100 * accuracy, 100 * chance, numClasses));
    double mean = 0;
    for (double l : losses)
        mean += l / static_cast<double>(losses.size());
    if (!losses.empty() && !(mean < lnK))
        return checkResult(
            name, CheckStatus::Warn, accuracy,
            fmt::format("the training loss stayed at {:.2f} after warm-up, above ln K = {:.2f} "
                        "(a uniform guess): the learning rate is too high for this run's "
                        "length, or it diverged",
                        mean, lnK));
    if (accuracy < 2 * chance)
        return checkResult(
            name, CheckStatus::Warn, accuracy,
            fmt::format("validation accuracy {:.1f}% is barely above chance ({:.1f}%)",
                        100 * accuracy, 100 * chance));
    return checkResult(name, CheckStatus::Pass, accuracy,
                       fmt::format("validation accuracy {:.1f}% against {:.1f}% by chance",
                                   100 * accuracy, 100 * chance));
}

std::int64_t afterWarmupStep(const ScheduleOptions& s, std::int64_t totalSteps) {
    std::int64_t warm = s.minWarmupSteps;
    if (s.kind == config::ScheduleKind::OneCycle)
        warm = std::max(warm, static_cast<std::int64_t>(
                                  std::ceil(s.pctStart * static_cast<double>(totalSteps))));
    if (totalSteps - warm < 10) warm = totalSteps / 2;
    return warm;
}

bool anyFailed(const std::vector<CheckResult>& results) {
    return std::any_of(results.begin(), results.end(),
                       [](const CheckResult& r) { return r.status == CheckStatus::Fail; });
}

}  // namespace runboard::engine
