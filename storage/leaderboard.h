#pragma once
// Leaderboard rows: imported competitions and their entries (stored in one transaction each), the
// leaderboard settings (the own-runs split and competition mode), and the last test evaluation of
// every finished run that own-runs boards are scored on. Ranking, scoring, the split itself and
// Kaggle's CSVs are runboard_analysis' (engine/analysis/leaderboard.h): this file only reads and
// writes.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/predictions.h"
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

struct CompetitionRecord {
    CompetitionId id = 0;
    std::string name, metric, createdAt;
    bool higherIsBetter = true;
    std::int64_t entries = 0;
};

// A competition with its entries, in one transaction; a taken name is refused.
Result<CompetitionId> insertCompetition(Connection& db, const std::string& name,
                                        const std::string& metric, bool higherIsBetter,
                                        const std::vector<BoardEntry>& entries);
Result<std::vector<CompetitionRecord>> listCompetitions(Connection& db);  // newest first
Result<CompetitionRecord> findCompetition(Connection& db, std::string_view name);
Result<std::vector<BoardEntry>> competitionEntries(Connection& db, CompetitionId id);

// The settings rows whose key starts with "leaderboard." (split fraction, seed, metric; as text,
// read by analysis::splitOptions), and competition mode: while it is on, the private part of the
// test set is hidden everywhere.
struct LeaderboardSettings {
    std::map<std::string, std::string> rows;
    bool competitionMode = false;
};
Result<LeaderboardSettings> leaderboardSettings(Connection& db);
// Stores settings rows (key -> value), replacing those with the same keys, in one transaction.
Status setSettings(Connection& db, const std::map<std::string, std::string>& rows);
Result<bool> competitionMode(Connection& db);
Status setCompetitionMode(Connection& db, bool on);

// A finished run's last test evaluation, by sample index, with the probabilities.
struct FinalTest {
    std::int64_t run = 0;
    std::string name;
    std::string finishedAt;  // (created_at for a run without a finish time)
    std::vector<PredictionRecord> predictions;
};
// What an own-runs board is made of: the settings, and every finished run with test predictions.
struct OwnRuns {
    LeaderboardSettings settings;
    std::vector<FinalTest> tests;
};
Result<OwnRuns> ownRuns(Connection& db);

}  // namespace runboard::storage
