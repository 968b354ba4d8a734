#include "storage/leaderboard.h"

namespace runboard::storage {

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
    if (auto c =
            db.exec("INSERT INTO competitions (name, metric, higher_is_better) VALUES (?, ?, ?)",
                    name, metric, higherIsBetter);
        !c)
        return c.error();
    const CompetitionId id = db.lastInsertId();
    auto s = db.prepare(
        "INSERT INTO submissions (competition_id, run_id, team_id, team_name, submitted_at, "
        "public_score, private_score) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!s) return s.error();
    for (const BoardEntry& e : entries)
        if (auto r = s->bindAll(id, e.run, e.teamId, e.name, e.submittedAt, e.publicScore,
                                e.privateScore)
                         .run();
            !r)
            return r.error();
    return tx.commit().transform([id] { return id; });
}

namespace {
constexpr std::string_view kCompetitionColumns =
    "SELECT id, name, metric, higher_is_better, created_at, "
    "(SELECT count(*) FROM submissions s WHERE s.competition_id = c.id) FROM competitions c";

CompetitionRecord readCompetition(const Statement& s) {
    return {s.get<std::int64_t>(0), s.get<std::string>(1), s.get<std::string>(2),
            s.get<std::string>(4),  s.get<bool>(3),        s.get<std::int64_t>(5)};
}
}  // namespace

Result<std::vector<CompetitionRecord>> listCompetitions(Connection& db) {
    return db.rows(std::string(kCompetitionColumns) + " ORDER BY id DESC", readCompetition);
}

Result<CompetitionRecord> findCompetition(Connection& db, std::string_view name) {
    return db.rows(std::string(kCompetitionColumns) + " WHERE name = ?", readCompetition, name)
        .and_then([&](std::vector<CompetitionRecord> rows) -> Result<CompetitionRecord> {
            if (rows.empty())
                return Error{ErrorKind::NotFound,
                             "no competition named '" + std::string(name) + "'"};
            return std::move(rows.front());
        });
}

Result<std::vector<BoardEntry>> competitionEntries(Connection& db, CompetitionId id) {
    return db.rows(
        "SELECT team_id, team_name, run_id, submitted_at, public_score, private_score "
        "FROM submissions WHERE competition_id = ? ORDER BY id",
        [](const Statement& st) {
            return BoardEntry{st.get<std::string>(0),
                              st.get<std::string>(1),
                              st.get<std::optional<std::int64_t>>(2),
                              st.get<std::string>(3),
                              st.get<std::optional<double>>(4),
                              st.get<std::optional<double>>(5)};
        },
        id);
}

Result<LeaderboardSettings> leaderboardSettings(Connection& db) {
    LeaderboardSettings settings;
    return db.query("SELECT key, value FROM settings WHERE key LIKE 'leaderboard.%'")
        .and_then([&](Statement s) {
            return s.forEachRow([&](const Statement& st) {
                settings.rows.emplace(st.get<std::string>(0), st.get<std::string>(1));
            });
        })
        .transform([&] {
            auto mode = settings.rows.find("leaderboard.competition_mode");
            settings.competitionMode = mode != settings.rows.end() && mode->second == "on";
            return std::move(settings);
        });
}

Status setSettings(Connection& db, const std::map<std::string, std::string>& rows) {
    Transaction tx(db);
    if (!tx.begun()) return tx.begun();
    auto s = db.prepare("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)");
    if (!s) return s.error();
    for (const auto& [key, value] : rows)
        if (auto r = s->bindAll(key, value).run(); !r) return r;
    return tx.commit();
}

Result<bool> competitionMode(Connection& db) {
    return leaderboardSettings(db).transform(
        [](const LeaderboardSettings& s) { return s.competitionMode; });
}

Status setCompetitionMode(Connection& db, bool on) {
    return db.exec(
        "INSERT OR REPLACE INTO settings (key, value) VALUES ('leaderboard.competition_mode', ?)",
        on ? "on" : "off");
}

Result<OwnRuns> ownRuns(Connection& db) {
    auto settings = leaderboardSettings(db);
    if (!settings) return settings.error();
    OwnRuns out{std::move(settings.value()), {}};
    struct RunRow {
        std::int64_t id;
        std::string name, finished;
        std::optional<std::int64_t> epoch;
    };
    auto runs = db.rows(
        "SELECT r.id, r.name, COALESCE(r.finished_at, r.created_at), "
        "(SELECT max(epoch) FROM predictions p WHERE p.run_id = r.id AND p.split = 'test') "
        "FROM runs r WHERE r.status = 'finished' ORDER BY r.id",
        [](const Statement& st) {
            return RunRow{st.get<std::int64_t>(0), st.get<std::string>(1), st.get<std::string>(2),
                          st.get<std::optional<std::int64_t>>(3)};
        });
    if (!runs) return runs.error();
    for (RunRow& r : runs.value()) {
        if (!r.epoch) continue;  // no test predictions: nothing to score
        auto preds = readPredictions(db, r.id, "test", *r.epoch);
        if (!preds) return preds.error();
        out.tests.push_back(
            {r.id, std::move(r.name), std::move(r.finished), std::move(preds.value())});
    }
    return out;
}

}  // namespace runboard::storage
