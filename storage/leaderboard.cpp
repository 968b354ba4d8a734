#include "storage/leaderboard.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <numeric>

#include "storage/csv.h"

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

}  // namespace runboard::storage
