#include "engine/augment.h"

#include <torch/torch.h>

#include <algorithm>

namespace runboard::engine {

torch::Tensor augmentBatch(const torch::Tensor& batch, const AugmentOptions& o,
                           std::mt19937_64& rng) {
    const torch::Tensor in = batch.contiguous();
    torch::Tensor out = torch::empty_like(in);
    const std::int64_t n = in.size(0), c = in.size(1), h = in.size(2), w = in.size(3);
    const float* src = in.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    std::uniform_int_distribution<int> shift(-o.shift, o.shift);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (std::int64_t i = 0; i < n; ++i) {
        const bool flip = o.flip && unit(rng) < 0.5;
        const int dx = o.shift > 0 ? shift(rng) : 0, dy = o.shift > 0 ? shift(rng) : 0;
        for (std::int64_t ch = 0; ch < c; ++ch) {
            const float* s = src + (i * c + ch) * h * w;
            float* d = dst + (i * c + ch) * h * w;
            for (std::int64_t y = 0; y < h; ++y) {
                const std::int64_t sy = y - dy;
                float* row = d + y * w;
                if (sy < 0 || sy >= h) {
                    std::fill_n(row, w, o.background);
                    continue;
                }
                const float* srow = s + sy * w;
                for (std::int64_t x = 0; x < w; ++x) {
                    const std::int64_t sx0 = x - dx;  // position in the (possibly flipped) source
                    if (sx0 < 0 || sx0 >= w) {
                        row[x] = o.background;
                    } else {
                        row[x] = srow[flip ? (w - 1 - sx0) : sx0];
                    }
                }
            }
        }
        if (o.erase > 0 && unit(rng) < o.erase) {
            // A patch of 20-50% of each side, set to 0 (the train mean after normalization).
            std::uniform_int_distribution<std::int64_t> ph(h / 5, h / 2), pw(w / 5, w / 2);
            const std::int64_t eh = ph(rng), ew = pw(rng);
            const std::int64_t y0 = std::uniform_int_distribution<std::int64_t>(0, h - eh)(rng);
            const std::int64_t x0 = std::uniform_int_distribution<std::int64_t>(0, w - ew)(rng);
            for (std::int64_t ch = 0; ch < c; ++ch)
                for (std::int64_t y = y0; y < y0 + eh; ++y)
                    std::fill_n(dst + ((i * c + ch) * h + y) * w + x0, ew, 0.0f);
        }
    }
    return out;
}

}  // namespace runboard::engine
