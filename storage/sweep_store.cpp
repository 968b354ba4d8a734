#include "storage/sweep_store.h"

#include "storage/values.h"

namespace runboard::storage {

namespace {

constexpr const char* kSweepColumns =
    "SELECT id, name, created_at, config_json, lr_start, lr_end, steps, mode, beta, stop_factor, "
    "stop_step, stop_lr, stop_reason, seconds, "
    "(SELECT count(*) FROM lr_sweep_points p WHERE p.sweep_id = s.id) FROM lr_sweeps s";

Error notFound(SweepId id) {
    return Error{ErrorKind::NotFound, "no LR sweep with id " + std::to_string(id)};
}

SweepRecord readSweep(const Statement& s) {
    SweepRecord r;
    r.id = s.get<SweepId>(0);
    r.name = s.get<std::string>(1);
    r.createdAt = s.get<std::string>(2);
    r.configJson = s.get<std::string>(3);
    r.start = s.get<double>(4);
    r.end = s.get<double>(5);
    r.steps = s.get<std::int64_t>(6);
    r.mode = s.get<std::string>(7);
    r.beta = s.get<double>(8);
    r.stopFactor = s.get<double>(9);
    r.stopStep = s.get<std::int64_t>(10);
    r.stopLr = s.get<double>(11);
    r.stopReason = s.get<std::string>(12);
    r.seconds = s.get<double>(13);
    r.pointCount = s.get<std::int64_t>(14);
    return r;
}

// The sweeps with their suggestions (one query for the suggestions of every sweep read).
Result<std::vector<SweepRecord>> withSuggestions(Connection& db, std::vector<SweepRecord> sweeps) {
    auto s = db.prepare("SELECT rule, lr, step FROM lr_sweep_suggestions WHERE sweep_id = ?");
    if (!s) return s.error();
    for (SweepRecord& r : sweeps) {
        s->bind(1, r.id);
        auto rows = collectRows(s.value(), [](const Statement& st) {
            return SweepSuggestionRow{st.get<std::string>(0), st.get<double>(1),
                                      st.get<std::int64_t>(2)};
        });
        if (!rows) return rows.error();
        r.suggestions = std::move(rows.value());
    }
    return sweeps;
}

}  // namespace

Result<SweepId> insertSweep(Connection& db, const NewSweep& w) {
    Transaction tx(db);
    if (!tx.begun()) return tx.begun().error();
    if (auto r = db.exec("INSERT INTO lr_sweeps (name, config_json, lr_start, lr_end, steps, mode, "
                         "beta, stop_factor, stop_step, stop_lr, stop_reason, seconds) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         w.name, w.configJson, w.start, w.end, w.steps, w.mode, w.beta,
                         w.stopFactor, w.stopStep, w.stopLr, w.stopReason, w.seconds);
        !r)
        return r.error();
    const SweepId id = db.lastInsertId();

    auto p = db.prepare(
        "INSERT INTO lr_sweep_points (sweep_id, step, lr, loss, loss_nonfinite, smoothed, "
        "smoothed_nonfinite) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!p) return p.error();
    for (const SweepPointRow& pt : w.points)
        if (auto r = p->bindAll(id, pt.step, pt.lr, finiteOrNull(pt.loss), nonFiniteKind(pt.loss),
                                finiteOrNull(pt.smoothed), nonFiniteKind(pt.smoothed))
                         .run();
            !r)
            return r.error();
    auto g = db.prepare(
        "INSERT INTO lr_sweep_suggestions (sweep_id, rule, lr, step) VALUES (?, ?, ?, ?)");
    if (!g) return g.error();
    for (const SweepSuggestionRow& sg : w.suggestions)
        if (auto r = g->bindAll(id, sg.rule, sg.lr, sg.step).run(); !r) return r.error();
    return tx.commit().transform([id] { return id; });
}

Result<std::vector<SweepRecord>> listSweeps(Connection& db) {
    return db.rows(std::string(kSweepColumns) + " ORDER BY id DESC", readSweep)
        .and_then(
            [&](std::vector<SweepRecord> rows) { return withSuggestions(db, std::move(rows)); });
}

Result<SweepRecord> sweepRecord(Connection& db, SweepId id) {
    return db.rows(std::string(kSweepColumns) + " WHERE id = ?", readSweep, id)
        .and_then(
            [&](std::vector<SweepRecord> rows) { return withSuggestions(db, std::move(rows)); })
        .and_then([&](std::vector<SweepRecord> rows) -> Result<SweepRecord> {
            if (rows.empty()) return notFound(id);
            return std::move(rows.front());
        });
}

Result<std::vector<SweepPointRow>> sweepPoints(Connection& db, SweepId id) {
    return db.rows(
        "SELECT step, lr, loss, loss_nonfinite, smoothed, smoothed_nonfinite FROM lr_sweep_points "
        "WHERE sweep_id = ? ORDER BY step",
        [](const Statement& st) {
            return SweepPointRow{st.get<std::int64_t>(0), st.get<double>(1),
                                 decode(st.get<double>(2), st.get<std::int64_t>(3)),
                                 decode(st.get<double>(4), st.get<std::int64_t>(5))};
        },
        id);
}

Status renameSweep(Connection& db, SweepId id, const std::string& name) {
    if (auto r = db.exec("UPDATE lr_sweeps SET name = ? WHERE id = ?", name, id); !r) return r;
    if (db.changes() == 0) return notFound(id);
    return {};
}

Status deleteSweep(Connection& db, SweepId id) {
    if (auto r = db.exec("DELETE FROM lr_sweeps WHERE id = ?", id); !r) return r;
    if (db.changes() == 0) return notFound(id);
    return {};
}

}  // namespace runboard::storage
