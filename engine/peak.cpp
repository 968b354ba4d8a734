#include "engine/peak.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/data/atomic_file.h"

namespace runboard::engine {

namespace {

// GFLOP/s of `run` (which does `flops` of work), the best of repeats over about `budget` seconds.
template <class F>
double bestGflops(F&& run, double flops, double budget) {
    torch::NoGradGuard noGrad;
    run();  // warm-up: the first call allocates and picks kernels
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    double best = 0;
    do {
        const auto t0 = Clock::now();
        run();
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        if (s > 0) best = std::max(best, flops / s / 1e9);
    } while (std::chrono::duration<double>(Clock::now() - start).count() < budget);
    return best;
}

// The best of two matrix kernels in `dtype`: a 1024 x 1024 product (torch::mm: OpenBLAS for
// fp32, which Runboard keeps on one thread) and a 3x3 convolution of 256 channels on a batch of
// 8 at 32 x 32 (oneDNN's implicit GEMM, on every intra-op thread). On 2 cores here (AVX-512):
// mm 112 GFLOP/s fp32 and 700 bf16, the convolution 390 and 760.
double matrixPeak(torch::Dtype dtype) {
    const auto options = torch::TensorOptions().dtype(dtype);
    constexpr std::int64_t n = 1024, c = 256, hw = 32, batch = 8;
    const auto a = torch::full({n, n}, 0.5, options), b = torch::full({n, n}, 0.25, options);
    auto product = torch::empty({n, n}, options);
    const double mm = bestGflops([&] { torch::mm_out(product, a, b); },
                                 2.0 * static_cast<double>(n * n * n), 0.15);
    const auto x = torch::full({batch, c, hw, hw}, 0.5, options);
    const auto w = torch::full({c, c, 3, 3}, 0.25, options);
    const double conv = bestGflops([&] { (void)torch::conv2d(x, w, {}, 1, 1); },
                                   2.0 * static_cast<double>(batch * c * c * 9 * hw * hw), 0.15);
    return std::max(mm, conv);
}

// The CPU's model name, from /proc/cpuinfo ("" when unknown).
std::string cpuModel() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with("model name")) {
            const auto colon = line.find(':');
            return colon == std::string::npos ? line : line.substr(colon + 2);
        }
    return {};
}

// No CPU of this decade reaches a petaflop: a cache that says so was edited, not measured.
constexpr double kImplausibleGflops = 1e6;

std::string cacheKey(int threads) {
    return cpuModel() + " | torch " + TORCH_VERSION + " | mm+conv | " + std::to_string(threads) +
           " threads";
}

}  // namespace

profile::MachinePeak measurePeak(int threads) {
    profile::MachinePeak p;
    p.threads = threads;
    // A kernel this CPU or build lacks is a peak of 0 (unknown: no share is shown), not an error.
    for (auto [dtype, gflops] :
         {std::pair{torch::kFloat32, &p.fp32Gflops}, std::pair{torch::kBFloat16, &p.bf16Gflops}}) {
        try {
            *gflops = matrixPeak(dtype);
        } catch (const std::exception& e) {
            spdlog::warn("cannot measure the {} peak: {}", c10::toString(dtype), e.what());
        }
    }
    return p;
}

std::string peakCachePath() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    const std::filesystem::path base = xdg != nullptr && *xdg != '\0' ? std::filesystem::path(xdg)
                                       : home != nullptr && *home != '\0'
                                           ? std::filesystem::path(home) / ".cache"
                                           : std::filesystem::temp_directory_path();
    return (base / "runboard" / "peak.json").string();
}

profile::MachinePeak machinePeak(int threads) {
    const std::string path = peakCachePath();
    const std::string key = cacheKey(threads);
    nlohmann::json cache = nlohmann::json::object();
    {
        std::ifstream in(path);
        if (in) {
            std::stringstream text;
            text << in.rdbuf();
            cache = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
            if (!cache.is_object()) cache = nlohmann::json::object();
        }
    }
    const auto it = cache.find(key);
    if (it != cache.end() && it->is_object() && it->contains("fp32") && it->contains("bf16") &&
        (*it)["fp32"].is_number() && (*it)["bf16"].is_number() && it->value("fp32", 0.0) > 0 &&
        it->value("fp32", 0.0) < kImplausibleGflops && it->value("bf16", 0.0) >= 0 &&
        it->value("bf16", 0.0) < kImplausibleGflops)
        return {threads, it->value("fp32", 0.0), it->value("bf16", 0.0)};
    const profile::MachinePeak p = measurePeak(threads);
    spdlog::info(
        "measured this machine's matrix-multiply peak on {} threads: {:.1f} GFLOP/s fp32, "
        "{:.1f} GFLOP/s bf16",
        threads, p.fp32Gflops, p.bf16Gflops);
    cache[key] = {{"fp32", p.fp32Gflops}, {"bf16", p.bf16Gflops}};
    try {
        std::filesystem::create_directories(std::filesystem::path(path).parent_path());
        writeFileAtomically(path, cache.dump(2), "peak cache");
    } catch (const std::exception& e) {
        spdlog::warn("cannot cache the machine's peak: {}", e.what());
    }
    return p;
}

}  // namespace runboard::engine
