#pragma once
// What the prediction gallery shows, computed from logged predictions without Qt: the order of
// the samples (sorted and filtered), flips against the previous epoch, the confusion matrix with
// per-class precision and recall, a sample's story over the epochs, and the discordant samples of
// two runs. Predictions are matched across epochs and runs by their index in the dataset file.
// Tested against brute force.

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "storage/predictions.h"

namespace runboard::widgets {

using Predictions = std::vector<storage::PredictionRecord>;  // sorted by sample index

// The prediction of a sample, or null.
const storage::PredictionRecord* findSample(const Predictions& rows, std::int64_t sampleIndex);

enum class GallerySort { LossDescending, ConfidenceAscending, ConfidenceDescending, Index };

// Which side of two runs' predictions a sample is on.
enum class PairFilter { Any, OnlyARight, OnlyBRight };

struct GalleryFilter {
    bool mistakesOnly = false;
    std::optional<int> trueClass, predictedClass;
    float minConfidence = 0, maxConfidence = 1;  // inclusive
    bool changedOnly = false;  // the predicted class differs from the previous epoch's
    PairFilter pair = PairFilter::Any;
    bool flaggedOnly = false;
};

// Positions into `rows` of the samples that pass, in display order; ties by sample index. NaN
// losses sort first under LossDescending (the worst there is). `previous` (the epoch before) and
// `other` (a second run, same split and epoch) may be null: their filters then pass nothing.
std::vector<std::size_t> galleryOrder(const Predictions& rows, const Predictions* previous,
                                      const Predictions* other,
                                      const std::set<std::int64_t>& flagged,
                                      const GalleryFilter& filter, GallerySort sort);

struct Flips {
    std::int64_t learned = 0;    // wrong at the previous epoch, right now
    std::int64_t forgotten = 0;  // right then, wrong now
    std::int64_t switched = 0;   // wrong both times, a different wrong class
    std::int64_t compared = 0;   // samples present in both epochs
};
Flips countFlips(const Predictions& now, const Predictions& previous);

struct Confusion {
    int classes = 0;
    std::vector<std::int64_t> counts;  // classes x classes, row = true class, column = predicted
    std::int64_t at(int truth, int predicted) const;
    std::int64_t rowTotal(int truth) const;
    std::int64_t columnTotal(int predicted) const;
    // NaN when undefined (no sample of / predicted as the class).
    double recall(int c) const;
    double precision(int c) const;
};
// Classes outside [0, classes) are not counted.
Confusion confusionOf(const Predictions& rows, int classes);

// Two runs on the same samples: which one gets each right.
struct Discordance {
    std::int64_t both = 0, onlyA = 0, onlyB = 0, neither = 0;
};
Discordance discordance(const Predictions& a, const Predictions& b);

// A sample over the epochs of one run (its history sorted by epoch).
struct SampleStory {
    std::optional<std::int64_t> learnedAt;  // first epoch from which it stays right
    std::vector<std::int64_t> forgottenAt;  // epochs where it went from right to wrong
};
SampleStory storyOf(const Predictions& history);

}  // namespace runboard::widgets
