#include "engine/analysis/leaderboard.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

namespace runboard::analysis {

std::optional<double> median(std::vector<double> values) {
    if (values.empty()) return std::nullopt;
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

namespace {

// Ranks 1..n of the entries that have a score on one side: the better score first, ties to the
// earlier submission (then the name, so that the order is total).
std::vector<std::optional<int>> ranks(const std::vector<BoardEntry>& entries,
                                      std::optional<double> BoardEntry::*side, bool higher) {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < entries.size(); ++i)
        if (entries[i].*side) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const double x = *(entries[a].*side), y = *(entries[b].*side);
        if (x != y) return higher ? x > y : x < y;
        if (entries[a].submittedAt != entries[b].submittedAt)
            return entries[a].submittedAt < entries[b].submittedAt;
        return entries[a].name < entries[b].name;
    });
    std::vector<std::optional<int>> out(entries.size());
    for (std::size_t r = 0; r < order.size(); ++r)
        out[order[r]] = static_cast<int>(r) + 1;
    return out;
}

SideSummary summarize(const std::vector<BoardEntry>& entries,
                      std::optional<double> BoardEntry::*side, bool higher) {
    std::vector<double> values;
    for (const auto& e : entries)
        if (e.*side) values.push_back(*(e.*side));
    SideSummary s;
    s.count = static_cast<int>(values.size());
    s.median = median(values);
    if (!values.empty())
        s.best = higher ? *std::max_element(values.begin(), values.end())
                        : *std::min_element(values.begin(), values.end());
    return s;
}

}  // namespace

Board rankBoard(std::vector<BoardEntry> entries, bool higherIsBetter) {
    Board board;
    board.higherIsBetter = higherIsBetter;
    const auto pub = ranks(entries, &BoardEntry::publicScore, higherIsBetter);
    const auto priv = ranks(entries, &BoardEntry::privateScore, higherIsBetter);
    board.publicSide = summarize(entries, &BoardEntry::publicScore, higherIsBetter);
    board.privateSide = summarize(entries, &BoardEntry::privateScore, higherIsBetter);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        BoardRow row{std::move(entries[i]), pub[i], priv[i], std::nullopt};
        if (row.publicRank && row.privateRank) row.shift = *row.publicRank - *row.privateRank;
        board.rows.push_back(std::move(row));
    }
    static constexpr int kLast = 1 << 30;
    std::sort(board.rows.begin(), board.rows.end(), [](const BoardRow& a, const BoardRow& b) {
        const int pa = a.publicRank.value_or(kLast), pb = b.publicRank.value_or(kLast);
        if (pa != pb) return pa < pb;
        const int qa = a.privateRank.value_or(kLast), qb = b.privateRank.value_or(kLast);
        if (qa != qb) return qa < qb;
        return a.entry.name < b.entry.name;
    });
    return board;
}

bool higherIsBetter(OwnMetric metric) {
    return metric != OwnMetric::LogLoss;
}

bool isPublic(std::int64_t sampleIndex, const SplitOptions& split) {
    // splitmix64 of (index, seed): independent of any library's random engine.
    std::uint64_t z = static_cast<std::uint64_t>(sampleIndex) + split.seed * 0x9E3779B97F4A7C15ull +
                      0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53 < split.publicFraction;
}

std::optional<double> scoreSamples(const std::vector<ScoredSample>& samples, OwnMetric metric) {
    if (samples.empty()) return std::nullopt;
    const double n = static_cast<double>(samples.size());
    switch (metric) {
        case OwnMetric::Accuracy: {
            double right = 0;
            for (const auto& s : samples)
                right += s.target == s.predicted ? 1 : 0;
            return right / n;
        }
        case OwnMetric::LogLoss: {
            double sum = 0;
            for (const auto& s : samples) {
                const auto t = static_cast<std::size_t>(s.target);
                const double p = t < s.probs.size() ? static_cast<double>(s.probs[t]) : 0.0;
                sum -= std::log(std::clamp(p, 1e-15, 1.0));
            }
            return sum / n;
        }
        case OwnMetric::MacroF1: {
            // Over the classes that occur as targets or predictions.
            std::map<std::int32_t, std::array<double, 3>> counts;  // tp, fp, fn
            for (const auto& s : samples) {
                if (s.target == s.predicted) {
                    counts[s.target][0] += 1;
                } else {
                    counts[s.predicted][1] += 1;
                    counts[s.target][2] += 1;
                }
            }
            double sum = 0;
            for (const auto& [cls, c] : counts) {
                const double denom = 2 * c[0] + c[1] + c[2];
                sum += denom > 0 ? 2 * c[0] / denom : 0.0;
            }
            return sum / static_cast<double>(counts.size());
        }
    }
    return std::nullopt;
}

SplitOptions splitOptions(const storage::LeaderboardSettings& settings) {
    SplitOptions split;
    for (const auto& [key, value] : settings.rows) {
        if (key == "leaderboard.public_fraction") split.publicFraction = std::stod(value);
        if (key == "leaderboard.split_seed") split.seed = std::stoull(value);
        if (key == "leaderboard.metric")
            split.metric = kOwnMetricNames.parse(value).value_or(OwnMetric::Accuracy);
    }
    return split;
}

Result<std::map<std::string, std::string>> splitSettings(const SplitOptions& split) {
    if (!(split.publicFraction > 0 && split.publicFraction < 1))
        return Error{ErrorKind::InvalidArgument,
                     "the public fraction must be between 0 and 1 (exclusive), got " +
                         std::to_string(split.publicFraction)};
    return std::map<std::string, std::string>{
        {"leaderboard.public_fraction", fmt::format("{:.17g}", split.publicFraction)},
        {"leaderboard.split_seed", std::to_string(split.seed)},
        {"leaderboard.metric", std::string(toString(split.metric))}};
}

std::vector<BoardEntry> ownRunEntries(const std::vector<storage::FinalTest>& runs,
                                      const SplitOptions& split) {
    std::vector<BoardEntry> out;
    for (const storage::FinalTest& r : runs) {
        std::vector<ScoredSample> pub, priv;
        for (const storage::PredictionRecord& p : r.predictions)
            (isPublic(p.sampleIndex, split) ? pub : priv)
                .push_back({p.target, p.predicted, p.probs});
        BoardEntry e;
        e.name = fmt::format("#{} {}", r.run, r.name);
        e.run = r.run;
        e.submittedAt = r.finishedAt;
        e.publicScore = scoreSamples(pub, split.metric);
        e.privateScore = scoreSamples(priv, split.metric);
        out.push_back(std::move(e));
    }
    return out;
}

CompetitionRecord ownCompetition(const SplitOptions& split, std::int64_t entries) {
    const std::string name =
        fmt::format("own runs, {:.0f}% public, seed {}", split.publicFraction * 100, split.seed);
    return {0,      name, std::string(toString(split.metric)), "", higherIsBetter(split.metric),
            entries};
}

OwnBoard ownBoard(const storage::OwnRuns& runs, const SplitOptions& split) {
    OwnBoard board;
    board.entries = ownRunEntries(runs.tests, split);
    board.record = ownCompetition(split, static_cast<std::int64_t>(board.entries.size()));
    board.privateHidden = runs.settings.competitionMode;
    if (board.privateHidden) {
        for (auto& e : board.entries)
            e.privateScore.reset();
        board.record.name += "; private hidden (competition mode)";
    }
    return board;
}

OwnBoard ownBoard(const storage::OwnRuns& runs) {
    return ownBoard(runs, splitOptions(runs.settings));
}

}  // namespace runboard::analysis
