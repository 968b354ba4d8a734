#include "storage/migrations.h"

#include <array>

namespace runboard::storage {

namespace {

// Each entry migrates from version i to i + 1. Never edit a released entry: append a new one.
constexpr std::array<std::string_view, 11> kMigrations = {
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
    // 9 -> 10: the profiler (storage/profile_store.h). A run's model cost, measured at its start
    // (a resume measures again and replaces it), with one row per layer; and each op profiler
    // window with its op table and its phase ranges. The trace file lives beside the database
    // with the run's checkpoints; trace_path names it.
    R"sql(
CREATE TABLE run_costs (
    run_id           INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    params           INTEGER NOT NULL,
    forward_flops    REAL NOT NULL,     -- one sample, the layers with a formula
    activation_bytes INTEGER NOT NULL,  -- one sample
    batch_size       INTEGER NOT NULL,
    precision        TEXT NOT NULL,
    threads          INTEGER NOT NULL,
    peak_fp32_gflops REAL NOT NULL,
    peak_bf16_gflops REAL NOT NULL
);
CREATE TABLE layer_costs (
    run_id           INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    name             TEXT NOT NULL,
    op               TEXT NOT NULL,
    output_shape     TEXT NOT NULL,
    params           INTEGER NOT NULL,
    activation_bytes INTEGER NOT NULL,
    flops            REAL,               -- NULL: no formula for the op
    PRIMARY KEY (run_id, position)
) WITHOUT ROWID;
CREATE TABLE profile_windows (
    id                     INTEGER PRIMARY KEY,
    run_id                 INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    first_step             INTEGER NOT NULL,
    steps                  INTEGER NOT NULL,
    seconds                REAL NOT NULL,
    trace_path             TEXT,         -- NULL: no trace file was written
    trace_bytes            INTEGER NOT NULL DEFAULT 0,
    trace_events           INTEGER NOT NULL DEFAULT 0,
    trace_dropped          INTEGER NOT NULL DEFAULT 0,
    trace_dropped_below_us INTEGER NOT NULL DEFAULT 0,
    at                     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX profile_windows_run ON profile_windows(run_id);
CREATE TABLE profile_ops (
    window_id INTEGER NOT NULL REFERENCES profile_windows(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    name      TEXT NOT NULL,
    shapes    TEXT NOT NULL,
    calls     INTEGER NOT NULL,
    self_us   REAL NOT NULL,
    total_us  REAL NOT NULL,
    flops     REAL NOT NULL,
    PRIMARY KEY (window_id, position)
) WITHOUT ROWID;
CREATE TABLE profile_phases (
    window_id INTEGER NOT NULL REFERENCES profile_windows(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    name      TEXT NOT NULL,
    total_us  REAL NOT NULL,
    calls     INTEGER NOT NULL,
    PRIMARY KEY (window_id, position)
) WITHOUT ROWID;
)sql",
    // 10 -> 11: what data a run trained on (storage/run_data.h): the source's name with a
    // fingerprint of its contents, and its classes by index, recorded when it starts.
    R"sql(
CREATE TABLE run_data (
    run_id      INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    source_name TEXT NOT NULL
);
CREATE TABLE run_classes (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    class  INTEGER NOT NULL,
    name   TEXT NOT NULL,
    PRIMARY KEY (run_id, class)
) WITHOUT ROWID;
)sql",
};

}  // namespace

std::span<const std::string_view> migrations() {
    return kMigrations;
}

}  // namespace runboard::storage
