#pragma once
// The pre-flight checklist's data checks, on the samples as read from their files (Torch-free):
// class distribution and input mean/std per split, exact duplicates between the training part and
// the validation or test samples (leakage), and class imbalance. Images (uint8 pixels) and tables
// (float features, before standardisation) go through the same checks. Each check gives a result
// the checklist stores and shows: pass, warn or fail, a measured value and what to do about it.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/config/names.h"
#include "engine/data/idx.h"

namespace runboard::engine {

enum class CheckStatus { Pass, Warn, Fail };
inline constexpr auto kCheckStatusNames = config::nameTable<CheckStatus>(
    {{CheckStatus::Pass, "pass"}, {CheckStatus::Warn, "warn"}, {CheckStatus::Fail, "fail"}});
inline std::string_view checkStatusName(CheckStatus status) {
    return kCheckStatusNames.name(status);
}

struct CheckResult {
    std::string name;
    CheckStatus status = CheckStatus::Pass;
    double value = 0;
    std::string message;               // one line: what was measured and what to do
    std::vector<std::string> details;  // e.g. duplicate samples, dead parameters
};

// Every sample of a file or table, row-major, without a copy of the values: uint8 pixels (scaled
// to [0, 1] for the statistics) or float32 features. The labels are copied (one per sample).
struct SampleArray {
    const void* values = nullptr;
    bool floats = false;
    std::size_t count = 0, valuesPerSample = 0;
    std::vector<std::int64_t> labels;

    // The pixels of an IDX image file (N x H x W) with its label file.
    static SampleArray idx(const IdxArray& images, const IdxArray& labels);
    static SampleArray features(const float* values, std::size_t count, std::size_t width,
                                std::vector<std::int64_t> labels);
    static SampleArray pixels(const std::uint8_t* values, std::size_t count, std::size_t width,
                              std::vector<std::int64_t> labels);
    std::size_t rowBytes() const { return valuesPerSample * (floats ? sizeof(float) : 1); }
    const std::uint8_t* row(std::int64_t index) const;
    double value(std::int64_t index, std::size_t k) const;
};

// The samples of one split: rows of a SampleArray by their index in it.
struct SplitView {
    std::string name;  // train | val | test
    const SampleArray* samples = nullptr;
    std::vector<std::int64_t> indices;
    // The samples' stable ids by index, for messages, when they differ from the index.
    const std::vector<std::int64_t>* ids = nullptr;
    std::int64_t idOf(std::int64_t index) const {
        return ids ? (*ids)[static_cast<std::size_t>(index)] : index;
    }
};

struct SplitStats {
    std::string name;
    std::int64_t count = 0;
    std::vector<std::int64_t> classCounts;  // by label
    double mean = 0, stdev = 0;             // of the pixels (scaled to [0, 1]) or features
};
SplitStats splitStats(const SplitView& split, int classes);

struct DuplicatePair {
    std::int64_t trainIndex = 0, otherIndex = 0;  // indices in their files
};
// The samples of `other` whose values equal a training sample's exactly (hashed, then compared
// byte for byte), each with one training sample it copies; by other's index.
std::vector<DuplicatePair> exactDuplicates(const SplitView& train, const SplitView& other);

// Leakage between the training part and `other`: any duplicate warns (Fashion-MNIST itself has a
// few), more than `failShare` of other's samples fails. Details name up to 10 pairs.
CheckResult leakageCheck(const SplitView& train, const SplitView& other, double failShare = 0.01);
// Class counts per split: warns when a split's largest class has more than `ratio` times the
// samples of its smallest (or a class is missing). The value is the largest ratio found.
CheckResult balanceCheck(const std::vector<SplitStats>& splits, double ratio = 1.5);
// Mean and std per split, for the record: warns when a split's mean is more than one training
// std away from the training mean (a different preprocessing or source).
CheckResult statsCheck(const std::vector<SplitStats>& splits);

}  // namespace runboard::engine
