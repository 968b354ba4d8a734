#include "storage/run_data.h"

namespace runboard::storage {

Status storeRunData(Connection& db, RunId run, const RunData& data) {
    Transaction tx(db);
    if (!tx.begun()) return tx.begun().error();
    if (auto s = db.exec("DELETE FROM run_classes WHERE run_id = ?", run); !s) return s;
    if (auto s = db.exec("INSERT OR REPLACE INTO run_data (run_id, source_name) VALUES (?, ?)", run,
                         data.sourceName);
        !s)
        return s;
    std::int64_t index = 0;
    for (const std::string& name : data.classNames)
        if (auto s = db.exec("INSERT INTO run_classes (run_id, class, name) VALUES (?, ?, ?)", run,
                             index++, name);
            !s)
            return s;
    return tx.commit();
}

Result<std::optional<RunData>> runData(Connection& db, RunId run) {
    std::optional<RunData> out;
    return db.query("SELECT source_name FROM run_data WHERE run_id = ?", run)
        .and_then([&](Statement s) {
            return s.forEachRow([&](const Statement& st) {
                out = RunData{st.get<std::string>(0), {}};
            });
        })
        .and_then([&]() -> Status {
            if (!out) return {};
            return db.query("SELECT name FROM run_classes WHERE run_id = ? ORDER BY class", run)
                .and_then([&](Statement s) {
                    return s.forEachRow([&](const Statement& st) {
                        out->classNames.push_back(st.get<std::string>(0));
                    });
                });
        })
        .transform([&] { return std::move(out); });
}

}  // namespace runboard::storage
