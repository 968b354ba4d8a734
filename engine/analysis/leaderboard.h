#pragma once
// Leaderboards: public and private scores side by side. The ranking is plain C++ (ties go to the
// earlier submission, as on Kaggle; the shift is public rank minus private rank, so a positive
// shift moved up), with the median and the best of each side. Own runs become a competition by
// splitting the test set once, deterministically, into a public and a private part, and scoring
// each run's last test evaluation on both. The entries and settings are storage's rows
// (storage/leaderboard.h); everything here is computed from them and never touches the database.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/analysis/result.h"
#include "engine/config/names.h"
#include "storage/leaderboard.h"

namespace runboard::analysis {

using storage::BoardEntry;
using storage::CompetitionRecord;

struct BoardRow {
    BoardEntry entry;
    std::optional<int> publicRank, privateRank;
    std::optional<int> shift;  // publicRank - privateRank: > 0 moved up on the private board
};

struct SideSummary {
    int count = 0;  // entries with a score on this side
    std::optional<double> median, best;
};

struct Board {
    bool higherIsBetter = true;
    std::vector<BoardRow> rows;  // by public rank, then private rank, then name
    SideSummary publicSide, privateSide;
};

Board rankBoard(std::vector<BoardEntry> entries, bool higherIsBetter);
// The median of the values (the mean of the two middle ones for an even count).
std::optional<double> median(std::vector<double> values);

// Own runs as a competition: the test set is split once, deterministically, into a public and a
// private part (by sample index and seed, so every run is scored on the same parts), and every
// finished run with test predictions is an entry, submitted when it finished.
enum class OwnMetric { Accuracy, MacroF1, LogLoss };
inline constexpr auto kOwnMetricNames =
    config::nameTable<OwnMetric>({{OwnMetric::Accuracy, "accuracy"},
                                  {OwnMetric::MacroF1, "macro-f1"},
                                  {OwnMetric::LogLoss, "logloss"}});
inline std::string_view toString(OwnMetric metric) {
    return kOwnMetricNames.name(metric);
}
bool higherIsBetter(OwnMetric metric);

struct SplitOptions {
    double publicFraction = 0.3;  // as on Kaggle
    std::uint64_t seed = 2026;
    OwnMetric metric = OwnMetric::Accuracy;
};
bool isPublic(std::int64_t sampleIndex, const SplitOptions& split);

// The split as stored in the settings rows (defaults for keys never set), and the rows that store
// it: InvalidArgument, naming the value, for a public fraction outside (0, 1).
SplitOptions splitOptions(const storage::LeaderboardSettings& settings);
Result<std::map<std::string, std::string>> splitSettings(const SplitOptions& split);

// One scored prediction: the true class, the predicted one, and the probabilities.
struct ScoredSample {
    std::int32_t target = 0, predicted = 0;
    std::vector<float> probs;
};
// The metric over the samples; nullopt when there are none.
std::optional<double> scoreSamples(const std::vector<ScoredSample>& samples, OwnMetric metric);

// The own-runs board as a competition record (id 0): "own runs, 30% public, seed 2026".
CompetitionRecord ownCompetition(const SplitOptions& split, std::int64_t entries);
// Every run's last test evaluation scored on both parts.
std::vector<BoardEntry> ownRunEntries(const std::vector<storage::FinalTest>& runs,
                                      const SplitOptions& split);

// The own-runs board as shown: in competition mode every private score is hidden (and the record
// says so).
struct OwnBoard {
    CompetitionRecord record;
    std::vector<BoardEntry> entries;
    bool privateHidden = false;
};
OwnBoard ownBoard(const storage::OwnRuns& runs, const SplitOptions& split);
// With the stored split.
OwnBoard ownBoard(const storage::OwnRuns& runs);

}  // namespace runboard::analysis
