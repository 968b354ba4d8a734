#include "storage/resume_store.h"

#include <filesystem>

#include "storage/series_summary.h"
#include "storage/values.h"

namespace runboard::storage {
namespace {

std::string runName(RunId id) {
    return "run " + std::to_string(id);
}

ResumeRecord readResume(const Statement& r) {
    return ResumeRecord{r.get<std::int64_t>(0),
                        r.get<std::int64_t>(1),
                        r.get<std::int64_t>(2),
                        r.get<std::string>(3),
                        r.get<std::optional<std::string>>(4).value_or(""),
                        r.get<std::string>(5),
                        r.get<std::int64_t>(6)};
}

constexpr std::string_view kResumeColumns =
    "SELECT id, at_step, at_epoch, at, checkpoint, from_status, archived_rows FROM resumes";

// Moves the rows of `table` that `where` selects into `archive` under the resume; returns how
// many. `where` may use ?1 (the resume), ?2 (the run) and ?3 (the step or epoch limit).
Result<std::int64_t> archiveRows(Connection& db, std::string_view table, std::string_view archive,
                                 std::string_view columns, const std::string& where,
                                 std::int64_t resume, RunId run, std::int64_t limit) {
    const std::string cols(columns);
    if (auto s =
            db.exec("INSERT INTO " + std::string(archive) + "(resume_id, " + cols +
                        ") SELECT ?1, " + cols + " FROM " + std::string(table) + " WHERE " + where,
                    resume, run, limit);
        !s)
        return s.error();
    const std::int64_t moved = db.changes();
    if (auto s = db.exec("DELETE FROM " + std::string(table) + " WHERE ?1 IS NOT NULL AND " + where,
                         resume, run, limit);
        !s)
        return s.error();
    if (db.changes() != moved)
        return Error{ErrorKind::Corrupt, "archiving the " + std::string(table) + " of " +
                                             runName(run) + " copied " + std::to_string(moved) +
                                             " rows but removed " + std::to_string(db.changes())};
    return moved;
}

// The ids of the metric keys that start with one of the prefixes, as an SQL list "(1,5)".
Result<std::string> keysWithPrefixes(Connection& db, const std::vector<std::string>& prefixes) {
    auto keys = db.rows("SELECT id, name FROM metric_keys", [](const Statement& r) {
        return std::pair(r.get<std::int64_t>(0), r.get<std::string>(1));
    });
    if (!keys) return keys.error();
    std::string list;
    for (const auto& [id, name] : *keys)
        for (const auto& p : prefixes)
            if (name.starts_with(p)) {
                list.append(list.empty() ? "" : ",").append(std::to_string(id));
                break;
            }
    return "(" + list + ")";
}

Status checkStatus(RunStore& store, RunId id, bool checkLock) {
    auto run = store.run(id);
    if (!run) return run.error();
    if (checkLock && RunLock::isHeld(store.lockPath(id)))
        return Error{ErrorKind::InvalidArgument,
                     runName(id) +
                         " is still running (its process holds the run's lock); stop "
                         "it first, or wait for it to end"};
    switch (run->status) {
        case RunStatus::Stopped:
        case RunStatus::Interrupted:
            return {};
        case RunStatus::Failed: {
            auto trained = store.connection().queryValue<std::int64_t>(
                "SELECT (SELECT count(*) FROM metrics WHERE run_id = ?1) + "
                "(SELECT count(*) FROM checkpoints WHERE run_id = ?1)",
                id);
            if (!trained) return trained.error();
            if (trained->value_or(0) > 0) return {};
            return Error{ErrorKind::InvalidArgument,
                         runName(id) + " failed before it trained (" + run->message +
                             "); resuming would only repeat that: train a new run instead"};
        }
        case RunStatus::Finished:
            return Error{ErrorKind::InvalidArgument,
                         runName(id) + " finished; there is nothing to resume"};
        case RunStatus::Diverged:
            return Error{ErrorKind::InvalidArgument,
                         runName(id) + " diverged (" + run->message +
                             "); resuming would diverge again: train a new run with a lower "
                             "learning rate"};
        case RunStatus::Queued:
        case RunStatus::Running:
            // Its lock is free, so its owner is gone: the next open marks it interrupted.
            return {};
    }
    return {};
}

}  // namespace

Status checkResumable(RunStore& store, RunId id) {
    return checkStatus(store, id, true);
}

Result<ResumedRun> beginResume(RunStore& store, RunId id, const ResumeFrom& from) {
    Connection& db = store.connection();
    // The lock first: once it is ours no other process can start this run, and a process that
    // still holds it is alive.
    if (auto s = checkResumable(store, id); !s) return s.error();
    auto lock = RunLock::acquire(store.lockPath(id));
    if (!lock) {
        if (RunLock::isHeld(store.lockPath(id)))
            return Error{ErrorKind::InvalidArgument,
                         runName(id) + " is still running (its process holds the run's lock)"};
        return lock.error();
    }
    Transaction tx(db);
    if (!tx.begun()) return tx.begun().error();
    // Again under the write lock (the run's lock is ours now, so it is not asked about).
    if (auto s = checkStatus(store, id, false); !s) return s.error();
    auto record = store.run(id);
    if (!record) return record.error();

    const std::int64_t step = from.checkpoint ? from.checkpoint->step : 0;
    const std::int64_t epoch = from.checkpoint ? from.checkpoint->epoch : 0;
    // From scratch: every row goes (step > -1, epoch > -1, every check).
    const std::int64_t after = from.checkpoint ? step : -1;
    const std::int64_t epochsAfter = from.checkpoint ? epoch : -1;
    const std::int64_t checks = from.checkpoint ? from.checkpoint->checks : 0;
    const std::string status(isTerminal(record->status) ? toString(record->status)
                                                        : toString(RunStatus::Interrupted));
    if (auto s =
            db.exec("INSERT INTO resumes(run_id, at_step, at_epoch, checkpoint, from_status, "
                    "archived_rows) VALUES (?, ?, ?, ?, ?, 0)",
                    id, step, epoch,
                    from.checkpoint ? std::optional(from.checkpoint->path) : std::nullopt, status);
        !s)
        return s.error();
    const std::int64_t resume = db.lastInsertId();

    auto always = keysWithPrefixes(db, from.alwaysArchivedPrefixes);
    if (!always) return always.error();
    std::int64_t archived = 0;
    for (auto moved : {
             archiveRows(db, "metrics", "archived_metrics", "key_id, step, wall, value, nonfinite",
                         "run_id = ?2 AND (step > ?3 OR key_id IN " + *always + ")", resume, id,
                         after),
             archiveRows(db, "predictions", "archived_predictions",
                         "split, epoch, sample_index, target, predicted, confidence, loss, "
                         "loss_nonfinite, probs",
                         "run_id = ?2 AND (epoch > ?3 OR split = 'test')", resume, id, epochsAfter),
             archiveRows(db, "run_checks", "archived_checks",
                         "position, name, status, value, value_nonfinite, message, details_json",
                         "run_id = ?2 AND position >= ?3", resume, id, checks),
         }) {
        if (!moved) return moved.error();
        archived += *moved;
    }
    if (auto s = db.exec("UPDATE resumes SET archived_rows = ? WHERE id = ?", archived, resume); !s)
        return s.error();
    // Checkpoints after the one resumed from could not be used (missing or damaged): the steps
    // they hold will be trained again, and written again under the same names.
    auto abandoned = db.rows(
        "SELECT path FROM checkpoints WHERE run_id = ? AND step > ?",
        [](const Statement& r) { return r.get<std::string>(0); }, id, after);
    if (!abandoned) return abandoned.error();
    if (auto s = db.exec("DELETE FROM checkpoints WHERE run_id = ? AND step > ?", id, after); !s)
        return s.error();
    if (auto s = rebuildSummaries(db, id); !s) return s.error();
    if (auto s = store.setStatus(id, RunStatus::Running); !s) return s.error();
    if (auto s = tx.commit(); !s) return s.error();
    for (const auto& path : *abandoned) {
        std::error_code ec;
        std::filesystem::remove(path, ec);  // a file left over is harmless: it is not listed
    }

    auto records = db.rows(std::string(kResumeColumns) + " WHERE id = ?", readResume, resume);
    if (!records) return records.error();
    ResumedRun out;
    out.run.id = id;
    out.run.lock = std::move(lock.value());
    out.resume = records->front();
    return out;
}

Result<std::vector<ResumeRecord>> resumes(Connection& db, RunId id) {
    return db.rows(std::string(kResumeColumns) + " WHERE run_id = ? ORDER BY id", readResume, id);
}

Result<std::map<RunId, std::int64_t>> resumeCounts(Connection& db) {
    auto rows = db.rows(
        "SELECT run_id, count(*) FROM resumes GROUP BY run_id",
        [](const Statement& r) { return std::pair(r.get<RunId>(0), r.get<std::int64_t>(1)); });
    if (!rows) return rows.error();
    return std::map<RunId, std::int64_t>(rows->begin(), rows->end());
}

Result<std::vector<ArchivedPoint>> archivedSeries(Connection& db, RunId id, std::string_view key) {
    return db.rows(
        "SELECT a.resume_id, a.step, a.value, a.nonfinite FROM archived_metrics a "
        "JOIN resumes r ON r.id = a.resume_id JOIN metric_keys k ON k.id = a.key_id "
        "WHERE r.run_id = ? AND k.name = ? ORDER BY a.resume_id, a.step",
        [](const Statement& r) {
            return ArchivedPoint{r.get<std::int64_t>(0), r.get<std::int64_t>(1),
                                 decode(r.columnDouble(2), r.columnInt64(3))};
        },
        id, key);
}

}  // namespace runboard::storage
