#pragma once
// The processes of one data-parallel run (issue 19): c10d's TCPStore rendezvous and Gloo
// collectives behind a small facade that speaks in Runboard's terms and errors.
//
// The C++ frontend has no DistributedDataParallel, and c10d's Reducer needs a header Debian does
// not ship (torch/csrc/distributed/autograd/context/context.h), so gradients are averaged after
// backward by flattened allreduces in buckets (engine/dist/shard.h). Measured here on loopback
// with two processes: parameters broadcast from rank 0 stay bit-identical on both ranks after 100
// SGD steps, and a 4 MB allreduce takes 2-7 ms.
//
// Every collective waits at most the group's timeout (the caller's; ddp.timeout will set it, 60 s
// by default, never Gloo's 30 minutes): a rank that raised, died or hangs turns into an EngineError
// on the others that names the rank that noticed and what Gloo reported. Only engine code includes
// this header: it pulls in ATen's Tensor, not <torch/torch.h>.

#include <ATen/core/Tensor.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/dist/launch.h"

namespace runboard::engine {

class DistGroup {
public:
    // Joins the job `launch` describes. Rank 0 listens first (on launch.masterPort, or on a free
    // port when it is 0) and calls `onListening` with the port before it waits for the others:
    // the --nproc launcher starts the other ranks there. Throws EngineError when a rank does not
    // come within `timeout`, or, on rank 0, as soon as `gone` names a rank that has died while
    // it waits (the launcher knows its children).
    static std::unique_ptr<DistGroup> join(const dist::Launch& launch,
                                           std::chrono::milliseconds timeout,
                                           const std::function<void(int port)>& onListening = {},
                                           const std::function<std::string()>& gone = {});
    ~DistGroup();
    DistGroup(const DistGroup&) = delete;
    DistGroup& operator=(const DistGroup&) = delete;

    [[nodiscard]] int rank() const;
    [[nodiscard]] int worldSize() const;
    [[nodiscard]] int port() const;  // rank 0's, as every rank reached it

    // Copies rank 0's values into every rank's tensors, in place (parameters and buffers at the
    // start, as DDP does).
    void broadcast(const std::vector<at::Tensor>& tensors);

    // Replaces each parameter's gradient by its mean over the ranks, in buckets of about
    // `bucketBytes`. A parameter without a gradient on this rank counts as zeros (and gets them).
    // `extras` (the step's loss, counts, stop flag) ride in the first bucket, in the gradients'
    // precision, and come back summed over the ranks: one allreduce fewer a step (about 0.1 ms
    // on loopback, 3% of the MLP's step).
    void averageGradients(const std::vector<at::Tensor>& parameters,
                          std::int64_t bucketBytes = 25 << 20,
                          std::vector<double>* extras = nullptr);

    // Overlapping the allreduce with backward (measured in tests/bench/dist_bench --overlap):
    // starts a sum of `flat` over the ranks, in place, and returns at once; waitStarted() waits
    // for every sum started (at most the timeout each).
    void startSum(const at::Tensor& flat);
    void waitStarted();

    // Rank 0 gets every rank's `tensor` (the same shape on each), in rank order; the others get
    // nothing.
    std::vector<at::Tensor> gather(const at::Tensor& tensor);

    // A rank that fails says why in the rendezvous store before it leaves (best effort, never
    // throws), so that rank 0 can name it; rank 0 reads what was said within `wait`, as
    // "rank R: MESSAGE" lines.
    void reportFailure(const std::string& message) noexcept;
    std::vector<std::string> failureReports(std::chrono::milliseconds wait) noexcept;

    // Element-wise sums over the ranks (loss sums, counts, a stop flag), in float64.
    std::vector<double> sum(std::vector<double> values);

private:
    struct Impl;
    explicit DistGroup(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace runboard::engine
