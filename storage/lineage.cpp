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
    return {s.get<std::string>(first), s.get<std::optional<std::string>>(first + 1),
            s.get<std::optional<std::string>>(first + 2)};
}

}  // namespace

std::vector<Change> diffParams(const std::vector<Param>& from, const std::vector<Param>& to) {
    std::map<std::string, Change> byKey;
    for (const Param& p : from)
        if (!p.operational) byKey[p.key] = {p.key, p.value, std::nullopt};
    for (const Param& p : to)
        if (!p.operational) byKey[p.key].key = p.key, byKey[p.key].to = p.value;
    std::vector<Change> out;
    for (auto& [key, c] : byKey)
        if (c.from != c.to) out.push_back(std::move(c));
    return out;
}

Status recordChangeSet(Connection& db, RunId run) {
    return db.exec("DELETE FROM run_changes WHERE run_id = ?", run).and_then([&] {
        return db.exec(changeSetSql(true), run);
    });
}

Status recordChangeSets(Connection& db, bool operationalColumn) {
    return db.exec("DELETE FROM run_changes").and_then([&] {
        return db.exec(changeSetSql(operationalColumn), std::nullopt);
    });
}

Result<std::vector<Change>> changeSet(Connection& db, RunId run) {
    return db.rows(
        "SELECT key, parent_value, value FROM run_changes WHERE run_id = ? ORDER BY key",
        [](const Statement& st) { return readChange(st, 0); }, run);
}

Result<std::map<RunId, std::vector<Change>>> allChangeSets(Connection& db) {
    std::map<RunId, std::vector<Change>> out;
    return db.query("SELECT run_id, key, parent_value, value FROM run_changes ORDER BY run_id, key")
        .and_then([&](Statement s) {
            return s.forEachRow(
                [&](const Statement& st) { out[st.get<RunId>(0)].push_back(readChange(st, 1)); });
        })
        .transform([&] { return std::move(out); });
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
    if (auto r = db.exec("UPDATE runs SET group_id = ? WHERE id = ?", group, run); !r) return r;
    if (db.changes() == 0)
        return Error{ErrorKind::NotFound, "no run with id " + std::to_string(run)};
    return {};
}

Result<std::vector<RunId>> groupMembers(Connection& db, RunId group) {
    return db.rows(
        "SELECT id FROM runs WHERE group_id = ? ORDER BY id",
        [](const Statement& st) { return st.get<RunId>(0); }, group);
}

}  // namespace runboard::storage
