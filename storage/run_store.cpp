#include "storage/run_store.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <array>
#include <filesystem>

#include "storage/checks_store.h"
#include "storage/lineage.h"
#include "storage/values.h"

namespace runboard::storage {
namespace {

constexpr std::array<std::string_view, 7> kStatusNames = {
    "queued", "running", "finished", "stopped", "failed", "diverged", "interrupted"};

constexpr std::string_view kRunColumns =
    "SELECT id, name, parent_id, status, created_at, coalesce(started_at,''), "
    "coalesce(finished_at,''), config_json, seed, notes, message, group_id FROM runs";

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
    if (!s.columnIsNull(11)) r.group = s.columnInt64(11);
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
    std::string canonical = db->path();
    RunStore store(std::move(db.value()), std::move(canonical));
    if (!options.readOnly) {
        // Recovery is housekeeping: a full disk or a busy writer must not stop anyone reading.
        if (auto n = store.recoverInterrupted(); !n) {
            const ErrorKind k = n.error().kind;
            if (k != ErrorKind::Busy && k != ErrorKind::DiskFull && k != ErrorKind::Io &&
                k != ErrorKind::ReadOnly)
                return n.error();
            spdlog::warn("cannot mark dead runs as interrupted now: {}", n.error().message);
        }
    }
    return store;
}

Result<OwnedRun> RunStore::createRun(const NewRun& run) {
    Transaction tx(db_);
    if (!tx.begun()) return tx.begun().error();
    for (const auto& [ref, role] :
         {std::pair(run.parent, "parent"), std::pair(run.group, "group")}) {
        if (!ref) continue;
        auto found = this->run(*ref);
        if (!found) {
            if (found.error().kind != ErrorKind::NotFound) return found.error();
            return Error{ErrorKind::NotFound, std::string("the ") + role + " run " +
                                                  std::to_string(*ref) + " does not exist in '" +
                                                  path_ + "'"};
        }
    }
    auto insert = db_.prepare(
        "INSERT INTO runs(name, parent_id, status, config_json, seed, started_at, group_id) "
        "VALUES (?, ?, ?, ?, ?, CASE WHEN ?6 = 'running' "
        "THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') END, ?7)");
    if (!insert) return insert.error();
    insert->bind(1, run.name);
    if (run.parent)
        insert->bind(2, *run.parent);
    else
        insert->bindNull(2);
    insert->bind(3, toString(run.status)).bind(4, run.configJson).bind(5, run.seed);
    insert->bind(6, toString(run.status));
    if (run.group)
        insert->bind(7, *run.group);
    else
        insert->bindNull(7);
    if (auto s = insert->run(); !s) return s.error();
    OwnedRun owned;
    owned.id = db_.lastInsertId();

    auto param = db_.prepare(
        "INSERT INTO params(run_id, key, value, type, operational) VALUES (?, ?, ?, ?, ?)");
    if (!param) return param.error();
    for (const auto& p : run.params) {
        param->bind(1, owned.id).bind(2, p.key).bind(3, p.value).bind(4, p.type);
        param->bind(5, static_cast<std::int64_t>(p.operational));
        if (auto s = param->run(); !s) return s.error();
    }
    if (run.parent)
        if (auto s = recordChangeSet(db_, owned.id); !s) return s.error();
    if (run.group)  // the repeated run is the group's first member
        if (auto s = joinGroup(db_, *run.group, *run.group); !s) return s.error();
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
        "finished_at = CASE WHEN ?4 THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE NULL END, "
        "alive_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
        "WHERE id = ?1");
    if (!s) return s.error();
    s->bind(1, id).bind(2, toString(status)).bind(3, message);
    s->bind(4, static_cast<std::int64_t>(isTerminal(status)));
    if (auto r = s->run(); !r) return r;
    if (db_.changes() == 0)
        return Error{ErrorKind::NotFound, "no run with id " + std::to_string(id)};
    return {};
}

namespace {

Status updateText(Connection& db, const char* sql, RunId id, std::string_view text) {
    auto s = db.prepare(sql);
    if (!s) return s.error();
    s->bind(1, text).bind(2, id);
    if (auto r = s->run(); !r) return r;
    if (db.changes() == 0)
        return Error{ErrorKind::NotFound, "no run with id " + std::to_string(id)};
    return {};
}

}  // namespace

Status RunStore::rename(RunId id, std::string_view name) {
    if (name.empty()) return Error{ErrorKind::InvalidArgument, "a run's name must not be empty"};
    return updateText(db_, "UPDATE runs SET name = ? WHERE id = ?", id, name);
}

Status RunStore::setNotes(RunId id, std::string_view notes) {
    return updateText(db_, "UPDATE runs SET notes = ? WHERE id = ?", id, notes);
}

Status RunStore::deleteRun(RunId id) {
    if (RunLock::isHeld(lockPath(id)))
        return Error{ErrorKind::InvalidArgument, "run " + std::to_string(id) + " is still running"};
    auto s = db_.prepare("DELETE FROM runs WHERE id = ?");
    if (!s) return s.error();
    s->bind(1, id);
    if (auto r = s->run(); !r) return r;
    if (db_.changes() == 0)
        return Error{ErrorKind::NotFound, "no run with id " + std::to_string(id)};
    std::error_code ec;
    std::filesystem::remove_all(runFilesDir(path_, id), ec);
    if (ec) return Error{ErrorKind::Sql, "run deleted, but its files remain: " + ec.message()};
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
    auto s = db_.prepare(
        "SELECT key, value, type, operational FROM params WHERE run_id = ? ORDER BY key");
    if (!s) return s.error();
    s->bind(1, id);
    return collectRows(s.value(), [](const Statement& r) {
        return Param{r.columnText(0), r.columnText(1), r.columnText(2), r.columnInt64(3) != 0};
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

Result<std::vector<std::string>> RunStore::metricKeys(RunId id) {
    auto s = db_.prepare(
        "SELECT k.name FROM metric_keys k WHERE EXISTS "
        "(SELECT 1 FROM metrics m WHERE m.run_id = ? AND m.key_id = k.id) ORDER BY k.name");
    if (!s) return s.error();
    s->bind(1, id);
    return collectRows(s.value(), [](const Statement& r) { return r.columnText(0); });
}

Result<std::optional<std::pair<std::int64_t, std::int64_t>>> RunStore::stepRange(
    RunId id, std::string_view key) {
    // Two index seeks: min() and max() in one SELECT would scan.
    std::int64_t ends[2] = {0, 0};
    const char* sql[2] = {
        "SELECT m.step FROM metrics m JOIN metric_keys k ON k.id = m.key_id "
        "WHERE m.run_id = ? AND k.name = ? ORDER BY m.step ASC LIMIT 1",
        "SELECT m.step FROM metrics m JOIN metric_keys k ON k.id = m.key_id "
        "WHERE m.run_id = ? AND k.name = ? ORDER BY m.step DESC LIMIT 1"};
    for (int i = 0; i < 2; ++i) {
        auto s = db_.prepare(sql[i]);
        if (!s) return s.error();
        s->bind(1, id).bind(2, key);
        auto row = s->step();
        if (!row) return row.error();
        if (!row.value()) return std::optional<std::pair<std::int64_t, std::int64_t>>();
        ends[i] = s->columnInt64(0);
    }
    return std::optional(std::pair(ends[0], ends[1]));
}

Result<std::vector<std::pair<std::int64_t, double>>> RunStore::wallClock(
    RunId id, std::string_view key, const std::vector<std::int64_t>& steps) {
    auto s = db_.prepare(
        "SELECT m.step, m.wall FROM metrics m JOIN metric_keys k ON k.id = m.key_id "
        "WHERE m.run_id = ? AND k.name = ? AND m.step = ?");
    if (!s) return s.error();
    std::vector<std::pair<std::int64_t, double>> out;
    for (std::int64_t step : steps) {
        s->bind(1, id).bind(2, key).bind(3, step);
        auto rows = collectRows(s.value(), [](const Statement& r) {
            return std::pair(r.columnInt64(0), r.columnDouble(1));
        });
        if (!rows) return rows.error();
        out.insert(out.end(), rows->begin(), rows->end());
    }
    return out;
}

Result<std::vector<RunOverview>> RunStore::overview(const std::vector<std::string>& paramKeys,
                                                    const std::vector<std::string>& metricKeys) {
    auto all = runs();
    if (!all) return all.error();
    std::vector<RunOverview> out;
    std::map<RunId, std::size_t> row;
    for (auto& r : all.value()) {
        row[r.id] = out.size();
        out.push_back({std::move(r), {}, {}});
    }
    auto params = db_.prepare("SELECT run_id, value FROM params WHERE key = ?");
    if (!params) return params.error();
    for (const auto& key : paramKeys) {
        params->bind(1, key);
        auto rows = collectRows(params.value(), [](const Statement& r) {
            return std::pair(r.columnInt64(0), r.columnText(1));
        });
        if (!rows) return rows.error();
        for (auto& [id, value] : rows.value())
            if (auto it = row.find(id); it != row.end()) out[it->second].params[key] = value;
    }
    // The latest value of a key for every run: one index seek per (run, key).
    auto latest = db_.prepare(
        "SELECT r.id, m.value, m.nonfinite FROM runs r JOIN metric_keys k ON k.name = ?1 "
        "JOIN metrics m ON m.run_id = r.id AND m.key_id = k.id AND m.step = "
        "(SELECT max(step) FROM metrics WHERE run_id = r.id AND key_id = k.id)");
    if (!latest) return latest.error();
    for (const auto& key : metricKeys) {
        latest->bind(1, key);
        auto rows = collectRows(latest.value(), [](const Statement& r) {
            return std::pair(r.columnInt64(0), decode(r.columnDouble(1), r.columnInt64(2)));
        });
        if (!rows) return rows.error();
        for (auto& [id, value] : rows.value())
            if (auto it = row.find(id); it != row.end()) out[it->second].metrics[key] = value;
    }
    auto changes = allChangeSets(db_);
    if (!changes) return changes.error();
    for (auto& [id, set] : changes.value())
        if (auto it = row.find(id); it != row.end()) out[it->second].changes = std::move(set);
    auto checks = checkSummaries(db_);
    if (!checks) return checks.error();
    for (auto& [id, status] : checks.value())
        if (auto it = row.find(id); it != row.end()) out[it->second].checks = std::move(status);
    return out;
}

Result<int> RunStore::recoverInterrupted() {
    auto s = db_.prepare("SELECT id FROM runs WHERE status IN ('queued','running')");
    if (!s) return s.error();
    auto claimed = collectRows(s.value(), [](const Statement& r) { return r.columnInt64(0); });
    if (!claimed) return claimed.error();
    // The run ended when its process was last known alive (the writer's last commit for it),
    // not now: durations stay true however late the next process opens the database.
    auto mark = db_.prepare(
        "UPDATE runs SET status = 'interrupted', message = ?2, "
        "finished_at = coalesce(alive_at, started_at, created_at) "
        "WHERE id = ?1 AND status IN ('queued','running')");
    if (!mark) return mark.error();
    int dead = 0;
    for (RunId id : claimed.value()) {
        if (RunLock::isHeld(lockPath(id))) continue;
        ++dead;
        mark->bind(1, id).bind(2, "the process that ran it ended without finishing it");
        if (auto st = mark->run(); !st) return st.error();
    }
    return dead;
}

void RunStore::setBusyTimeout(std::chrono::milliseconds timeout) {
    sqlite3_busy_timeout(db_.handle(), static_cast<int>(timeout.count()));
}

}  // namespace runboard::storage
