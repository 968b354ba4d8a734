#include "storage/checks_store.h"

#include "storage/values.h"

namespace runboard::storage {

// The details are stored as a JSON array of strings, built and read by SQLite's own JSON
// functions (json_insert, json_each; built in since 3.38), so storage needs no JSON library.
// Text that is not a JSON array (a damaged row) reads back as no details.

namespace {

Status checkStatus(const CheckRow& c) {
    if (c.status == "pass" || c.status == "warn" || c.status == "fail") return {};
    return Error{ErrorKind::InvalidArgument,
                 "check '" + c.name + "' has an unknown status '" + c.status + "'"};
}

Result<std::string> detailsJson(Connection& db, const std::vector<std::string>& details) {
    auto append = db.prepare("SELECT json_insert(?, '$[#]', ?)");
    if (!append) return append.error();
    std::string json = "[]";
    for (const std::string& d : details) {
        auto row = append->bindAll(json, d).step();
        if (!row) return row.error();
        json = append->get<std::string>(0);
        append->reset();
    }
    return json;
}

// Inserts one row at a position.
Status insertCheck(Connection& db, RunId run, std::int64_t position, const CheckRow& c) {
    return detailsJson(db, c.details).and_then([&](const std::string& details) {
        return db.exec(
            "INSERT INTO run_checks (run_id, position, name, status, value, value_nonfinite, "
            "message, details_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            run, position, c.name, c.status, finiteOrNull(c.value), nonFiniteKind(c.value),
            c.message, details);
    });
}

}  // namespace

Status storeChecks(Connection& db, RunId run, const std::vector<CheckRow>& checks) {
    for (const CheckRow& c : checks)
        if (auto s = checkStatus(c); !s) return s;
    Transaction tx(db);
    if (!tx.begun()) return tx.begun().error();
    if (auto s = db.exec("DELETE FROM run_checks WHERE run_id = ?", run); !s) return s;
    std::int64_t position = 0;
    for (const CheckRow& c : checks)
        if (auto s = insertCheck(db, run, position++, c); !s) return s;
    return tx.commit();
}

Status appendCheck(Connection& db, RunId run, const CheckRow& check) {
    if (auto s = checkStatus(check); !s) return s;
    return db
        .queryValue<std::int64_t>(
            "SELECT coalesce(max(position) + 1, 0) FROM run_checks WHERE run_id = ?", run)
        .and_then([&](std::optional<std::int64_t> next) {
            return insertCheck(db, run, next.value_or(0), check);
        });
}

Result<std::vector<CheckRow>> runChecks(Connection& db, RunId run) {
    std::vector<CheckRow> out;
    // One row per detail (a check without details once, with a NULL detail), in order.
    return db
        .query(
            "SELECT c.position, c.name, c.status, c.value, c.value_nonfinite, c.message, d.value "
            "FROM run_checks c LEFT JOIN json_each(CASE WHEN json_valid(c.details_json) AND "
            "json_type(c.details_json) = 'array' THEN c.details_json ELSE '[]' END) d "
            "ON d.type = 'text' WHERE c.run_id = ? ORDER BY c.position, d.key",
            run)
        .and_then([&](Statement s) {
            std::optional<std::int64_t> position;
            return s.forEachRow([&](const Statement& st) {
                if (position != st.get<std::int64_t>(0)) {
                    position = st.get<std::int64_t>(0);
                    out.push_back({st.get<std::string>(1),
                                   st.get<std::string>(2),
                                   decode(st.get<double>(3), st.get<std::int64_t>(4)),
                                   st.get<std::string>(5),
                                   {}});
                }
                if (auto d = st.get<std::optional<std::string>>(6))
                    out.back().details.push_back(*d);
            });
        })
        .transform([&] { return std::move(out); });
}

Result<std::map<RunId, std::string>> checkSummaries(Connection& db) {
    std::map<RunId, std::string> out;
    return db
        .query(
            "SELECT run_id, CASE max(CASE status WHEN 'fail' THEN 2 WHEN 'warn' THEN 1 ELSE 0 END) "
            "WHEN 2 THEN 'fail' WHEN 1 THEN 'warn' ELSE 'pass' END FROM run_checks GROUP BY run_id")
        .and_then([&](Statement s) {
            return s.forEachRow(
                [&](const Statement& st) { out[st.get<RunId>(0)] = st.get<std::string>(1); });
        })
        .transform([&] { return std::move(out); });
}

}  // namespace runboard::storage
