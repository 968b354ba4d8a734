#include "storage/leaderboard.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <numeric>

#include "storage/csv.h"
#include "storage/values.h"

namespace runboard::storage {

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

Result<KaggleFile> parseKaggleLeaderboard(std::string_view text, const std::string& fileName) {
    auto notKaggle = [&](const std::string& why) {
        return Error{ErrorKind::InvalidArgument,
                     "'" + fileName + "' is not a Kaggle leaderboard CSV: " + why};
    };
    auto records = parseCsv(text);
    if (!records) return notKaggle(records.error().message);
    if (records->empty()) return notKaggle("the file is empty");
    const std::vector<std::string> expected = {"TeamId", "TeamName", "SubmissionDate", "Score"};
    const auto& header = records->front().fields;
    if (header != expected) {
        std::string got;
        for (std::size_t i = 0; i < header.size() && i < 6; ++i) {
            if (i > 0) got += ',';  // (not `"," + s`: GCC 12 reports a false -Wrestrict)
            got.append(header[i], 0, 40);
        }
        return notKaggle("expected the header TeamId,TeamName,SubmissionDate,Score, got '" + got +
                         "'");
    }
    KaggleFile file;
    for (std::size_t r = 1; r < records->size(); ++r) {
        const CsvRecord& rec = (*records)[r];
        const std::string where = "line " + std::to_string(rec.line) + ": ";
        if (rec.fields.size() != 4) {
            file.skipped.push_back(where + "expected 4 fields, got " +
                                   std::to_string(rec.fields.size()));
            continue;
        }
        std::string_view scoreText = rec.fields[3];
        while (!scoreText.empty() && (scoreText.front() == ' ' || scoreText.front() == '\t'))
            scoreText.remove_prefix(1);
        while (!scoreText.empty() && (scoreText.back() == ' ' || scoreText.back() == '\t'))
            scoreText.remove_suffix(1);
        double score = 0;
        const char* begin = scoreText.data();
        const char* end = begin + scoreText.size();
        const auto [ptr, ec] = std::from_chars(begin, end, score);
        if (scoreText.empty() || ec != std::errc() || ptr != end || !std::isfinite(score)) {
            file.skipped.push_back(where + "the score '" + std::string(scoreText.substr(0, 40)) +
                                   "' is not a number");
            continue;
        }
        if (rec.fields[0].empty() && rec.fields[1].empty()) {
            file.skipped.push_back(where + "no TeamId and no TeamName");
            continue;
        }
        file.rows.push_back({rec.line, rec.fields[0], rec.fields[1], rec.fields[2], score});
    }
    // One row per team: the private file is matched to the public one by TeamId (else by
    // TeamName), so a second row with the same key would take a score that is not its own (the
    // second team lost its private score). Refused, naming both lines.
    std::map<std::string, std::size_t> lineOfId, lineOfName;
    for (const KaggleRow& r : file.rows) {
        const bool byId = !r.teamId.empty();
        auto [it, fresh] =
            (byId ? lineOfId : lineOfName).emplace(byId ? r.teamId : r.teamName, r.line);
        if (fresh) continue;
        return Error{ErrorKind::InvalidArgument,
                     "'" + fileName + "' has " + (byId ? "TeamId '" : "TeamName '") +
                         (byId ? r.teamId : r.teamName).substr(0, 80) + "'" +
                         (byId ? "" : " without a TeamId") + " twice (lines " +
                         std::to_string(it->second) + " and " + std::to_string(r.line) +
                         "): a leaderboard has one row per team, and the second one's scores "
                         "would be matched to the first"};
    }
    if (file.rows.empty())
        return notKaggle("no row has a numeric score" + (file.skipped.empty()
                                                             ? std::string()
                                                             : " (" + file.skipped.front() + ")"));
    return file;
}

std::vector<BoardEntry> mergeKaggle(const KaggleFile& publicFile, const KaggleFile& privateFile) {
    std::vector<BoardEntry> out;
    std::map<std::string, std::size_t> byId, byName;
    for (const KaggleRow& r : publicFile.rows) {
        BoardEntry e{r.teamId, r.teamName, std::nullopt, r.submittedAt, r.score, std::nullopt};
        if (!r.teamId.empty()) byId.emplace(r.teamId, out.size());
        if (!r.teamName.empty()) byName.emplace(r.teamName, out.size());
        out.push_back(std::move(e));
    }
    for (const KaggleRow& r : privateFile.rows) {
        std::optional<std::size_t> match;
        if (auto f = byId.find(r.teamId); !r.teamId.empty() && f != byId.end()) match = f->second;
        if (auto f = byName.find(r.teamName); !match && !r.teamName.empty() && f != byName.end())
            match = f->second;
        if (match && !out[*match].privateScore) {
            out[*match].privateScore = r.score;
            continue;
        }
        out.push_back({r.teamId, r.teamName, std::nullopt, r.submittedAt, std::nullopt, r.score});
    }
    return out;
}

Result<CompetitionId> insertCompetition(Connection& db, const std::string& name,
                                        const std::string& metric, bool higherIsBetter,
                                        const std::vector<BoardEntry>& entries) {
    if (name.empty()) return Error{ErrorKind::InvalidArgument, "a competition needs a name"};
    if (auto existing = findCompetition(db, name); existing)
        return Error{ErrorKind::InvalidArgument, "a competition named '" + name +
                                                     "' exists already (id " +
                                                     std::to_string(existing->id) + ")"};
    Transaction tx(db);
    if (!tx.begun()) return tx.begun().error();
    auto c =
        db.prepare("INSERT INTO competitions (name, metric, higher_is_better) VALUES (?, ?, ?)");
    if (!c) return c.error();
    c->bind(1, name).bind(2, metric).bind(3, higherIsBetter ? 1 : 0);
    if (auto r = c->run(); !r) return r.error();
    const CompetitionId id = db.lastInsertId();
    auto s = db.prepare(
        "INSERT INTO submissions (competition_id, run_id, team_id, team_name, submitted_at, "
        "public_score, private_score) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!s) return s.error();
    for (const BoardEntry& e : entries) {
        s->bind(1, id);
        if (e.run)
            s->bind(2, *e.run);
        else
            s->bindNull(2);
        s->bind(3, e.teamId).bind(4, e.name).bind(5, e.submittedAt);
        if (e.publicScore)
            s->bind(6, *e.publicScore);
        else
            s->bindNull(6);
        if (e.privateScore)
            s->bind(7, *e.privateScore);
        else
            s->bindNull(7);
        if (auto r = s->run(); !r) return r.error();
    }
    if (auto r = tx.commit(); !r) return r.error();
    return id;
}

namespace {
constexpr const char* kCompetitionColumns =
    "SELECT id, name, metric, higher_is_better, created_at, "
    "(SELECT count(*) FROM submissions s WHERE s.competition_id = c.id) FROM competitions c";

CompetitionRecord readCompetition(const Statement& s) {
    return {s.columnInt64(0), s.columnText(1),       s.columnText(2),
            s.columnText(4),  s.columnInt64(3) != 0, s.columnInt64(5)};
}
}  // namespace

Result<std::vector<CompetitionRecord>> listCompetitions(Connection& db) {
    auto s = db.prepare(std::string(kCompetitionColumns) + " ORDER BY id DESC");
    if (!s) return s.error();
    return collectRows(s.value(), readCompetition);
}

Result<CompetitionRecord> findCompetition(Connection& db, std::string_view name) {
    auto s = db.prepare(std::string(kCompetitionColumns) + " WHERE name = ?");
    if (!s) return s.error();
    s->bind(1, name);
    auto rows = collectRows(s.value(), readCompetition);
    if (!rows) return rows.error();
    if (rows->empty())
        return Error{ErrorKind::NotFound, "no competition named '" + std::string(name) + "'"};
    return std::move(rows->front());
}

Result<std::vector<BoardEntry>> competitionEntries(Connection& db, CompetitionId id) {
    auto s = db.prepare(
        "SELECT team_id, team_name, run_id, submitted_at, public_score, private_score "
        "FROM submissions WHERE competition_id = ? ORDER BY id");
    if (!s) return s.error();
    s->bind(1, id);
    return collectRows(s.value(), [](const Statement& st) {
        BoardEntry e;
        e.teamId = st.columnText(0);
        e.name = st.columnText(1);
        if (!st.columnIsNull(2)) e.run = st.columnInt64(2);
        e.submittedAt = st.columnText(3);
        if (!st.columnIsNull(4)) e.publicScore = st.columnDouble(4);
        if (!st.columnIsNull(5)) e.privateScore = st.columnDouble(5);
        return e;
    });
}

std::string_view toString(OwnMetric metric) {
    switch (metric) {
        case OwnMetric::Accuracy:
            return "accuracy";
        case OwnMetric::MacroF1:
            return "macro-f1";
        case OwnMetric::LogLoss:
            return "logloss";
    }
    return "?";
}

std::optional<OwnMetric> parseOwnMetric(std::string_view text) {
    for (OwnMetric m : {OwnMetric::Accuracy, OwnMetric::MacroF1, OwnMetric::LogLoss})
        if (toString(m) == text) return m;
    return std::nullopt;
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

Result<SplitOptions> ownSplit(Connection& db) {
    auto s = db.prepare("SELECT key, value FROM settings WHERE key LIKE 'leaderboard.%'");
    if (!s) return s.error();
    auto rows = collectRows(s.value(), [](const Statement& st) {
        return std::pair(st.columnText(0), st.columnText(1));
    });
    if (!rows) return rows.error();
    SplitOptions split;
    for (const auto& [key, value] : rows.value()) {
        if (key == "leaderboard.public_fraction") split.publicFraction = std::stod(value);
        if (key == "leaderboard.split_seed") split.seed = std::stoull(value);
        if (key == "leaderboard.metric")
            split.metric = parseOwnMetric(value).value_or(OwnMetric::Accuracy);
    }
    return split;
}

Status setOwnSplit(Connection& db, const SplitOptions& split) {
    if (!(split.publicFraction > 0 && split.publicFraction < 1))
        return Error{ErrorKind::InvalidArgument,
                     "the public fraction must be between 0 and 1 (exclusive), got " +
                         std::to_string(split.publicFraction)};
    Transaction tx(db);
    if (!tx.begun()) return tx.begun();
    auto s = db.prepare("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)");
    if (!s) return s.error();
    char fraction[32];
    std::snprintf(fraction, sizeof fraction, "%.17g", split.publicFraction);
    for (const auto& [key, value] :
         {std::pair<std::string, std::string>{"leaderboard.public_fraction", fraction},
          {"leaderboard.split_seed", std::to_string(split.seed)},
          {"leaderboard.metric", std::string(toString(split.metric))}}) {
        s->bind(1, key).bind(2, value);
        if (auto r = s->run(); !r) return r;
    }
    return tx.commit();
}

Result<std::vector<BoardEntry>> ownRunEntries(Connection& db, const SplitOptions& split) {
    auto runs = db.prepare(
        "SELECT r.id, r.name, COALESCE(r.finished_at, r.created_at), "
        "(SELECT max(epoch) FROM predictions p WHERE p.run_id = r.id AND p.split = 'test') "
        "FROM runs r WHERE r.status = 'finished' ORDER BY r.id");
    if (!runs) return runs.error();
    struct RunRow {
        std::int64_t id;
        std::string name, finished;
        std::optional<std::int64_t> epoch;
    };
    auto rows = collectRows(runs.value(), [](const Statement& st) {
        return RunRow{st.columnInt64(0), st.columnText(1), st.columnText(2),
                      st.columnIsNull(3) ? std::nullopt : std::optional(st.columnInt64(3))};
    });
    if (!rows) return rows.error();
    auto preds = db.prepare(
        "SELECT sample_index, target, predicted, probs FROM predictions "
        "WHERE run_id = ? AND split = 'test' AND epoch = ?");
    if (!preds) return preds.error();
    std::vector<BoardEntry> out;
    for (const RunRow& r : rows.value()) {
        if (!r.epoch) continue;  // no test predictions: nothing to score
        preds->bind(1, r.id).bind(2, *r.epoch);
        std::vector<ScoredSample> pub, priv;
        for (;;) {
            auto row = preds->step();
            if (!row) return row.error();
            if (!row.value()) break;
            ScoredSample s;
            s.target = static_cast<std::int32_t>(preds->columnInt64(1));
            s.predicted = static_cast<std::int32_t>(preds->columnInt64(2));
            const auto blob = preds->columnBlob(3);
            s.probs.resize(blob.size() / sizeof(float));
            std::memcpy(s.probs.data(), blob.data(), s.probs.size() * sizeof(float));
            (isPublic(preds->columnInt64(0), split) ? pub : priv).push_back(std::move(s));
        }
        preds->reset();
        BoardEntry e;
        e.name = "#" + std::to_string(r.id) + " " + r.name;
        e.run = r.id;
        e.submittedAt = r.finished;
        e.publicScore = scoreSamples(pub, split.metric);
        e.privateScore = scoreSamples(priv, split.metric);
        out.push_back(std::move(e));
    }
    return out;
}

CompetitionRecord ownCompetition(const SplitOptions& split, std::int64_t entries) {
    char name[96];
    std::snprintf(name, sizeof name, "own runs, %.0f%% public, seed %llu",
                  split.publicFraction * 100, static_cast<unsigned long long>(split.seed));
    return {0,      name, std::string(toString(split.metric)), "", higherIsBetter(split.metric),
            entries};
}

Result<bool> competitionMode(Connection& db) {
    auto s = db.prepare("SELECT value FROM settings WHERE key = 'leaderboard.competition_mode'");
    if (!s) return s.error();
    auto rows = collectRows(s.value(), [](const Statement& st) { return st.columnText(0); });
    if (!rows) return rows.error();
    return !rows->empty() && rows->front() == "on";
}

Status setCompetitionMode(Connection& db, bool on) {
    auto s = db.prepare(
        "INSERT OR REPLACE INTO settings (key, value) VALUES ('leaderboard.competition_mode', ?)");
    if (!s) return s.error();
    s->bind(1, on ? "on" : "off");
    return s->run();
}

bool isTestMetric(std::string_view key) {
    return key.starts_with("test/");
}

Result<PublicTest> publicTestMetrics(Connection& db, std::int64_t run, const SplitOptions& split) {
    auto s = db.prepare(
        "SELECT sample_index, target, predicted, loss, loss_nonfinite FROM predictions "
        "WHERE run_id = ?1 AND split = 'test' AND epoch = (SELECT max(epoch) FROM predictions "
        "WHERE run_id = ?1 AND split = 'test')");
    if (!s) return s.error();
    s->bind(1, run);
    double n = 0, right = 0, loss = 0;
    for (;;) {
        auto row = s->step();
        if (!row) return row.error();
        if (!row.value()) break;
        if (!isPublic(s->columnInt64(0), split)) continue;
        n += 1;
        right += s->columnInt64(1) == s->columnInt64(2) ? 1 : 0;
        loss += decode(s->columnDouble(3), s->columnInt64(4));
    }
    s->reset();
    PublicTest out;
    if (n > 0) {
        out.accuracy = right / n;
        out.loss = loss / n;
    }
    return out;
}

Status maskTestMetrics(Connection& db, std::int64_t run, const SplitOptions& split,
                       std::map<std::string, double>& metrics) {
    bool any = false;
    for (auto it = metrics.begin(); it != metrics.end();) {
        if (isTestMetric(it->first)) {
            it = metrics.erase(it);
            any = true;
        } else {
            ++it;
        }
    }
    if (!any) return {};
    auto pub = publicTestMetrics(db, run, split);
    if (!pub) return pub.error();
    if (pub->accuracy) metrics["test/accuracy"] = *pub->accuracy;
    if (pub->loss) metrics["test/loss"] = *pub->loss;
    return {};
}

Result<PrivateTestMask> PrivateTestMask::load(Connection& db) {
    PrivateTestMask mask;
    auto on = competitionMode(db);
    if (!on) return on.error();
    mask.on_ = on.value();
    if (mask.on_) {
        auto split = ownSplit(db);
        if (!split) return split.error();
        mask.split_ = split.value();
    }
    return mask;
}

Status PrivateTestMask::apply(Connection& db, std::int64_t run,
                              std::map<std::string, double>& metrics) const {
    return on_ ? maskTestMetrics(db, run, split_, metrics) : Status{};
}

Result<OwnBoard> ownBoard(Connection& db, const SplitOptions& split) {
    auto entries = ownRunEntries(db, split);
    if (!entries) return entries.error();
    auto mode = competitionMode(db);
    if (!mode) return mode.error();
    OwnBoard board;
    board.record = ownCompetition(split, static_cast<std::int64_t>(entries->size()));
    board.entries = std::move(entries.value());
    board.privateHidden = mode.value();
    if (board.privateHidden) {
        for (auto& e : board.entries)
            e.privateScore.reset();
        board.record.name += "; private hidden (competition mode)";
    }
    return board;
}

}  // namespace runboard::storage
