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
    r.id = s.columnInt64(0);
    r.name = s.columnText(1);
    r.createdAt = s.columnText(2);
    r.configJson = s.columnText(3);
    r.start = s.columnDouble(4);
    r.end = s.columnDouble(5);
    r.steps = s.columnInt64(6);
    r.mode = s.columnText(7);
    r.beta = s.columnDouble(8);
    r.stopFactor = s.columnDouble(9);
    r.stopStep = s.columnInt64(10);
    r.stopLr = s.columnDouble(11);
    r.stopReason = s.columnText(12);
    r.seconds = s.columnDouble(13);
    r.pointCount = s.columnInt64(14);
    return r;
}

Status loadSuggestions(Connection& db, std::vector<SweepRecord>& sweeps) {
    auto s = db.prepare("SELECT rule, lr, step FROM lr_sweep_suggestions WHERE sweep_id = ?");
    if (!s) return s.error();
    for (SweepRecord& r : sweeps) {
        s->bind(1, r.id);
        auto rows = collectRows(s.value(), [](const Statement& st) {
            return SweepSuggestionRow{st.columnText(0), st.columnDouble(1), st.columnInt64(2)};
        });
        if (!rows) return rows.error();
        r.suggestions = std::move(rows.value());
    }
    return {};
}

}  // namespace

Result<SweepId> insertSweep(Connection& db, const NewSweep& w) {
    Transaction tx(db);
    if (!tx.begun()) return tx.begun().error();
    auto s = db.prepare(
        "INSERT INTO lr_sweeps (name, config_json, lr_start, lr_end, steps, mode, beta, "
        "stop_factor, stop_step, stop_lr, stop_reason, seconds) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s) return s.error();
    s->bind(1, w.name)
        .bind(2, w.configJson)
        .bind(3, w.start)
        .bind(4, w.end)
        .bind(5, w.steps)
        .bind(6, w.mode)
        .bind(7, w.beta)
        .bind(8, w.stopFactor)
        .bind(9, w.stopStep)
        .bind(10, w.stopLr)
        .bind(11, w.stopReason)
        .bind(12, w.seconds);
    if (auto r = s->run(); !r) return r.error();
    const SweepId id = db.lastInsertId();

    auto p = db.prepare(
        "INSERT INTO lr_sweep_points (sweep_id, step, lr, loss, loss_nonfinite, smoothed, "
        "smoothed_nonfinite) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!p) return p.error();
    auto bindValue = [&](int col, double v) {
        const NonFinite kind = classify(v);
        if (kind == NonFinite::Finite)
            p->bind(col, v);
        else
            p->bindNull(col);
        p->bind(col + 1, static_cast<std::int64_t>(kind));
    };
    for (const SweepPointRow& pt : w.points) {
        p->bind(1, id).bind(2, pt.step).bind(3, pt.lr);
        bindValue(4, pt.loss);
        bindValue(6, pt.smoothed);
        if (auto r = p->run(); !r) return r.error();
    }
    auto g = db.prepare(
        "INSERT INTO lr_sweep_suggestions (sweep_id, rule, lr, step) VALUES (?, ?, ?, ?)");
    if (!g) return g.error();
    for (const SweepSuggestionRow& sg : w.suggestions) {
        g->bind(1, id).bind(2, sg.rule).bind(3, sg.lr).bind(4, sg.step);
        if (auto r = g->run(); !r) return r.error();
    }
    if (auto c = tx.commit(); !c) return c.error();
    return id;
}

Result<std::vector<SweepRecord>> listSweeps(Connection& db) {
    auto s = db.prepare(std::string(kSweepColumns) + " ORDER BY id DESC");
    if (!s) return s.error();
    auto rows = collectRows(s.value(), readSweep);
    if (!rows) return rows.error();
    if (auto st = loadSuggestions(db, rows.value()); !st) return st.error();
    return rows;
}

Result<SweepRecord> sweepRecord(Connection& db, SweepId id) {
    auto s = db.prepare(std::string(kSweepColumns) + " WHERE id = ?");
    if (!s) return s.error();
    s->bind(1, id);
    auto rows = collectRows(s.value(), readSweep);
    if (!rows) return rows.error();
    if (rows->empty()) return notFound(id);
    if (auto st = loadSuggestions(db, rows.value()); !st) return st.error();
    return std::move(rows->front());
}

Result<std::vector<SweepPointRow>> sweepPoints(Connection& db, SweepId id) {
    auto s = db.prepare(
        "SELECT step, lr, loss, loss_nonfinite, smoothed, smoothed_nonfinite FROM lr_sweep_points "
        "WHERE sweep_id = ? ORDER BY step");
    if (!s) return s.error();
    s->bind(1, id);
    return collectRows(s.value(), [](const Statement& st) {
        return SweepPointRow{st.columnInt64(0), st.columnDouble(1),
                             decode(st.columnDouble(2), st.columnInt64(3)),
                             decode(st.columnDouble(4), st.columnInt64(5))};
    });
}

Status renameSweep(Connection& db, SweepId id, const std::string& name) {
    auto s = db.prepare("UPDATE lr_sweeps SET name = ? WHERE id = ?");
    if (!s) return s.error();
    s->bind(1, name).bind(2, id);
    if (auto r = s->run(); !r) return r;
    if (db.changes() == 0) return notFound(id);
    return {};
}

Status deleteSweep(Connection& db, SweepId id) {
    auto s = db.prepare("DELETE FROM lr_sweeps WHERE id = ?");
    if (!s) return s.error();
    s->bind(1, id);
    if (auto r = s->run(); !r) return r;
    if (db.changes() == 0) return notFound(id);
    return {};
}

}  // namespace runboard::storage
