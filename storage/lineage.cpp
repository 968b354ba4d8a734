#include "storage/lineage.h"

#include <algorithm>

namespace runboard::storage {

namespace {

// What a run changed against its parent, from the params table: keys with different values or
// only in the run, then keys only in the parent; operational keys (how a run executes, not what
// it learns) are no experiment change. ?1 = the run, or NULL for every run. Before schema
// version 8 params has no `operational` column (the migration to 6 backfills with that form).
std::string changeSetSql(bool operationalColumn) {
    const std::string c = operationalColumn ? " AND c.operational = 0" : "";
    const std::string p = operationalColumn ? " AND p.operational = 0" : "";
    return "INSERT INTO run_changes (run_id, key, parent_value, value) "
           "SELECT r.id, c.key, p.value, c.value FROM runs r JOIN params c ON c.run_id = r.id "
           "LEFT JOIN params p ON p.run_id = r.parent_id AND p.key = c.key "
           "WHERE r.parent_id IS NOT NULL AND (?1 IS NULL OR r.id = ?1) "
           "AND (p.value IS NULL OR p.value <> c.value)" +
           c +
           " UNION ALL "
           "SELECT r.id, p.key, p.value, NULL FROM runs r JOIN params p ON p.run_id = r.parent_id "
           "LEFT JOIN params c ON c.run_id = r.id AND c.key = p.key "
           "WHERE r.parent_id IS NOT NULL AND (?1 IS NULL OR r.id = ?1) AND c.key IS NULL" +
           p;
}

Change readChange(const Statement& s, int first) {
    Change c;
    c.key = s.columnText(first);
    if (!s.columnIsNull(first + 1)) c.from = s.columnText(first + 1);
    if (!s.columnIsNull(first + 2)) c.to = s.columnText(first + 2);
    return c;
}

}  // namespace

std::vector<Change> diffParams(const std::vector<Param>& from, const std::vector<Param>& to) {
    std::map<std::string, Change> byKey;
    for (const Param& p : from)
        byKey[p.key] = {p.key, p.value, std::nullopt};
    for (const Param& p : to)
        byKey[p.key].key = p.key, byKey[p.key].to = p.value;
    std::vector<Change> out;
    for (auto& [key, c] : byKey)
        if (c.from != c.to) out.push_back(std::move(c));
    return out;
}

Status recordChangeSet(Connection& db, RunId run) {
    auto del = db.prepare("DELETE FROM run_changes WHERE run_id = ?");
    if (!del) return del.error();
    del->bind(1, run);
    if (auto s = del->run(); !s) return s;
    auto ins = db.prepare(changeSetSql(true));
    if (!ins) return ins.error();
    ins->bind(1, run);
    return ins->run();
}

Status recordChangeSets(Connection& db, bool operationalColumn) {
    if (auto s = db.exec("DELETE FROM run_changes"); !s) return s;
    auto ins = db.prepare(changeSetSql(operationalColumn));
    if (!ins) return ins.error();
    ins->bindNull(1);
    return ins->run();
}

Result<std::vector<Change>> changeSet(Connection& db, RunId run) {
    auto s = db.prepare(
        "SELECT key, parent_value, value FROM run_changes WHERE run_id = ? ORDER BY key");
    if (!s) return s.error();
    s->bind(1, run);
    return collectRows(s.value(), [](const Statement& st) { return readChange(st, 0); });
}

Result<std::map<RunId, std::vector<Change>>> allChangeSets(Connection& db) {
    auto s =
        db.prepare("SELECT run_id, key, parent_value, value FROM run_changes ORDER BY run_id, key");
    if (!s) return s.error();
    std::map<RunId, std::vector<Change>> out;
    while (true) {
        auto row = s->step();
        if (!row) return row.error();
        if (!row.value()) break;
        out[s->columnInt64(0)].push_back(readChange(s.value(), 1));
    }
    return out;
}

std::string changeWarning(const std::vector<Change>& changes) {
    if (changes.size() < 2) return {};
    std::string keys;
    for (const Change& c : changes) {
        if (!keys.empty()) keys.append(", ");
        keys.append(c.key);
    }
    std::string text = std::to_string(changes.size());
    text.append(" changes: ")
        .append(keys)
        .append(" \u2014 this comparison can't tell which one helped");
    return text;
}

Status joinGroup(Connection& db, RunId group, RunId run) {
    auto s = db.prepare("UPDATE runs SET group_id = ? WHERE id = ?");
    if (!s) return s.error();
    s->bind(1, group).bind(2, run);
    if (auto r = s->run(); !r) return r;
    if (db.changes() == 0)
        return Error{ErrorKind::NotFound, "no run with id " + std::to_string(run)};
    return {};
}

Result<std::vector<RunId>> groupMembers(Connection& db, RunId group) {
    auto s = db.prepare("SELECT id FROM runs WHERE group_id = ? ORDER BY id");
    if (!s) return s.error();
    s->bind(1, group);
    return collectRows(s.value(), [](const Statement& st) { return st.columnInt64(0); });
}

}  // namespace runboard::storage
