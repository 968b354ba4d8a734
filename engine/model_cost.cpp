#include "engine/model_cost.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/torch.h>

#include <cstring>
#include <limits>
#include <map>

#include "engine/errors.h"
#include "engine/torch_errors.h"

namespace runboard::engine {

namespace {

struct Call {
    std::string op;
    std::vector<profile::Shape> inputs;
    std::vector<const void*> storages;  // the inputs' data (a list's too), to find the weights
    profile::Shape output;
};

// The calls of one forward pass, on the thread that runs it (callbacks are plain functions).
struct Capture {
    int depth = 0;
    std::vector<Call> calls;
};
thread_local Capture* tCapture = nullptr;

// How many of the call's inputs and outputs are its own: a boxed call (TorchScript's interpreter)
// records the whole interpreter stack, whose first values are other live tensors (a skip
// branch's), and its own arguments and returns last.
std::pair<std::size_t, std::size_t> ownValues(const at::RecordFunction& fn) {
    constexpr auto kAll = std::numeric_limits<std::size_t>::max();
    const auto name = fn.operator_name();
    if (!name) return {kAll, kAll};
    const auto op = c10::Dispatcher::singleton().findSchema(*name);
    if (!op || !op->hasSchema()) return {kAll, kAll};
    return {op->schema().arguments().size(), op->schema().returns().size()};
}

template <class Values>
auto lastOf(const Values& all, std::size_t n) {
    const std::size_t skip = all.size() > n ? all.size() - n : 0;
    return std::vector<c10::IValue>(all.begin() + static_cast<std::ptrdiff_t>(skip), all.end());
}

std::unique_ptr<at::ObserverContext> onStart(const at::RecordFunction& fn) {
    Capture* c = tCapture;
    if (c == nullptr || c->depth++ > 0) return nullptr;
    Call call;
    call.op = fn.name();
    for (const c10::IValue& v : lastOf(fn.inputs(), ownValues(fn).first)) {
        const bool tensor = v.isTensor() && v.toTensor().defined();
        call.inputs.push_back(tensor ? v.toTensor().sizes().vec() : profile::Shape{});
        call.storages.push_back(tensor && v.toTensor().has_storage() ? v.toTensor().data_ptr()
                                                                     : nullptr);
        if (v.isTensorList())  // aten::gru and aten::lstm take their weights as one list
            for (const at::Tensor& t : v.toTensorList().vec())
                if (t.defined() && t.has_storage()) call.storages.push_back(t.data_ptr());
    }
    c->calls.push_back(std::move(call));
    return nullptr;
}

void onEnd(const at::RecordFunction& fn, at::ObserverContext*) {
    Capture* c = tCapture;
    if (c == nullptr || --c->depth > 0 || c->calls.empty()) return;
    for (const c10::IValue& v : lastOf(fn.outputs(), ownValues(fn).second))
        if (v.isTensor() && v.toTensor().defined()) {
            c->calls.back().output = v.toTensor().sizes().vec();
            break;
        }
}

// "features.0.weight" -> "features.0"; a scripted model's "features_0_weight" -> "features_0".
std::string ownerName(const std::string& parameter) {
    // A recurrent layer's weight_ih_l0, bias_hh_l1_reverse...: the layer's.
    if (const auto dot = parameter.rfind('.'); dot != std::string::npos)
        for (const char* prefix : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"})
            if (parameter.compare(dot + 1, std::strlen(prefix), prefix) == 0)
                return parameter.substr(0, dot);
    for (const char* suffix : {".weight", ".bias", "_weight", "_bias"}) {
        const std::string s(suffix);
        if (parameter.size() > s.size() && parameter.ends_with(s))
            return parameter.substr(0, parameter.size() - s.size());
    }
    return parameter;
}

struct ModeGuard {
    explicit ModeGuard(torch::nn::Module& m) : module(m), training(m.is_training()) {}
    ~ModeGuard() { module.train(training); }
    torch::nn::Module& module;
    bool training;
};

}  // namespace

profile::ModelCost measureModelCost(ClassifierImpl& model, const SampleShape& shape,
                                    bool tokens) try {
    struct Param {
        std::string owner;
        std::int64_t numel;
    };
    std::map<const void*, Param> params;
    for (const auto& p : model.named_parameters(/*recurse=*/true))
        params.emplace(p.value().data_ptr(), Param{ownerName(p.key()), p.value().numel()});
    for (const auto& b : model.named_buffers(/*recurse=*/true))
        if (b.value().defined() && b.value().has_storage())
            params.emplace(b.value().data_ptr(), Param{ownerName(b.key()), 0});

    Capture capture;
    {
        ModeGuard mode(model);
        model.eval();
        torch::NoGradGuard noGrad;
        std::vector<std::int64_t> dims{1};
        dims.insert(dims.end(), shape.begin(), shape.end());
        // Token ids: 2, the most frequent token (0 and 1 are <pad> and <unk>).
        const torch::Tensor x = tokens ? torch::full(dims, 2, torch::kLong) : torch::zeros(dims);
        const auto handle = at::addThreadLocalCallback(at::RecordFunctionCallback(&onStart, &onEnd)
                                                           .needsInputs(true)
                                                           .needsOutputs(true)
                                                           .scopes({at::RecordScope::FUNCTION}));
        tCapture = &capture;
        try {
            model.forward(x);
        } catch (...) {
            tCapture = nullptr;
            at::removeCallback(handle);
            throw;
        }
        tCapture = nullptr;
        at::removeCallback(handle);
    }

    std::vector<profile::Layer> layers;
    std::map<const void*, bool> counted;  // a module called twice has its weights counted once
    std::string lastOwner;
    for (const Call& call : capture.calls) {
        std::string owner;
        std::int64_t ownParams = 0;
        for (const void* s : call.storages) {
            const auto it = params.find(s);
            if (s == nullptr || it == params.end()) continue;
            if (owner.empty()) owner = it->second.owner;
            if (!counted[s]) ownParams += it->second.numel;
            counted[s] = true;
        }
        const auto flops = profile::forwardFlops(call.op, call.inputs, call.output);
        // LibTorch's C++ Linear is t(weight) then addmm(bias, x, t): one layer of its module,
        // its output the last op's and its op the one that computes.
        if (!owner.empty() && owner == lastOwner && !layers.empty()) {
            profile::Layer& l = layers.back();
            l.params += ownParams;
            if (!profile::noArithmetic(call.op) || profile::noArithmetic(l.op)) l.op = call.op;
            l.flops = l.flops && flops ? std::optional(*l.flops + *flops) : std::nullopt;
            l.output = call.output;
        } else {
            profile::Layer l;
            l.name = owner.empty() ? (call.op.starts_with("aten::") ? call.op.substr(6) : call.op)
                                   : owner;
            l.op = call.op;
            l.params = ownParams;
            l.flops = flops;
            l.output = call.output;
            layers.push_back(std::move(l));
        }
        lastOwner = owner;
        profile::Layer& l = layers.back();
        if (!l.output.empty() && l.output[0] == 1) l.output.erase(l.output.begin());  // batch
        l.activationBytes = profile::elements(l.output) * static_cast<std::int64_t>(sizeof(float));
    }
    return profile::summarise(std::move(layers));
} catch (const c10::Error& e) {
    throw EngineError(torchErrorMessage("measuring the model's cost", e));
}

}  // namespace runboard::engine
