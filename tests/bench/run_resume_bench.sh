#!/usr/bin/env bash
# Resuming exactly, at full size (issue 18): the default recipe on the real Fashion-MNIST, run A
# uninterrupted, run B SIGKILLed --kills times at random moments and resumed each time (the last
# kill lands in the final test evaluation), and run C stopped by SIGINT (Ctrl-C) twice and
# resumed each time. B's and C's per-step train/loss, test
# predictions (every probability, as stored) and final weights must equal A's bit for bit; their
# databases must pass PRAGMA integrity_check. The CTest version (tests/unit/resume_test.cpp) does
# the same on a small synthetic set.
#
#   tests/bench/run_resume_bench.sh [--epochs 2] [--threads 2] [--kills 5] [--seed 1]
#       [--work DIR] [--build DIR] [-- --set K=V ...]
#
# Kill moments: uniform over A's training time (measured), each after B's process has taken the
# run over; checkpoints every 100 steps (--set checkpoint.every_steps=...) so that kills land
# between them. Prints each kill's step, the resume's archived rows, and the verdicts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build/release"
WORK="$(mktemp -d /tmp/runboard-resume-bench.XXXXXX)"
EPOCHS=2 THREADS=2 KILLS=5 SEED=1
EXTRA=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --epochs) EPOCHS="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --kills) KILLS="$2"; shift 2 ;;
        --seed) SEED="$2"; shift 2 ;;
        --work) WORK="$2"; shift 2 ;;
        --build) BUILD="$2"; shift 2 ;;
        --) shift; EXTRA=("$@"); break ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
RB="$BUILD/app/runboard"
PY=/usr/bin/python3
mkdir -p "$WORK"
ARGS=(--set "epochs=$EPOCHS" --set "threads=$THREADS" --set precision=fp32
      --set checkpoint.every_steps=100 "${EXTRA[@]}")
RANDOM=$SEED

query() {  # query DB SQL: one value, or empty while the file is being created
    "$PY" - "$1" "$2" <<'EOF' 2>/dev/null || true
import sqlite3, sys
try:
    c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    v = c.execute(sys.argv[2]).fetchone()[0]
    print("" if v is None else v)
except Exception:
    pass
EOF
}
wait_for() {  # wait_for DB SQL MIN: until the query's value is >= MIN
    while :; do
        local v; v=$(query "$1" "$2")
        [[ -n "$v" && "$v" -ge "$3" ]] && return 0
        sleep 0.05
    done
}

echo "work dir: $WORK; epochs $EPOCHS, threads $THREADS, $KILLS kills"
A="$WORK/a.db" B="$WORK/b.db" C="$WORK/c.db"
rm -rf "$A"* "$B"* "$C"*
start=$(date +%s.%N)
"$RB" train --db "$A" "${ARGS[@]}" --name A > /dev/null 2> "$WORK/a.err"
seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
total=$(query "$A" "SELECT max(step) FROM metrics")
echo "A: $total steps in ${seconds%.*} s"

# B: killed at random moments, resumed each time.
cmd=(train --db "$B" "${ARGS[@]}" --name B)
for k in $(seq 1 "$KILLS"); do
    "$RB" "${cmd[@]}" > /dev/null 2>> "$WORK/b.err" &
    pid=$!
    if [[ $k -gt 1 ]]; then wait_for "$B" "SELECT count(*) FROM resumes" $((k - 1)); fi
    if [[ $k -lt $KILLS ]]; then
        delay=$(awk -v r=$((RANDOM % 1000)) -v s="$seconds" -v k="$KILLS" \
            'BEGIN { printf "%.2f", r / 1000 * s / k + 3 }')
        sleep "$delay"
    else
        wait_for "$B" "SELECT max(step) FROM checkpoints" "$total"  # then the test pass
    fi
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null && echo "B's process $k ended before its kill" || true
    echo "kill $k: at step $(query "$B" "SELECT max(step) FROM metrics"), newest checkpoint" \
         "$(query "$B" "SELECT max(step) FROM checkpoints")"
    cmd=(resume 1 --db "$B")
done
"$RB" "${cmd[@]}" > /dev/null 2>> "$WORK/b.err"

# C: stopped by Ctrl-C twice, resumed each time.
cmd=(train --db "$C" "${ARGS[@]}" --name C)
for k in 1 2; do
    "$RB" "${cmd[@]}" > /dev/null 2>> "$WORK/c.err" &
    pid=$!
    wait_for "$C" "SELECT coalesce(max(step), 0) FROM checkpoints" $((k * total / 3))
    kill -INT "$pid"
    wait "$pid" || true
    cmd=(resume 1 --db "$C")
done
"$RB" "${cmd[@]}" > /dev/null 2>> "$WORK/c.err"

"$PY" - "$A" "$B" "$C" "$EPOCHS" <<'EOF'
import sqlite3, sys, torch
a, b, c, epochs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def run(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    loss = con.execute("SELECT m.step, m.value FROM metrics m JOIN metric_keys k ON k.id = m.key_id "
                       "WHERE k.name = 'train/loss' ORDER BY m.step").fetchall()
    preds = con.execute("SELECT sample_index, probs FROM predictions WHERE split = 'test' "
                        "ORDER BY sample_index").fetchall()
    status = con.execute("SELECT status FROM runs WHERE id = 1").fetchone()[0]
    ok = con.execute("PRAGMA integrity_check").fetchone()[0]
    resumes = con.execute("SELECT at_step, archived_rows FROM resumes ORDER BY id").fetchall()
    path = con.execute("SELECT path FROM checkpoints WHERE epoch = ? ORDER BY step DESC",
                       (epochs,)).fetchone()[0]
    weights = {n: t for n, t in torch.jit.load(path).model.state_dict().items()}
    return loss, preds, status, ok, resumes, weights

ref = run(a)
failed = False
for name, db in (("B (killed)", b), ("C (Ctrl-C)", c)):
    loss, preds, status, ok, resumes, weights = run(db)
    same_loss = loss == ref[0]
    same_preds = len(preds) > 0 and preds == ref[1]
    same_weights = weights.keys() == ref[5].keys() and all(
        torch.equal(weights[k], ref[5][k]) for k in weights)
    print(f"{name}: status {status}, integrity {ok}, resumes (at step, archived rows) {resumes}")
    print(f"  train/loss {len(loss)} steps {'identical' if same_loss else 'DIFFER'}; "
          f"test predictions {len(preds)} {'identical' if same_preds else 'DIFFER'}; "
          f"weights {len(weights)} tensors {'identical' if same_weights else 'DIFFER'}")
    failed |= not (same_loss and same_preds and same_weights and status == "finished" and ok == "ok")
sys.exit(1 if failed else 0)
EOF
