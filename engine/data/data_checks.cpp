#include "engine/data/data_checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

namespace runboard::engine {

namespace {

std::uint64_t fnv1a(const std::uint8_t* p, std::size_t n) {
    std::uint64_t h = 1469598103934665603ull;
    for (std::size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

}  // namespace

SampleArray SampleArray::idx(const IdxArray& images, const IdxArray& labels) {
    SampleArray a;
    a.values = images.data.data();
    a.count = images.dims.empty() ? 0 : images.dims[0];
    a.valuesPerSample = 1;
    for (std::size_t d = 1; d < images.dims.size(); ++d)
        a.valuesPerSample *= images.dims[d];
    a.labels.assign(labels.data.begin(), labels.data.end());
    return a;
}

SampleArray SampleArray::features(const float* values, std::size_t count, std::size_t width,
                                  std::vector<std::int64_t> labels) {
    SampleArray a;
    a.values = values;
    a.floats = true;
    a.count = count;
    a.valuesPerSample = width;
    a.labels = std::move(labels);
    return a;
}

SampleArray SampleArray::pixels(const std::uint8_t* values, std::size_t count, std::size_t width,
                                std::vector<std::int64_t> labels) {
    SampleArray a = features(nullptr, count, width, std::move(labels));
    a.values = values;
    a.floats = false;
    return a;
}

const std::uint8_t* SampleArray::row(std::int64_t index) const {
    return static_cast<const std::uint8_t*>(values) + static_cast<std::size_t>(index) * rowBytes();
}

double SampleArray::value(std::int64_t index, std::size_t k) const {
    const std::size_t at = static_cast<std::size_t>(index) * valuesPerSample + k;
    return floats ? static_cast<const float*>(values)[at]
                  : static_cast<const std::uint8_t*>(values)[at] / 255.0;
}

SplitStats splitStats(const SplitView& split, int classes) {
    SplitStats s;
    s.name = split.name;
    s.count = static_cast<std::int64_t>(split.indices.size());
    s.classCounts.assign(static_cast<std::size_t>(std::max(0, classes)), 0);
    const SampleArray& a = *split.samples;
    const std::size_t n = a.valuesPerSample;
    double sum = 0, sumSq = 0;
    for (std::int64_t i : split.indices) {
        const std::int64_t label = a.labels[static_cast<std::size_t>(i)];
        if (label >= 0 && label < classes) ++s.classCounts[static_cast<std::size_t>(label)];
        for (std::size_t k = 0; k < n; ++k) {
            const double v = a.value(i, k);
            sum += v;
            sumSq += v * v;
        }
    }
    const double count = static_cast<double>(n) * static_cast<double>(split.indices.size());
    if (count > 0) {
        s.mean = sum / count;
        s.stdev = std::sqrt(std::max(0.0, sumSq / count - s.mean * s.mean));
    }
    return s;
}

std::vector<DuplicatePair> exactDuplicates(const SplitView& train, const SplitView& other) {
    const SampleArray &a = *train.samples, &b = *other.samples;
    const std::size_t n = a.rowBytes();
    std::vector<DuplicatePair> out;
    if (n != b.rowBytes() || a.floats != b.floats) return out;
    std::unordered_multimap<std::uint64_t, std::int64_t> byHash;
    byHash.reserve(train.indices.size());
    for (std::int64_t i : train.indices)
        byHash.emplace(fnv1a(a.row(i), n), i);
    for (std::int64_t j : other.indices) {
        const std::uint8_t* q = b.row(j);
        auto [lo, hi] = byHash.equal_range(fnv1a(q, n));
        for (auto it = lo; it != hi; ++it)
            if (std::memcmp(a.row(it->second), q, n) == 0) {
                out.push_back({it->second, j});
                break;
            }
    }
    std::sort(out.begin(), out.end(), [](const DuplicatePair& x, const DuplicatePair& y) {
        return x.otherIndex < y.otherIndex;
    });
    return out;
}

CheckResult leakageCheck(const SplitView& train, const SplitView& other, double failShare) {
    CheckResult r;
    r.name = "data.duplicates." + other.name;
    const auto dups = exactDuplicates(train, other);
    r.value = static_cast<double>(dups.size());
    const double share = other.indices.empty() ? 0
                                               : static_cast<double>(dups.size()) /
                                                     static_cast<double>(other.indices.size());
    for (std::size_t k = 0; k < dups.size() && k < 10; ++k)
        r.details.push_back(other.name + " #" + std::to_string(other.idOf(dups[k].otherIndex)) +
                            " = train #" + std::to_string(train.idOf(dups[k].trainIndex)));
    if (dups.empty()) {
        r.message = "no " + other.name + " sample is an exact copy of a training sample";
    } else if (share > failShare) {
        r.status = CheckStatus::Fail;
        r.message = fmt::format(
            "{} {} samples ({:.2f}%) are exact copies of training samples: the {} score measures "
            "memory, not generalisation; deduplicate the split",
            dups.size(), other.name, 100 * share, other.name);
    } else {
        r.status = CheckStatus::Warn;
        r.message = fmt::format(
            "{} {} samples ({:.2f}%) are exact copies of training samples; small, but know them "
            "(see details)",
            dups.size(), other.name, 100 * share);
    }
    return r;
}

CheckResult balanceCheck(const std::vector<SplitStats>& splits, double ratio) {
    CheckResult r;
    r.name = "data.balance";
    std::string worst;
    for (const SplitStats& s : splits) {
        if (s.classCounts.empty() || s.count == 0) continue;
        const auto [mn, mx] = std::minmax_element(s.classCounts.begin(), s.classCounts.end());
        const double q = *mn == 0 ? INFINITY : static_cast<double>(*mx) / static_cast<double>(*mn);
        std::string line = s.name;
        line.append(":");
        for (auto c : s.classCounts)
            line.append(" ").append(std::to_string(c));
        r.details.push_back(std::move(line));
        if (q > r.value) {
            r.value = q;
            worst = s.name;
        }
    }
    if (r.value > ratio) {
        r.status = CheckStatus::Warn;
        r.message = "the largest class of ";
        r.message.append(worst);
        if (std::isinf(r.value))
            r.message = "a class has no samples in " + worst;
        else
            r.message.append(fmt::format(" has {:.2f}x the samples of the smallest", r.value));
        r.message.append(
            ": accuracy favours the large classes; weigh the loss or report "
            "per-class recall");
    } else {
        r.message = fmt::format("classes are balanced (largest/smallest at most {:.2f})", r.value);
    }
    return r;
}

CheckResult statsCheck(const std::vector<SplitStats>& splits) {
    CheckResult r;
    r.name = "data.stats";
    const SplitStats* train = nullptr;
    for (const SplitStats& s : splits) {
        r.details.push_back(s.name + fmt::format(": mean {:.4f}, std {:.4f}", s.mean, s.stdev));
        if (s.name == "train") train = &s;
    }
    if (train == nullptr || train->stdev <= 0) {
        r.message = "no training statistics";
        return r;
    }
    for (const SplitStats& s : splits) {
        const double z = std::abs(s.mean - train->mean) / train->stdev;
        r.value = std::max(r.value, z);
        if (z > 1) {
            r.status = CheckStatus::Warn;
            r.message =
                s.name +
                fmt::format(" inputs have mean {:.3f} against the training part's {:.3f}: ", s.mean,
                            train->mean) +
                "a different source or preprocessing?";
        }
    }
    if (r.status == CheckStatus::Pass)
        r.message = fmt::format(
            "every split's mean is within {:.2f} training std of the training mean", r.value);
    return r;
}

}  // namespace runboard::engine
