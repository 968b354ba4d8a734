#include "engine/scripted_model.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <set>
#include <sstream>

#include "engine/errors.h"
#include "engine/torch_errors.h"

namespace runboard::engine {
namespace {

std::string shapeText(c10::IntArrayRef sizes) {
    std::ostringstream out;
    out << '[';
    for (std::size_t i = 0; i < sizes.size(); ++i)
        out << (i ? ", " : "") << sizes[i];
    out << ']';
    return out.str();
}

std::string registeredName(const std::string& dotted) {
    std::string name = dotted;
    for (char& c : name)
        if (c == '.') c = '_';
    return name;
}

class ScriptedClassifierImpl : public ClassifierImpl {
public:
    ScriptedClassifierImpl(torch::jit::Module module, std::int64_t classes, std::string path)
        : module_(std::move(module)), classes_(classes), path_(std::move(path)) {
        // A tensor shared by two submodules (tied weights) is registered once, or the optimizer
        // would step it twice.
        std::set<const void*> seen;
        for (const auto& p : module_.named_parameters(/*recurse=*/true)) {
            if (!seen.insert(p.value.unsafeGetTensorImpl()).second) continue;
            register_parameter(uniqueName(p.name), p.value, p.value.requires_grad());
            // The last 2-D weight and its bias: the head, for init.head and the checks.
            if (p.value.dim() == 2 && p.name.ends_with("weight")) {
                headWeight_ = p.value;
                headBias_ = torch::Tensor();
                headPrefix_ = p.name.substr(0, p.name.size() - 6);
            } else if (p.value.dim() == 1 && !headPrefix_.empty() &&
                       p.name == headPrefix_ + "bias") {
                headBias_ = p.value;
            }
        }
        for (const auto& b : module_.named_buffers(/*recurse=*/true))
            if (seen.insert(b.value.unsafeGetTensorImpl()).second)
                register_buffer(uniqueName(b.name), b.value);
        if (headWeight_.defined() && headWeight_.size(0) != classes_) headWeight_ = torch::Tensor();
        if (!headWeight_.defined()) headBias_ = torch::Tensor();
    }

    torch::Tensor forward(torch::Tensor x) override {
        try {
            return module_.forward({x}).toTensor();
        } catch (const std::exception& e) {  // the interpreter's message, not its backtrace
            throw EngineError("model.path '" + path_ + "' failed: " + torchErrorLine(e.what()));
        }
    }
    torch::Tensor headWeight() override { return headWeight_; }
    torch::Tensor headBias() override { return headBias_; }
    std::int64_t classes() override { return classes_; }
    void train(bool on) override {
        torch::nn::Module::train(on);
        module_.train(on);
    }
    torch::jit::Module& module() { return module_; }

private:
    // "a.weight" -> "a_weight" (nn::Module names have no dots), made unique if the module also
    // has an "a_weight" of its own.
    std::string uniqueName(const std::string& dotted) const {
        std::string name = registeredName(dotted);
        while (named_parameters(false).contains(name) || named_buffers(false).contains(name))
            name += '_';
        return name;
    }

    torch::jit::Module module_;
    std::int64_t classes_;
    std::string path_;
    torch::Tensor headWeight_, headBias_;
    std::string headPrefix_;
};

}  // namespace

std::shared_ptr<ClassifierImpl> loadScriptedModel(const std::string& path, std::int64_t classes,
                                                  const SampleShape& shape,
                                                  std::int64_t vocabSize) {
    const std::string what = "model.path '" + path + "'";
    torch::jit::Module module;
    try {
        module = torch::jit::load(path);
    } catch (const std::exception& e) {
        throw DataError(what +
                        " is not a TorchScript module (save one with "
                        "torch.jit.script(model).save(path)): " +
                        torchErrorLine(e.what()));
    }
    // In eval() and in train() mode (a module may take another path in each), on batches of 2
    // and 3 samples: a module traced by torch.jit.trace at one batch size runs only at that size,
    // and would otherwise pass here and fail on the run's first batch. The buffers that train()
    // mode changes (BatchNorm's statistics) are put back afterwards.
    std::vector<std::pair<torch::Tensor, torch::Tensor>> buffers;
    for (const auto& b : module.buffers())
        buffers.emplace_back(b, b.clone());
    // Text: int64 token ids [batch, length], the length varying from batch to batch (each is cut
    // to its longest sample) up to data.max_len.
    const bool text = vocabSize > 0;
    const auto probe = [&](const std::vector<std::int64_t>& batch) {
        if (!text) return torch::zeros(batch);
        const std::int64_t count = batch[0] * batch[1];  // ids 2.. (no <pad>): no RNG drawn
        torch::Tensor ids = torch::arange(count, torch::kLong)
                                .remainder(std::max<std::int64_t>(1, vocabSize - 2))
                                .add_(2)
                                .view(batch);
        ids.select(1, 0).fill_(std::max<std::int64_t>(2, vocabSize - 1));  // the last id too
        return ids;
    };
    for (const bool training : {false, true})
        for (const std::int64_t n : {2, 3}) {
            std::vector<std::int64_t> batch{n};
            if (text)
                batch.push_back(n == 2 ? shape.at(0) : std::max<std::int64_t>(1, shape.at(0) / 3));
            else
                batch.insert(batch.end(), shape.begin(), shape.end());
            const std::string mode = training ? "train()" : "eval()";
            torch::Tensor out;
            try {
                torch::NoGradGuard noGrad;
                module.train(training);
                const torch::IValue result = module.forward({probe(batch)});
                if (!result.isTensor())
                    throw DataError(what + " returns a " + result.tagKind() + " in " + mode +
                                    " mode, not a tensor of logits [batch, " +
                                    std::to_string(classes) + "]");
                out = result.toTensor();
            } catch (const DataError&) {
                throw;
            } catch (const std::exception& e) {
                throw DataError(what + " fails in " + mode + " mode on a batch of shape " +
                                shapeText(batch) +
                                (text ? " (this dataset's text: int64 token ids below " +
                                            std::to_string(vocabSize) +
                                            ", 0 is <pad>; the length varies by batch up to "
                                            "data.max_len)"
                                      : " (this dataset's samples)") +
                                ": " + torchErrorLine(e.what()) +
                                (n == 3 ? " (it runs on 2 samples: a module traced at one batch "
                                          "size? script it with torch.jit.script)"
                                        : ""));
            }
            if (out.dim() == 2 && out.size(1) == classes && out.size(0) != n)
                throw DataError(what + " outputs " + shapeText(out.sizes()) + " for a batch of " +
                                std::to_string(n) +
                                " samples: its batch size is fixed (torch.jit.trace records "
                                "one), so script it with torch.jit.script instead");
            if (out.dim() != 2 || out.size(0) != n || out.size(1) != classes)
                throw DataError(what + " outputs " + shapeText(out.sizes()) + " in " + mode +
                                " mode for a batch of shape " + shapeText(batch) +
                                "; this dataset has " + std::to_string(classes) +
                                " classes, so it must output [batch, " + std::to_string(classes) +
                                "]");
            if (!out.is_floating_point())
                throw DataError(what + " outputs " + std::string(c10::toString(out.scalar_type())) +
                                " values: logits must be floating point");
        }
    {
        torch::NoGradGuard noGrad;
        for (auto& [buffer, saved] : buffers)
            buffer.copy_(saved);
    }
    bool trainable = false;
    for (const auto& p : module.parameters())
        trainable = trainable || p.requires_grad();
    if (!trainable) throw DataError(what + " has no trainable parameters");
    module.train();
    return std::make_shared<ScriptedClassifierImpl>(std::move(module), classes, path);
}

bool saveScriptedModel(ClassifierImpl& model, const std::string& path) {
    auto* scripted = dynamic_cast<ScriptedClassifierImpl*>(&model);
    if (scripted == nullptr) return false;
    try {
        scripted->module().save(path);
    } catch (const std::exception& e) {
        throw OutputError("cannot write the TorchScript model '" + path +
                          "': " + torchErrorLine(e.what()));
    }
    return true;
}

}  // namespace runboard::engine
