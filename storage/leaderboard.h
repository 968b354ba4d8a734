#pragma once
// Leaderboards: public and private scores side by side. The ranking is plain C++ (ties go to the
// earlier submission, as on Kaggle; the shift is public rank minus private rank, so a positive
// shift moved up), with the median and the best of each side. Competitions and their entries
// are stored in one transaction each; Kaggle's leaderboard CSVs are parsed here too.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/result.h"
#include "storage/sqlite.h"

namespace runboard::storage {

using CompetitionId = std::int64_t;

struct BoardEntry {
    std::string teamId;  // empty for own runs
    std::string name;
    std::optional<std::int64_t> run;  // an own run
    std::string submittedAt;          // ISO 8601, compared as text
    std::optional<double> publicScore, privateScore;
    bool operator==(const BoardEntry&) const = default;
};

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

// Kaggle's leaderboard download: TeamId,TeamName,SubmissionDate,Score.
struct KaggleRow {
    std::size_t line = 0;
    std::string teamId, teamName, submittedAt;
    double score = 0;
};
struct KaggleFile {
    std::vector<KaggleRow> rows;
    std::vector<std::string> skipped;  // "line N: why", rows left out
};
// Fails (ErrorKind::InvalidArgument, the message names the file and the problem) when the text is
// not such a CSV.
Result<KaggleFile> parseKaggleLeaderboard(std::string_view text, const std::string& fileName);
// Public and private rows of the same team together: matched by TeamId, else by TeamName. A team
// in only one file has no score on the other side. Submission date: the public file's, else the
// private one's.
std::vector<BoardEntry> mergeKaggle(const KaggleFile& publicFile, const KaggleFile& privateFile);

// Own runs as a competition: the test set is split once, deterministically, into a public and a
// private part (by sample index and seed, so every run is scored on the same parts), and every
// finished run with test predictions is an entry, submitted when it finished.
enum class OwnMetric { Accuracy, MacroF1, LogLoss };
std::string_view toString(OwnMetric metric);
std::optional<OwnMetric> parseOwnMetric(std::string_view text);
bool higherIsBetter(OwnMetric metric);

struct SplitOptions {
    double publicFraction = 0.3;  // as on Kaggle
    std::uint64_t seed = 2026;
    OwnMetric metric = OwnMetric::Accuracy;
};
bool isPublic(std::int64_t sampleIndex, const SplitOptions& split);

// One scored prediction: the true class, the predicted one, and the probabilities.
struct ScoredSample {
    std::int32_t target = 0, predicted = 0;
    std::vector<float> probs;
};
// The metric over the samples; nullopt when there are none.
std::optional<double> scoreSamples(const std::vector<ScoredSample>& samples, OwnMetric metric);

// The stored split options (defaults when never set) and storing them.
Result<SplitOptions> ownSplit(Connection& db);
Status setOwnSplit(Connection& db, const SplitOptions& split);
// The own-runs board as a competition record (id 0): "own runs, 30% public, seed 2026".
struct CompetitionRecord;
CompetitionRecord ownCompetition(const SplitOptions& split, std::int64_t entries);
// Every finished run with test predictions, scored on both parts (its last test evaluation).
Result<std::vector<BoardEntry>> ownRunEntries(Connection& db, const SplitOptions& split);

// Competition mode: while it is on, the private part of the test set is hidden everywhere: own
// runs' private scores, and test metrics, which are shown on the public part only.
Result<bool> competitionMode(Connection& db);
Status setCompetitionMode(Connection& db, bool on);
// Test accuracy and loss (mean cross-entropy) of a run's last test evaluation on the public part;
// both nullopt when it has no test predictions.
struct PublicTest {
    std::optional<double> accuracy, loss;
};
Result<PublicTest> publicTestMetrics(Connection& db, std::int64_t run, const SplitOptions& split);
// Replaces test/accuracy and test/loss by their public-part values (removes them when the run has
// no test predictions) and drops other test/ keys. Call it when competition mode is on.
Status maskTestMetrics(Connection& db, std::int64_t run, const SplitOptions& split,
                       std::map<std::string, double>& metrics);
bool isTestMetric(std::string_view key);

// Competition mode's view of test metrics, read once for many runs: apply() does nothing when the
// mode is off.
class PrivateTestMask {
public:
    static Result<PrivateTestMask> load(Connection& db);
    bool on() const { return on_; }
    // Whether a test sample may be looked at: all when off, the public part when on.
    bool shows(std::int64_t sampleIndex) const { return !on_ || isPublic(sampleIndex, split_); }
    Status apply(Connection& db, std::int64_t run, std::map<std::string, double>& metrics) const;

private:
    bool on_ = false;
    SplitOptions split_;
};

struct CompetitionRecord {
    CompetitionId id = 0;
    std::string name, metric, createdAt;
    bool higherIsBetter = true;
    std::int64_t entries = 0;
};

// The own-runs board as shown: in competition mode every private score is hidden (and the record
// says so); otherwise ownRunEntries() under ownCompetition().
struct OwnBoard {
    CompetitionRecord record;
    std::vector<BoardEntry> entries;
    bool privateHidden = false;
};
Result<OwnBoard> ownBoard(Connection& db, const SplitOptions& split);

// A competition with its entries, in one transaction; a taken name is refused.
Result<CompetitionId> insertCompetition(Connection& db, const std::string& name,
                                        const std::string& metric, bool higherIsBetter,
                                        const std::vector<BoardEntry>& entries);
Result<std::vector<CompetitionRecord>> listCompetitions(Connection& db);  // newest first
Result<CompetitionRecord> findCompetition(Connection& db, std::string_view name);
Result<std::vector<BoardEntry>> competitionEntries(Connection& db, CompetitionId id);

}  // namespace runboard::storage
