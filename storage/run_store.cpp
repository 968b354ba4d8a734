#include "storage/run_store.h"

#include <array>

#include "storage/values.h"

namespace runboard::storage {
namespace {

constexpr std::array<std::string_view, 7> kStatusNames = {
    "queued", "running", "finished", "stopped", "failed", "diverged", "interrupted"};

constexpr std::string_view kRunColumns =
    "SELECT id, name, parent_id, status, created_at, coalesce(started_at,''), "
    "coalesce(finished_at,''), config_json, seed, notes, message FROM runs";

RunRecord readRun(const Statement& s) {
    RunRecord r;
    r.id = s.columnInt64(0);
    r.name = s.columnText(1);
    if (!s.columnIsNull(2)) r.parent = s.columnInt64(2);
    r.status = parseRunStatus(s.columnText(3)).value_or(RunStatus::Failed);
    r.createdAt = s.columnText(4);
    r.startedAt = s.columnText(5);
    r.finishedAt = s.columnText(6);
    r.configJson = s.columnText(7);
    r.seed = s.columnInt64(8);
    r.notes = s.columnText(9);
    r.message = s.columnText(10);
    return r;
}

}  // namespace

std::string_view toString(RunStatus status) {
    return kStatusNames[static_cast<int>(status)];
}

std::optional<RunStatus> parseRunStatus(std::string_view text) {
    for (std::size_t i = 0; i < kStatusNames.size(); ++i)
        if (kStatusNames[i] == text) return static_cast<RunStatus>(i);
    return std::nullopt;
}

bool isTerminal(RunStatus status) {
    return status != RunStatus::Queued && status != RunStatus::Running;
}

Result<RunStore> RunStore::open(const std::string& path, const OpenOptions& options) {
    auto db = openDatabase(path, options);
    if (!db) return db.error();
    RunStore store(std::move(db.value()), path);
    if (!options.readOnly) {
        if (auto n = store.recoverInterrupted(); !n) return n.error();
    }
    return store;
}

Result<OwnedRun> RunStore::createRun(const NewRun& run) {
    Transaction tx(db_);
    if (!tx.begun()) return tx.begun().error();
    auto insert = db_.prepare(
        "INSERT INTO runs(name, parent_id, status, config_json, seed, started_at) "
        "VALUES (?, ?, ?, ?, ?, CASE WHEN ?6 = 'running' "
        "THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') END)");
    if (!insert) return insert.error();
    insert->bind(1, run.name);
    if (run.parent)
        insert->bind(2, *run.parent);
    else
        insert->bindNull(2);
    insert->bind(3, toString(run.status)).bind(4, run.configJson).bind(5, run.seed);
    insert->bind(6, toString(run.status));
    if (auto s = insert->run(); !s) return s.error();
    OwnedRun owned;
    owned.id = db_.lastInsertId();

    auto param = db_.prepare("INSERT INTO params(run_id, key, value, type) VALUES (?, ?, ?, ?)");
    if (!param) return param.error();
    for (const auto& p : run.params) {
        param->bind(1, owned.id).bind(2, p.key).bind(3, p.value).bind(4, p.type);
        if (auto s = param->run(); !s) return s.error();
    }
    // Lock before the row becomes visible, so no other process can see the run without an owner.
    auto lock = RunLock::acquire(lockPath(owned.id));
    if (!lock) return lock.error();
    owned.lock = std::move(lock.value());
    if (auto s = tx.commit(); !s) return s.error();
    return owned;
}

Status RunStore::setStatus(RunId id, RunStatus status, std::string_view message) {
    auto s = db_.prepare(
        "UPDATE runs SET status = ?2, message = ?3, "
        "started_at = CASE WHEN ?2 = 'running' AND started_at IS NULL "
        "  THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE started_at END, "
        "finished_at = CASE WHEN ?4 THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE NULL END "
        "WHERE id = ?1");
    if (!s) return s.error();
    s->bind(1, id).bind(2, toString(status)).bind(3, message);
    s->bind(4, static_cast<std::int64_t>(isTerminal(status)));
    if (auto r = s->run(); !r) return r;
    if (db_.changes() == 0)
        return Error{ErrorKind::NotFound, "no run with id " + std::to_string(id)};
    return {};
}

Result<RunRecord> RunStore::run(RunId id) {
    auto s = db_.prepare(std::string(kRunColumns) + " WHERE id = ?");
    if (!s) return s.error();
    s->bind(1, id);
    auto row = s->step();
    if (!row) return row.error();
    if (!row.value()) return Error{ErrorKind::NotFound, "no run with id " + std::to_string(id)};
    return readRun(s.value());
}

Result<std::vector<RunRecord>> RunStore::runs() {
    auto s = db_.prepare(std::string(kRunColumns) + " ORDER BY id");
    if (!s) return s.error();
    return collectRows(s.value(), readRun);
}

Result<std::vector<Param>> RunStore::params(RunId id) {
    auto s = db_.prepare("SELECT key, value, type FROM params WHERE run_id = ? ORDER BY key");
    if (!s) return s.error();
    s->bind(1, id);
    return collectRows(s.value(), [](const Statement& r) {
        return Param{r.columnText(0), r.columnText(1), r.columnText(2)};
    });
}

Result<std::map<std::string, double>> RunStore::latestMetrics(RunId id) {
    // One index seek per key instead of a scan of the run's rows.
    auto s = db_.prepare(
        "SELECT k.name, m.value, m.nonfinite FROM metric_keys k "
        "JOIN metrics m ON m.run_id = ?1 AND m.key_id = k.id AND m.step = "
        "  (SELECT max(step) FROM metrics WHERE run_id = ?1 AND key_id = k.id)");
    if (!s) return s.error();
    s->bind(1, id);
    auto rows = collectRows(s.value(), [](const Statement& r) {
        return std::pair(r.columnText(0), decode(r.columnDouble(1), r.columnInt64(2)));
    });
    if (!rows) return rows.error();
    return std::map<std::string, double>(rows->begin(), rows->end());
}

Result<std::vector<CheckpointRecord>> RunStore::checkpoints(RunId id) {
    auto s =
        db_.prepare("SELECT epoch, step, path FROM checkpoints WHERE run_id = ? ORDER BY step");
    if (!s) return s.error();
    s->bind(1, id);
    return collectRows(s.value(), [](const Statement& r) {
        return CheckpointRecord{r.columnInt64(0), r.columnInt64(1), r.columnText(2)};
    });
}

Result<std::vector<MetricPoint>> RunStore::series(RunId id, std::string_view key) {
    auto s = db_.prepare(
        "SELECT m.step, m.wall, m.value, m.nonfinite FROM metrics m "
        "JOIN metric_keys k ON k.id = m.key_id WHERE m.run_id = ? AND k.name = ? ORDER BY m.step");
    if (!s) return s.error();
    s->bind(1, id).bind(2, key);
    return collectRows(s.value(), [](const Statement& r) {
        return MetricPoint{r.columnInt64(0), r.columnDouble(1),
                           decode(r.columnDouble(2), r.columnInt64(3))};
    });
}

Result<int> RunStore::recoverInterrupted() {
    auto s = db_.prepare("SELECT id FROM runs WHERE status IN ('queued','running')");
    if (!s) return s.error();
    auto claimed = collectRows(s.value(), [](const Statement& r) { return r.columnInt64(0); });
    if (!claimed) return claimed.error();
    int dead = 0;
    for (RunId id : claimed.value()) {
        if (RunLock::isHeld(lockPath(id))) continue;
        ++dead;
        if (auto st = setStatus(id, RunStatus::Interrupted,
                                "the process that ran it ended without finishing it");
            !st)
            return st.error();
    }
    return dead;
}

}  // namespace runboard::storage
