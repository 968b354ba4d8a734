#pragma once
// Reading logged predictions back, and label flags. Predictions are keyed by run, split
// ("train" | "val" | "test"), epoch and the sample's index in the original dataset file; the
// final test evaluation is stored at the run's last epoch. Label flags belong to a dataset
// sample (dataset name, file part "train" | "test", index), not to a run, so every run's
// gallery shows them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/result.h"
#include "storage/sqlite.h"

namespace runboard::storage {

struct PredictionRecord {
    std::int64_t epoch = 0;
    std::int64_t sampleIndex = 0;
    std::int32_t target = 0;
    std::int32_t predicted = 0;
    float confidence = 0;
    double loss = 0;  // NaN/Inf kept
    std::vector<float> probs;
    bool correct() const { return target == predicted; }
};

// The epochs with predictions of a split, ascending.
Result<std::vector<std::int64_t>> predictionEpochs(Connection& db, std::int64_t run,
                                                   std::string_view split);
// One evaluation: every sample of a split at an epoch, by sample index. `withProbs` = false
// skips the per-class probabilities (the gallery needs them only for the sample it details).
Result<std::vector<PredictionRecord>> readPredictions(Connection& db, std::int64_t run,
                                                      std::string_view split, std::int64_t epoch,
                                                      bool withProbs = true);
// A run's final test evaluation (its last epoch with test predictions); empty without one.
Result<std::vector<PredictionRecord>> finalTestPredictions(Connection& db, std::int64_t run,
                                                           bool withProbs = false);
// One sample at every logged epoch of a split, by epoch.
Result<std::vector<PredictionRecord>> sampleHistory(Connection& db, std::int64_t run,
                                                    std::string_view split,
                                                    std::int64_t sampleIndex);

enum class LabelFlag { WrongLabel, Ambiguous, Interesting };
// wrong_label | ambiguous | interesting
inline std::string_view flagName(LabelFlag flag) {
    switch (flag) {
        case LabelFlag::WrongLabel:
            return "wrong_label";
        case LabelFlag::Ambiguous:
            return "ambiguous";
        case LabelFlag::Interesting:
            return "interesting";
    }
    return "wrong_label";
}
std::optional<LabelFlag> parseFlag(std::string_view name);

struct FlagRecord {
    std::string dataset;  // e.g. "fashion-mnist"
    std::string part;     // the file: "train" (train and val samples) or "test"
    std::int64_t sampleIndex = 0;
    std::int32_t target = 0;  // the label in the file
    LabelFlag flag = LabelFlag::WrongLabel;
    std::string note;
    std::string createdAt;
    bool operator==(const FlagRecord&) const = default;
};

// Sets (or replaces) the flag of a sample. InvalidArgument for an unknown part or an empty
// dataset name; nothing is written then.
Status setFlag(Connection& db, const FlagRecord& flag);
Status clearFlag(Connection& db, std::string_view dataset, std::string_view part,
                 std::int64_t sampleIndex);
// Every flag of a dataset (all datasets when empty), by dataset, part and index.
Result<std::vector<FlagRecord>> listFlags(Connection& db, std::string_view dataset = {});

}  // namespace runboard::storage
