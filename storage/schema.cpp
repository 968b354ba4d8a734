#include "storage/schema.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <string_view>

#include "storage/lineage.h"
#include "storage/series_summary.h"

namespace runboard::storage {
namespace {

// 'RnBd': marks a file as a Runboard database (PRAGMA application_id).
constexpr std::int64_t kApplicationId = 0x526e4264;

// Each entry migrates from version i to i + 1. Never edit a released entry: append a new one.
constexpr std::array<std::string_view, 9> kMigrations = {
    // 0 -> 1: the foundation.
    R"sql(
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    status      TEXT NOT NULL CHECK (status IN
                ('queued','running','finished','stopped','failed','diverged','interrupted')),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    started_at  TEXT,
    finished_at TEXT,
    config_json TEXT NOT NULL,
    seed        INTEGER NOT NULL,
    notes       TEXT NOT NULL DEFAULT '',
    message     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_status ON runs(status);

-- The config flattened to dotted keys, for diffs and filters.
CREATE TABLE params (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    type   TEXT NOT NULL CHECK (type IN ('bool','int','float','string')),
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX params_key_value ON params(key, value);

CREATE TABLE metric_keys (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- nonfinite: 0 finite, 1 NaN, 2 +Inf, 3 -Inf. SQLite turns a bound NaN into NULL, so the kind is
-- stored explicitly and value is NULL exactly when the point is not finite.
CREATE TABLE metrics (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key_id    INTEGER NOT NULL,
    step      INTEGER NOT NULL,
    wall      REAL NOT NULL,
    value     REAL,
    nonfinite INTEGER NOT NULL DEFAULT 0 CHECK (nonfinite BETWEEN 0 AND 3),
    CHECK ((value IS NULL) = (nonfinite <> 0)),
    PRIMARY KEY (run_id, key_id, step)
) WITHOUT ROWID;

CREATE TABLE predictions (
    run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    split        TEXT NOT NULL CHECK (split IN ('train','val','test')),
    epoch        INTEGER NOT NULL,
    sample_index INTEGER NOT NULL,  -- index in the original dataset file
    target       INTEGER NOT NULL,
    predicted    INTEGER NOT NULL,
    confidence   REAL NOT NULL,
    loss         REAL,
    loss_nonfinite INTEGER NOT NULL DEFAULT 0 CHECK (loss_nonfinite BETWEEN 0 AND 3),
    probs        BLOB NOT NULL,     -- float32 little-endian, one per class
    PRIMARY KEY (run_id, split, epoch, sample_index)
) WITHOUT ROWID;

CREATE TABLE checkpoints (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch      INTEGER NOT NULL,
    step       INTEGER NOT NULL,
    path       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX checkpoints_run ON checkpoints(run_id, step);

-- Learning-rate sweeps (LR finder): tied to the config they swept.
CREATE TABLE lr_sweeps (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    config_json  TEXT NOT NULL,
    stop_step    INTEGER,
    stop_lr      REAL,
    stop_reason  TEXT,
    suggestions_json TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE lr_sweep_points (
    sweep_id  INTEGER NOT NULL REFERENCES lr_sweeps(id) ON DELETE CASCADE,
    step      INTEGER NOT NULL,
    lr        REAL NOT NULL,
    loss      REAL,
    loss_nonfinite INTEGER NOT NULL DEFAULT 0,
    smoothed  REAL,
    smoothed_nonfinite INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sweep_id, step)
) WITHOUT ROWID;

-- Leaderboards: own runs as a competition, and imported ones.
CREATE TABLE competitions (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    metric           TEXT NOT NULL DEFAULT 'accuracy',
    higher_is_better INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE TABLE submissions (
    id             INTEGER PRIMARY KEY,
    competition_id INTEGER NOT NULL REFERENCES competitions(id) ON DELETE CASCADE,
    run_id         INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    team_id        TEXT,
    team_name      TEXT,
    submitted_at   TEXT NOT NULL,
    public_score   REAL,
    private_score  REAL
);
CREATE INDEX submissions_competition ON submissions(competition_id);
)sql",
    // 1 -> 2: the multi-resolution M4 summary of every metric series (series_summary.h).
    R"sql(
CREATE TABLE metric_buckets (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key_id    INTEGER NOT NULL,
    level     INTEGER NOT NULL,  -- bucket width = kBucketWidths[level] steps
    bucket    INTEGER NOT NULL,  -- floor(step / width)
    count     INTEGER NOT NULL,
    finite    INTEGER NOT NULL,
    first_step INTEGER NOT NULL, first_value REAL NOT NULL,
    last_step  INTEGER NOT NULL, last_value  REAL NOT NULL,
    min_step   INTEGER NOT NULL, min_value   REAL NOT NULL,
    max_step   INTEGER NOT NULL, max_value   REAL NOT NULL,
    sum        REAL NOT NULL,
    nonfinite  INTEGER NOT NULL,
    first_nonfinite_step INTEGER NOT NULL,
    first_nonfinite_kind INTEGER NOT NULL,
    PRIMARY KEY (run_id, key_id, level, bucket)
) WITHOUT ROWID;
)sql",
    // 2 -> 3: LR sweeps get a name, their options and duration; suggestions get rows of their
    // own (one per rule) instead of a JSON column nothing wrote.
    R"sql(
ALTER TABLE lr_sweeps ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE lr_sweeps ADD COLUMN lr_start REAL;
ALTER TABLE lr_sweeps ADD COLUMN lr_end REAL;
ALTER TABLE lr_sweeps ADD COLUMN steps INTEGER;
ALTER TABLE lr_sweeps ADD COLUMN mode TEXT;
ALTER TABLE lr_sweeps ADD COLUMN beta REAL;
ALTER TABLE lr_sweeps ADD COLUMN stop_factor REAL;
ALTER TABLE lr_sweeps ADD COLUMN seconds REAL;
ALTER TABLE lr_sweeps DROP COLUMN suggestions_json;
CREATE TABLE lr_sweep_suggestions (
    sweep_id  INTEGER NOT NULL REFERENCES lr_sweeps(id) ON DELETE CASCADE,
    rule      TEXT NOT NULL,
    lr        REAL NOT NULL,
    step      INTEGER NOT NULL,
    PRIMARY KEY (sweep_id, rule)
) WITHOUT ROWID;
)sql",
    // 3 -> 4: workspace settings (e.g. the own-runs leaderboard's public/private split).
    R"sql(
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
)sql",
    // 4 -> 5: label flags, per dataset sample (not per run), and the gallery's history lookups.
    R"sql(
CREATE TABLE label_flags (
    dataset      TEXT NOT NULL CHECK (dataset <> ''),
    part         TEXT NOT NULL CHECK (part IN ('train','test')),
    sample_index INTEGER NOT NULL CHECK (sample_index >= 0),
    target       INTEGER NOT NULL,
    flag         TEXT NOT NULL CHECK (flag IN ('wrong_label','ambiguous','interesting')),
    note         TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    PRIMARY KEY (dataset, part, sample_index)
) WITHOUT ROWID;
CREATE INDEX predictions_sample ON predictions(run_id, split, sample_index, epoch);
)sql",
    // 5 -> 6: lineage. What each run changed against its parent (filled for existing runs by
    // recordChangeSets), and groups of seed repeats.
    R"sql(
ALTER TABLE runs ADD COLUMN group_id INTEGER REFERENCES runs(id) ON DELETE SET NULL;
CREATE INDEX runs_group ON runs(group_id);
CREATE INDEX runs_parent ON runs(parent_id);
CREATE TABLE run_changes (
    run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    parent_value TEXT,  -- NULL: the parent has no such key
    value        TEXT,  -- NULL: this run has no such key
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
)sql",
    // 6 -> 7: the pre-flight checklist of each run.
    R"sql(
CREATE TABLE run_checks (
    run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pass','warn','fail')),
    value           REAL,
    value_nonfinite INTEGER NOT NULL DEFAULT 0,
    message         TEXT NOT NULL,
    details_json    TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (run_id, position)
) WITHOUT ROWID;
)sql",
    // 7 -> 8: run ids are never reused (AUTOINCREMENT: rows a dead process still held for a
    // deleted id can never attach to a new run), each run records when its process was last
    // known alive (an interrupted run's end), and params know which keys are operational (how
    // a run executes, not what it learns: they are not experiment changes in lineage). The
    // operational keys are those of the config schema at this version. SQLite cannot add
    // AUTOINCREMENT to a table, so runs is rebuilt (foreign keys are off while migrating), and
    // rows of runs deleted earlier (the writer skips foreign-key checks) are removed.
    R"sql(
CREATE TABLE runs_v8 (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    status      TEXT NOT NULL CHECK (status IN
                ('queued','running','finished','stopped','failed','diverged','interrupted')),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    started_at  TEXT,
    finished_at TEXT,
    config_json TEXT NOT NULL,
    seed        INTEGER NOT NULL,
    notes       TEXT NOT NULL DEFAULT '',
    message     TEXT NOT NULL DEFAULT '',
    group_id    INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    alive_at    TEXT
);
INSERT INTO runs_v8 (id, name, parent_id, status, created_at, started_at, finished_at,
                     config_json, seed, notes, message, group_id, alive_at)
    SELECT id, name, parent_id, status, created_at, started_at, finished_at, config_json, seed,
           notes, message, group_id, coalesce(finished_at, started_at) FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v8 RENAME TO runs;
CREATE INDEX runs_status ON runs(status);
CREATE INDEX runs_group ON runs(group_id);
CREATE INDEX runs_parent ON runs(parent_id);
-- Never hand out an id that any stored row has used (one sequence row for runs: the copy above
-- made one, which the rename carried over).
DELETE FROM sqlite_sequence WHERE name IN ('runs', 'runs_v8');
INSERT INTO sqlite_sequence(name, seq) SELECT 'runs', max(
    coalesce((SELECT max(id) FROM runs), 0),
    coalesce((SELECT max(run_id) FROM metrics), 0),
    coalesce((SELECT max(run_id) FROM predictions), 0),
    coalesce((SELECT max(run_id) FROM checkpoints), 0),
    coalesce((SELECT max(run_id) FROM metric_buckets), 0));
DELETE FROM metrics WHERE run_id NOT IN (SELECT id FROM runs);
DELETE FROM metric_buckets WHERE run_id NOT IN (SELECT id FROM runs);
DELETE FROM predictions WHERE run_id NOT IN (SELECT id FROM runs);
DELETE FROM checkpoints WHERE run_id NOT IN (SELECT id FROM runs);
DELETE FROM params WHERE run_id NOT IN (SELECT id FROM runs);
DELETE FROM run_changes WHERE run_id NOT IN (SELECT id FROM runs);
DELETE FROM run_checks WHERE run_id NOT IN (SELECT id FROM runs);
UPDATE runs SET parent_id = NULL WHERE parent_id NOT IN (SELECT id FROM runs);
UPDATE runs SET group_id = NULL WHERE group_id NOT IN (SELECT id FROM runs);
UPDATE lr_sweeps SET run_id = NULL WHERE run_id NOT IN (SELECT id FROM runs);
UPDATE submissions SET run_id = NULL WHERE run_id NOT IN (SELECT id FROM runs);
ALTER TABLE params ADD COLUMN operational INTEGER NOT NULL DEFAULT 0;
UPDATE params SET operational = 1 WHERE key IN
    ('threads', 'checks.enabled', 'checkpoint.keep', 'log.predictions', 'eval_batch_size');
)sql",
    // 8 -> 9: resuming (storage/resume_store.h). A checkpoint records a checksum of its file
    // (CRC-32 and size: a torn or edited file is detected before it is loaded) and how many checks
    // the run had when it was written. A resume archives what was logged after its checkpoint
    // into archived_* tables, tied to the resume: nothing is deleted, and the live tables hold one
    // row per step, so every reader sees the run as if it had never been interrupted.
    R"sql(
ALTER TABLE checkpoints ADD COLUMN crc32 INTEGER;
ALTER TABLE checkpoints ADD COLUMN bytes INTEGER;
ALTER TABLE checkpoints ADD COLUMN checks INTEGER NOT NULL DEFAULT 0;
CREATE TABLE resumes (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    at_step       INTEGER NOT NULL,  -- the checkpoint's step; 0 when it restarted from scratch
    at_epoch      INTEGER NOT NULL,  -- epochs complete at that step
    at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    checkpoint    TEXT,              -- NULL: no usable checkpoint, restarted from step 0
    from_status   TEXT NOT NULL,
    archived_rows INTEGER NOT NULL
);
CREATE INDEX resumes_run ON resumes(run_id);
CREATE TABLE archived_metrics (
    resume_id INTEGER NOT NULL REFERENCES resumes(id) ON DELETE CASCADE,
    key_id    INTEGER NOT NULL,
    step      INTEGER NOT NULL,
    wall      REAL NOT NULL,
    value     REAL,
    nonfinite INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (resume_id, key_id, step)
) WITHOUT ROWID;
CREATE TABLE archived_predictions (
    resume_id      INTEGER NOT NULL REFERENCES resumes(id) ON DELETE CASCADE,
    split          TEXT NOT NULL,
    epoch          INTEGER NOT NULL,
    sample_index   INTEGER NOT NULL,
    target         INTEGER NOT NULL,
    predicted      INTEGER NOT NULL,
    confidence     REAL NOT NULL,
    loss           REAL,
    loss_nonfinite INTEGER NOT NULL DEFAULT 0,
    probs          BLOB NOT NULL,
    PRIMARY KEY (resume_id, split, epoch, sample_index)
) WITHOUT ROWID;
CREATE TABLE archived_checks (
    resume_id       INTEGER NOT NULL REFERENCES resumes(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL,
    value           REAL,
    value_nonfinite INTEGER NOT NULL DEFAULT 0,
    message         TEXT NOT NULL,
    details_json    TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (resume_id, position)
) WITHOUT ROWID;
)sql",
};

// WAL is what lets the GUI and other readers read while a run writes. SQLite answers the mode it
// is in: a file system without shared memory (some network ones) or a lock held by a process
// that keeps the file in rollback mode leaves it unchanged, and nothing else says so.
Status configure(Connection& db, const std::string& path) {
    auto mode = db.prepare("PRAGMA journal_mode=WAL");
    if (!mode) return mode.error();
    auto row = mode->step();
    if (!row) return row.error();
    const std::string now = row.value() ? mode->columnText(0) : std::string();
    mode->reset();
    if (now != "wal")
        return Error{ErrorKind::CannotOpen,
                     "database '" + path + "' cannot use write-ahead logging (its journal mode " +
                         "stayed '" + now + "'), which Runboard needs so that runs can be read " +
                         "while one writes; keep the file on a local disk, not a network one"};
    return db.exec("PRAGMA synchronous=NORMAL");
}

}  // namespace

Result<std::string> databaseFile(const std::string& path, bool mustExist) {
    namespace fs = std::filesystem;
    if (path.empty())
        return Error{ErrorKind::InvalidArgument, "no database path given (an empty --db)"};
    if (path == ":memory:" || path.rfind("file:", 0) == 0)
        return Error{ErrorKind::InvalidArgument,
                     "'" + path +
                         "' is not a file path: Runboard keeps runs in a database file, e.g. "
                         "--db runs.db"};
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (fs::is_directory(st))
        return Error{ErrorKind::CannotOpen, "'" + path +
                                                "' is a directory; give a database file, e.g. '" +
                                                (fs::path(path) / "runboard.db").string() + "'"};
    if (fs::exists(st) && !fs::is_regular_file(st))
        return Error{ErrorKind::CannotOpen,
                     "'" + path + "' is not a regular file, so it cannot hold a database"};
    if (!fs::exists(st)) {
        if (mustExist)
            return Error{ErrorKind::CannotOpen, "database '" + path + "' does not exist"};
        if (fs::is_symlink(fs::symlink_status(path, ec)))
            return Error{ErrorKind::CannotOpen,
                         "'" + path + "' is a symbolic link to a file that does not exist"};
        const fs::path parent = fs::absolute(path, ec).parent_path();
        if (!fs::is_directory(parent, ec))
            return Error{ErrorKind::CannotOpen, "cannot create database '" + path +
                                                    "': the folder '" + parent.string() +
                                                    "' does not exist"};
    }
    fs::path canonical = fs::weakly_canonical(fs::absolute(path, ec), ec);
    if (ec) return Error{ErrorKind::CannotOpen, "cannot resolve '" + path + "': " + ec.message()};
    return canonical.string();
}

int latestSchemaVersion() {
    return static_cast<int>(kMigrations.size());
}

Result<Connection> openDatabase(const std::string& path, const OpenOptions& options) {
    const OpenMode mode = options.readOnly ? OpenMode::ReadOnly
                          : options.create ? OpenMode::ReadWriteCreate
                                           : OpenMode::ReadWrite;
    auto file = databaseFile(path, !options.create || options.readOnly);
    if (!file) return file.error();
    const std::filesystem::path dir = std::filesystem::path(file.value()).parent_path();
    const bool exists = std::filesystem::exists(file.value());
    if (!options.readOnly) {
        // Before SQLite tries: on a read-only file system it fails with "unable to open database
        // file" (it cannot create the WAL's files), which says nothing of the cause. access()
        // answers EROFS even for root.
        const bool fileWritable = !exists || ::access(file.value().c_str(), W_OK) == 0;
        const int fileErr = errno;
        if (!fileWritable || ::access(dir.c_str(), W_OK) != 0) {
            const int err = !fileWritable ? fileErr : errno;
            if (!fileWritable || !exists || !std::filesystem::exists(file.value() + "-wal"))
                return Error{
                    ErrorKind::ReadOnly,
                    "database '" + path + "' is not writable: " +
                        (!fileWritable ? std::string("the file")
                                       : "its folder '" + dir.string() + "'") +
                        (err == EROFS ? " is on a read-only file system"
                                      : " does not allow writing") +
                        (fileWritable ? " (SQLite keeps its write-ahead log beside the file)"
                                      : "")};
        }
    }
    auto opened = Connection::open(file.value(), mode);
    if (!opened) return opened.error();
    Connection db = std::move(opened.value());
    if (options.readOnly && ::access(dir.c_str(), W_OK) != 0 &&
        !std::filesystem::exists(file.value() + "-shm")) {
        // A reader cannot create the WAL index beside a file on a read-only medium; nothing can
        // change the file there, so it is read as immutable. Not with a non-empty -wal beside
        // it: immutable reading ignores the log, so its committed runs would silently be missing.
        if (auto probe = db.queryInt("SELECT count(*) FROM sqlite_schema"); !probe) {
            std::error_code ec;
            const auto walSize = std::filesystem::file_size(file.value() + "-wal", ec);
            if (!ec && walSize > 0)
                return Error{ErrorKind::ReadOnly,
                             "database '" + path + "' cannot be read where it is: its recent " +
                                 "changes are in '" + file.value() + "-wal', and reading that " +
                                 "log needs a '-shm' file, which the read-only folder '" +
                                 dir.string() + "' cannot hold; copy the database and its " +
                                 "-wal file to a writable folder"};
            auto immutable = Connection::open(file.value(), OpenMode::ReadOnlyImmutable);
            if (!immutable) return immutable.error();
            db = std::move(immutable.value());
        }
    }

    // Read-only checks first: nothing may be written to a file we are going to refuse.
    auto tables = db.queryInt("SELECT count(*) FROM sqlite_schema");
    if (!tables) {
        Error e = tables.error();
        if (e.kind == ErrorKind::NotADatabase)
            e.message = "'" + path + "' is not a SQLite database (" + e.message + ")";
        else
            e.message = "cannot read database '" + path + "': " + e.message;
        return e;
    }
    auto version = db.queryInt("PRAGMA user_version");
    if (!version) return version.error();
    auto appId = db.queryInt("PRAGMA application_id");
    if (!appId) return appId.error();

    if (version.value() > latestSchemaVersion()) {
        return Error{ErrorKind::NewerSchema,
                     "database '" + path + "' has schema version " +
                         std::to_string(version.value()) +
                         ", written by a newer Runboard; this build reads up to version " +
                         std::to_string(latestSchemaVersion()) + ". It was left untouched."};
    }
    if ((version.value() == 0 && tables.value() > 0) ||
        (version.value() > 0 && appId.value() != kApplicationId)) {
        return Error{ErrorKind::NotADatabase,
                     "'" + path + "' is a SQLite database but not a Runboard one; left untouched"};
    }
    if (version.value() == 0 && tables.value() == 0 && (options.readOnly || !options.migrate))
        return Error{ErrorKind::NotADatabase,
                     "'" + path + "' is empty: not a Runboard database (yet); left untouched"};
    if (version.value() < latestSchemaVersion() && (options.readOnly || !options.migrate))
        return Error{ErrorKind::CannotOpen,
                     "database '" + path + "' was written by an older Runboard (schema version " +
                         std::to_string(version.value()) +
                         "); open it once in the GUI or with a command that writes (train, "
                         "lr-find) to upgrade it"};
    if (options.readOnly) {
        if (auto s = db.exec("PRAGMA foreign_keys=ON"); !s) return s.error();
        return db;
    }
    if (sqlite3_db_readonly(db.handle(), "main") == 1) {
        return Error{ErrorKind::ReadOnly, "database '" + path + "' is not writable"};
    }
    if (auto s = configure(db, path); !s) {
        Error e = s.error();
        if (e.kind == ErrorKind::CannotOpen) return e;
        e.message = "cannot configure database '" + path + "': " + e.message;
        if (e.kind == ErrorKind::Sql) e.kind = ErrorKind::ReadOnly;
        return e;
    }
    const int target = options.schemaVersion > 0
                           ? std::min(options.schemaVersion, latestSchemaVersion())
                           : latestSchemaVersion();
    for (auto v = version.value(); v < target; ++v) {
        Transaction tx(db);
        if (!tx.begun()) return tx.begun().error();
        // Another process may have migrated while this one waited for the write lock: read the
        // version again under the lock, and never run a step twice.
        auto now = db.queryInt("PRAGMA user_version");
        if (!now) return now.error();
        if (now.value() > v) {
            v = now.value() - 1;
            continue;
        }
        if (auto s = db.exec(kMigrations[static_cast<std::size_t>(v)]); !s) {
            Error e = s.error();
            e.message = "migrating '" + path + "' to schema version " + std::to_string(v + 1) +
                        " failed: " + e.message;
            return e;
        }
        // Data migrations that SQL alone cannot express.
        if (v + 1 == 2) {
            if (auto s = rebuildAllSummaries(db); !s) return s.error();
        }
        if ((v + 1 == 6 && target < 8) || v + 1 == 8) {
            if (auto s = recordChangeSets(db, v + 1 == 8); !s) return s.error();
        }
        if (v + 1 == 8) {
            // Only what this step cleaned: older dangling rows elsewhere (e.g. points of a
            // deleted sweep) are not this migration's to judge, and must not block it.
            auto broken =
                db.queryInt("SELECT count(*) FROM pragma_foreign_key_check WHERE parent = 'runs'");
            if (!broken) return broken.error();
            if (broken.value() != 0)
                return Error{ErrorKind::Corrupt,
                             "migrating '" + path + "' to schema version 8 left " +
                                 std::to_string(broken.value()) +
                                 " rows that point to no run; the file was left unchanged"};
        }
        if (auto s = db.exec("PRAGMA user_version=" + std::to_string(v + 1)); !s) return s.error();
        if (auto s = db.exec("PRAGMA application_id=" + std::to_string(kApplicationId)); !s)
            return s.error();
        if (auto s = tx.commit(); !s) return s.error();
    }
    // Off while migrating: rebuilding a table that others reference must not cascade.
    if (auto s = db.exec("PRAGMA foreign_keys=ON"); !s) return s.error();
    return db;
}

}  // namespace runboard::storage
