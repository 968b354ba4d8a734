#include "engine/dist_group.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <thread>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "engine/dist/shard.h"
#include "engine/errors.h"

namespace runboard::engine {

struct DistGroup::Impl {
    int rank = 0;
    int world = 1;
    int port = 0;
    std::chrono::milliseconds timeout{60'000};
    c10::intrusive_ptr<c10d::TCPStore> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
    std::vector<c10::intrusive_ptr<c10d::Work>> started;  // startSum's, until waitStarted
    std::vector<at::Tensor> startedTensors;               // kept alive while Gloo writes them

    [[noreturn]] void fail(const std::string& what, const std::exception& e) const {
        std::string message = e.what();
        // c10::Error appends a C++ stack trace after the first line.
        if (const auto nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
        throw EngineError("data-parallel rank " + std::to_string(rank) + " of " +
                          std::to_string(world) + ": " + what + " failed: " + message +
                          " (a rank that dies ends every wait at once; one that hangs, after "
                          "ddp.timeout = " +
                          fmt::format("{:g}", static_cast<double>(timeout.count()) / 1000.0) +
                          " s)");
    }

    void run(const char* what, std::vector<at::Tensor>& tensors,
             const std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&)>& op) {
        try {
            const auto work = op(tensors);
            work->wait(timeout);
        } catch (const std::exception& e) {
            fail(what, e);
        }
    }
};

namespace {

bool isLoopback(const std::string& host) {
    return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

// Gloo's device: GLOO_SOCKET_IFNAME as PyTorch honours it, loopback for a job on this machine,
// otherwise the address this machine's host name resolves to.
std::shared_ptr<::gloo::transport::Device> device(const std::string& masterAddr) {
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname != nullptr && *ifname)
        return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
    if (isLoopback(masterAddr)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
    return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

DistGroup::DistGroup(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DistGroup::~DistGroup() = default;

std::unique_ptr<DistGroup> DistGroup::join(const dist::Launch& launch,
                                           std::chrono::milliseconds timeout,
                                           const std::function<void(int port)>& onListening,
                                           const std::function<std::string()>& gone) {
    auto impl = std::make_unique<Impl>();
    impl->rank = launch.rank;
    impl->world = launch.worldSize;
    impl->timeout = timeout;
    const std::string where = launch.masterAddr + ":" + std::to_string(launch.masterPort);
    try {
        c10d::TCPStoreOptions options;
        options.port = static_cast<std::uint16_t>(launch.masterPort);
        options.isServer = launch.rank == 0;
        options.numWorkers = launch.worldSize;
        options.waitWorkers = false;  // the ranks meet in the process group's rendezvous below
        options.timeout = timeout;
        impl->store = c10::make_intrusive<c10d::TCPStore>(launch.masterAddr, options);
        impl->port = impl->store->getPort();
    } catch (const std::exception& e) {
        impl->fail(launch.rank == 0 ? "listening on " + where : "reaching rank 0 at " + where, e);
    }
    if (launch.rank == 0 && onListening) onListening(impl->port);
    // Each rank says it has reached the store; rank 0 waits for all of them here, where it can
    // ask `gone` between looks (a rank that died while starting, named at once instead of after
    // the whole timeout in Gloo's rendezvous).
    try {
        if (launch.rank != 0) {
            impl->store->set("runboard/joined/" + std::to_string(launch.rank), {1});
        } else {
            const auto deadline = std::chrono::steady_clock::now() + timeout;
            for (int r = 1; r < launch.worldSize; ++r) {
                const std::string key = "runboard/joined/" + std::to_string(r);
                while (!impl->store->check({key})) {
                    if (gone) {
                        if (const std::string why = gone(); !why.empty())
                            throw EngineError("data-parallel " + why +
                                              " before the ranks met; nothing trained");
                    }
                    if (std::chrono::steady_clock::now() >= deadline)
                        throw std::runtime_error("rank " + std::to_string(r) +
                                                 " did not come within the timeout");
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                }
            }
        }
    } catch (const EngineError&) {
        throw;
    } catch (const std::exception& e) {
        impl->fail("meeting the other " + std::to_string(launch.worldSize - 1) + " rank(s) at " +
                       launch.masterAddr + ":" + std::to_string(impl->port),
                   e);
    }
    try {
        auto options = c10d::ProcessGroupGloo::Options::create(timeout);
        options->devices.push_back(device(launch.masterAddr));
        impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, launch.rank,
                                                                  launch.worldSize, options);
    } catch (const std::exception& e) {
        impl->fail("meeting the other " + std::to_string(launch.worldSize - 1) + " rank(s) at " +
                       launch.masterAddr + ":" + std::to_string(impl->port),
                   e);
    }
    return std::unique_ptr<DistGroup>(new DistGroup(std::move(impl)));
}

int DistGroup::rank() const {
    return impl_->rank;
}
int DistGroup::worldSize() const {
    return impl_->world;
}
int DistGroup::port() const {
    return impl_->port;
}

void DistGroup::broadcast(const std::vector<at::Tensor>& tensors) {
    for (const auto& t : tensors) {
        // Gloo writes into the tensor's memory: a contiguous alias, copied back if it is not one.
        std::vector<at::Tensor> buffer{t.detach().contiguous()};
        impl_->run("broadcast", buffer,
                   [&](std::vector<at::Tensor>& b) { return impl_->group->broadcast(b); });
        if (buffer[0].data_ptr() != t.data_ptr()) t.detach().copy_(buffer[0]);
    }
}

void DistGroup::averageGradients(const std::vector<at::Tensor>& parameters,
                                 std::int64_t bucketBytes, std::vector<double>* extras) {
    std::vector<std::int64_t> bytes;
    bytes.reserve(parameters.size());
    for (const auto& p : parameters)
        bytes.push_back(p.numel() * static_cast<std::int64_t>(p.element_size()));
    bool first = true;
    for (const auto& bucket : dist::gradientBuckets(bytes, bucketBytes)) {
        std::vector<at::Tensor> pieces;
        pieces.reserve(bucket.size() + 1);
        for (const auto k : bucket) {
            const auto& p = parameters[k];
            pieces.push_back(p.grad().defined() ? p.grad().detach().reshape({-1})
                                                : at::zeros({p.numel()}, p.options()));
        }
        const bool carry = first && extras != nullptr && !extras->empty();
        const auto nExtras = carry ? static_cast<std::int64_t>(extras->size()) : 0;
        if (carry) {
            pieces.push_back(at::from_blob(extras->data(), {nExtras}, at::kDouble)
                                 .to(pieces.front().scalar_type()));
        }
        first = false;
        std::vector<at::Tensor> flat{at::cat(pieces)};
        impl_->run("averaging gradients", flat,
                   [&](std::vector<at::Tensor>& f) { return impl_->group->allreduce(f); });
        if (carry) {
            const auto sums =
                flat[0].narrow(0, flat[0].numel() - nExtras, nExtras).to(at::kDouble).contiguous();
            std::copy_n(sums.data_ptr<double>(), nExtras, extras->begin());
        }
        flat[0].div_(impl_->world);
        std::int64_t offset = 0;
        for (const auto k : bucket) {
            auto p = parameters[k];
            const auto part = flat[0].narrow(0, offset, p.numel()).view(p.sizes());
            offset += p.numel();
            if (p.grad().defined())
                p.mutable_grad().detach().copy_(part);
            else
                p.mutable_grad() = part.clone();
        }
    }
}

std::vector<double> DistGroup::sum(std::vector<double> values) {
    if (values.empty()) return values;
    std::vector<at::Tensor> t{
        at::from_blob(values.data(), {static_cast<std::int64_t>(values.size())}, at::kDouble)};
    impl_->run("summing over ranks", t,
               [&](std::vector<at::Tensor>& v) { return impl_->group->allreduce(v); });
    return values;
}

}  // namespace runboard::engine

namespace runboard::engine {

void DistGroup::startSum(const at::Tensor& flat) {
    std::vector<at::Tensor> t{flat};
    try {
        impl_->started.push_back(impl_->group->allreduce(t));
        impl_->startedTensors.push_back(flat);
    } catch (const std::exception& e) {
        impl_->fail("averaging gradients", e);
    }
}

void DistGroup::waitStarted() {
    const auto started = std::move(impl_->started);
    impl_->started.clear();
    impl_->startedTensors.clear();
    for (const auto& work : started) {
        try {
            work->wait(impl_->timeout);
        } catch (const std::exception& e) {
            impl_->fail("averaging gradients", e);
        }
    }
}

std::vector<at::Tensor> DistGroup::gather(const at::Tensor& tensor) {
    std::vector<at::Tensor> input{tensor.contiguous()};
    std::vector<std::vector<at::Tensor>> output;
    if (impl_->rank == 0) {
        output.emplace_back();
        for (int r = 0; r < impl_->world; ++r)
            output.back().push_back(at::empty_like(input[0]));
    }
    impl_->run("gathering predictions", input,
               [&](std::vector<at::Tensor>& in) { return impl_->group->gather(output, in); });
    return impl_->rank == 0 ? output.front() : std::vector<at::Tensor>{};
}

namespace {
std::string failureKey(int rank) {
    return "runboard/failed/" + std::to_string(rank);
}
}  // namespace

void DistGroup::reportFailure(const std::string& message) noexcept {
    try {
        impl_->store->set(failureKey(impl_->rank),
                          std::vector<std::uint8_t>(message.begin(), message.end()));
    } catch (...) {  // rank 0 (the store) is gone: it learns of this rank from Gloo instead
    }
}

std::vector<std::string> DistGroup::failureReports(std::chrono::milliseconds wait) noexcept {
    std::vector<std::string> out;
    try {
        const auto deadline = std::chrono::steady_clock::now() + wait;
        do {
            for (int r = 0; r < impl_->world; ++r) {
                if (r == impl_->rank || !impl_->store->check({failureKey(r)})) continue;
                const auto bytes = impl_->store->get(failureKey(r));
                out.push_back("rank " + std::to_string(r) + ": " +
                              std::string(bytes.begin(), bytes.end()));
            }
            if (!out.empty()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        } while (std::chrono::steady_clock::now() < deadline);
    } catch (...) {  // the store is gone too: nothing more to say than Gloo's error
    }
    return out;
}

}  // namespace runboard::engine
