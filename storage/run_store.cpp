#include "storage/run_store.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <array>
#include <filesystem>

#include "storage/checks_store.h"
#include "storage/lineage.h"
#include "storage/resume_store.h"
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
    r.id = s.get<RunId>(0);
    r.name = s.get<std::string>(1);
    r.parent = s.get<std::optional<RunId>>(2);
    r.status = parseRunStatus(s.get<std::string>(3)).value_or(RunStatus::Failed);
    r.createdAt = s.get<std::string>(4);
    r.startedAt = s.get<std::string>(5);
    r.finishedAt = s.get<std::string>(6);
    r.configJson = s.get<std::string>(7);
    r.seed = s.get<std::int64_t>(8);
    r.notes = s.get<std::string>(9);
    r.message = s.get<std::string>(10);
    r.group = s.get<std::optional<RunId>>(11);
    return r;
}

// An UPDATE or DELETE of one run: NotFound when no row has the id.
Status changeOneRun(Connection& db, Status done, RunId id) {
    if (done && db.changes() == 0)
        return Error{ErrorKind::NotFound, "no run with id " + std::to_string(id)};
    return done;
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
    if (auto s = db_.exec(
            "INSERT INTO runs(name, parent_id, status, config_json, seed, started_at, group_id) "
            "VALUES (?, ?, ?, ?, ?, CASE WHEN ?6 = 'running' "
            "THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') END, ?7)",
            run.name, run.parent, toString(run.status), run.configJson, run.seed,
            toString(run.status), run.group);
        !s)
        return s.error();
    OwnedRun owned;
    owned.id = db_.lastInsertId();

    auto param = db_.prepare(
        "INSERT INTO params(run_id, key, value, type, operational) VALUES (?, ?, ?, ?, ?)");
    if (!param) return param.error();
    for (const auto& p : run.params)
        if (auto s = param->bindAll(owned.id, p.key, p.value, p.type, p.operational).run(); !s)
            return s.error();
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
    return changeOneRun(
        db_,
        db_.exec("UPDATE runs SET status = ?2, message = ?3, "
                 "started_at = CASE WHEN ?2 = 'running' AND started_at IS NULL "
                 "  THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE started_at END, "
                 "finished_at = CASE WHEN ?4 THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE "
                 "NULL END, alive_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                 "WHERE id = ?1",
                 id, toString(status), message, isTerminal(status)),
        id);
}

Status RunStore::rename(RunId id, std::string_view name) {
    if (name.empty()) return Error{ErrorKind::InvalidArgument, "a run's name must not be empty"};
    return changeOneRun(db_, db_.exec("UPDATE runs SET name = ? WHERE id = ?", name, id), id);
}

Status RunStore::setParam(RunId id, std::string_view key, std::string_view value) {
    Transaction tx(db_);
    if (!tx.begun()) return tx.begun().error();
    if (auto s =
            db_.exec("UPDATE params SET value = ? WHERE run_id = ? AND key = ?", value, id, key);
        !s)
        return s;
    if (db_.changes() == 0)
        return Error{ErrorKind::NotFound,
                     "run " + std::to_string(id) + " has no param '" + std::string(key) + "'"};
    auto children = db_.rows(
        "SELECT id FROM runs WHERE parent_id = ?",
        [](const Statement& st) { return st.get<RunId>(0); }, id);
    if (!children) return children.error();
    children->push_back(id);
    for (RunId run : *children)
        if (auto s = recordChangeSet(db_, run); !s) return s;
    return tx.commit();
}

Status RunStore::setNotes(RunId id, std::string_view notes) {
    return changeOneRun(db_, db_.exec("UPDATE runs SET notes = ? WHERE id = ?", notes, id), id);
}

Status RunStore::deleteRun(RunId id) {
    if (RunLock::isHeld(lockPath(id)))
        return Error{ErrorKind::InvalidArgument, "run " + std::to_string(id) + " is still running"};
    if (auto r = changeOneRun(db_, db_.exec("DELETE FROM runs WHERE id = ?", id), id); !r) return r;
    std::error_code ec;
    std::filesystem::remove_all(runFilesDir(path_, id), ec);
    if (ec) return Error{ErrorKind::Sql, "run deleted, but its files remain: " + ec.message()};
    return {};
}

Result<RunRecord> RunStore::run(RunId id) {
    return db_.rows(std::string(kRunColumns) + " WHERE id = ?", readRun, id)
        .and_then([&](std::vector<RunRecord> rows) -> Result<RunRecord> {
            if (rows.empty())
                return Error{ErrorKind::NotFound, "no run with id " + std::to_string(id)};
            return std::move(rows.front());
        });
}

Result<std::vector<RunRecord>> RunStore::runs() {
    return db_.rows(std::string(kRunColumns) + " ORDER BY id", readRun);
}

Result<std::vector<Param>> RunStore::params(RunId id) {
    return db_.rows(
        "SELECT key, value, type, operational FROM params WHERE run_id = ? ORDER BY key",
        [](const Statement& r) {
            return Param{r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2),
                         r.get<bool>(3)};
        },
        id);
}

Result<std::map<std::string, double>> RunStore::latestMetrics(RunId id) {
    // One index seek per key instead of a scan of the run's rows.
    std::map<std::string, double> out;
    return db_
        .query(
            "SELECT k.name, m.value, m.nonfinite FROM metric_keys k "
            "JOIN metrics m ON m.run_id = ?1 AND m.key_id = k.id AND m.step = "
            "  (SELECT max(step) FROM metrics WHERE run_id = ?1 AND key_id = k.id)",
            id)
        .and_then([&](Statement s) {
            return s.forEachRow([&](const Statement& r) {
                out.emplace(r.get<std::string>(0),
                            decode(r.get<double>(1), r.get<std::int64_t>(2)));
            });
        })
        .transform([&] { return std::move(out); });
}

Result<std::vector<CheckpointRecord>> RunStore::checkpoints(RunId id) {
    return db_.rows(
        "SELECT epoch, step, path, crc32, bytes, checks FROM checkpoints WHERE run_id = ? "
        "ORDER BY step, id",
        [](const Statement& r) {
            return CheckpointRecord{r.get<std::int64_t>(0),
                                    r.get<std::int64_t>(1),
                                    r.get<std::string>(2),
                                    r.get<std::optional<std::int64_t>>(3),
                                    r.get<std::optional<std::int64_t>>(4),
                                    r.get<std::int64_t>(5)};
        },
        id);
}

Result<std::vector<MetricPoint>> RunStore::series(RunId id, std::string_view key) {
    return db_.rows(
        "SELECT m.step, m.wall, m.value, m.nonfinite FROM metrics m "
        "JOIN metric_keys k ON k.id = m.key_id WHERE m.run_id = ? AND k.name = ? ORDER BY m.step",
        [](const Statement& r) {
            return MetricPoint{r.get<std::int64_t>(0), r.get<double>(1),
                               decode(r.get<double>(2), r.get<std::int64_t>(3))};
        },
        id, key);
}

Result<std::vector<std::string>> RunStore::metricKeys(RunId id) {
    return db_.rows(
        "SELECT k.name FROM metric_keys k WHERE EXISTS "
        "(SELECT 1 FROM metrics m WHERE m.run_id = ? AND m.key_id = k.id) ORDER BY k.name",
        [](const Statement& r) { return r.get<std::string>(0); }, id);
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
        auto end = db_.queryValue<std::int64_t>(sql[i], id, key);
        if (!end) return end.error();
        if (!end.value()) return std::optional<std::pair<std::int64_t, std::int64_t>>();
        ends[i] = *end.value();
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
        auto rows = collectRows(s->bindAll(id, key, step), [](const Statement& r) {
            return std::pair(r.get<std::int64_t>(0), r.get<double>(1));
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
        auto rows = collectRows(params->bindAll(key), [](const Statement& r) {
            return std::pair(r.get<RunId>(0), r.get<std::string>(1));
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
        auto rows = collectRows(latest->bindAll(key), [](const Statement& r) {
            return std::pair(r.get<RunId>(0), decode(r.get<double>(1), r.get<std::int64_t>(2)));
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
    auto resumed = resumeCounts(db_);
    if (!resumed) return resumed.error();
    for (const auto& [id, n] : resumed.value())
        if (auto it = row.find(id); it != row.end()) out[it->second].resumes = n;
    return out;
}

Result<int> RunStore::recoverInterrupted() {
    auto claimed = db_.rows("SELECT id FROM runs WHERE status IN ('queued','running')",
                            [](const Statement& r) { return r.get<RunId>(0); });
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
        if (auto st = mark->bindAll(id, "the process that ran it ended without finishing it").run();
            !st)
            return st.error();
    }
    return dead;
}

void RunStore::setBusyTimeout(std::chrono::milliseconds timeout) {
    sqlite3_busy_timeout(db_.handle(), static_cast<int>(timeout.count()));
}

}  // namespace runboard::storage
