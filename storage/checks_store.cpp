#include "storage/checks_store.h"

#include <nlohmann/json.hpp>

#include "storage/values.h"

namespace runboard::storage {

namespace {

Status checkStatus(const CheckRow& c) {
    if (c.status == "pass" || c.status == "warn" || c.status == "fail") return {};
    return Error{ErrorKind::InvalidArgument,
                 "check '" + c.name + "' has an unknown status '" + c.status + "'"};
}

// Inserts one row at a position.
Status insertCheck(Connection& db, RunId run, std::int64_t position, const CheckRow& c) {
    auto ins = db.prepare(
        "INSERT INTO run_checks (run_id, position, name, status, value, value_nonfinite, message, "
        "details_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!ins) return ins.error();
    ins->bind(1, run).bind(2, position).bind(3, c.name).bind(4, c.status);
    const NonFinite kind = classify(c.value);
    if (kind == NonFinite::Finite)
        ins->bind(5, c.value);
    else
        ins->bindNull(5);
    ins->bind(6, static_cast<std::int64_t>(kind));
    ins->bind(7, c.message).bind(8, nlohmann::json(c.details).dump());
    return ins->run();
}

}  // namespace

Status storeChecks(Connection& db, RunId run, const std::vector<CheckRow>& checks) {
    for (const CheckRow& c : checks)
        if (auto s = checkStatus(c); !s) return s;
    Transaction tx(db);
    if (!tx.begun()) return tx.begun().error();
    auto del = db.prepare("DELETE FROM run_checks WHERE run_id = ?");
    if (!del) return del.error();
    del->bind(1, run);
    if (auto s = del->run(); !s) return s;
    std::int64_t position = 0;
    for (const CheckRow& c : checks)
        if (auto s = insertCheck(db, run, position++, c); !s) return s;
    return tx.commit();
}

Status appendCheck(Connection& db, RunId run, const CheckRow& check) {
    if (auto s = checkStatus(check); !s) return s;
    auto next =
        db.prepare("SELECT coalesce(max(position) + 1, 0) FROM run_checks WHERE run_id = ?");
    if (!next) return next.error();
    next->bind(1, run);
    auto row = next->step();
    if (!row) return row.error();
    return insertCheck(db, run, next->columnInt64(0), check);
}

Result<std::vector<CheckRow>> runChecks(Connection& db, RunId run) {
    auto s = db.prepare(
        "SELECT name, status, value, value_nonfinite, message, details_json FROM run_checks "
        "WHERE run_id = ? ORDER BY position");
    if (!s) return s.error();
    s->bind(1, run);
    return collectRows(s.value(), [](const Statement& st) {
        CheckRow c;
        c.name = st.columnText(0);
        c.status = st.columnText(1);
        c.value = decode(st.columnDouble(2), st.columnInt64(3));
        c.message = st.columnText(4);
        const auto details = nlohmann::json::parse(st.columnText(5), nullptr, false);
        if (details.is_array())
            for (const auto& d : details)
                if (d.is_string()) c.details.push_back(d.get<std::string>());
        return c;
    });
}

Result<std::map<RunId, std::string>> checkSummaries(Connection& db) {
    auto s = db.prepare(
        "SELECT run_id, CASE max(CASE status WHEN 'fail' THEN 2 WHEN 'warn' THEN 1 ELSE 0 END) "
        "WHEN 2 THEN 'fail' WHEN 1 THEN 'warn' ELSE 'pass' END FROM run_checks GROUP BY run_id");
    if (!s) return s.error();
    std::map<RunId, std::string> out;
    while (true) {
        auto row = s->step();
        if (!row) return row.error();
        if (!row.value()) break;
        out[s->columnInt64(0)] = s->columnText(1);
    }
    return out;
}

}  // namespace runboard::storage
