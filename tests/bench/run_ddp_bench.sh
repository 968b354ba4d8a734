#!/usr/bin/env bash
# Data-parallel training end to end (issue 19): `runboard train` of the default cnn on
# Fashion-MNIST as one process on every core (batch 128) against `--nproc 2` (2 ranks of 1
# thread, batch 64 each: the same global batch), with PyTorch's own DistributedDataParallel over
# Gloo as the peer (tests/bench/peer_ddp.py, 2 ranks as torchrun starts them), in alternating
# rounds. Runboard's samples/s is the median of its logged train/samples_per_s (the whole step:
# data, allreduce, logging); its allreduce share is time/allreduce over time/step.
#
#   tests/bench/run_ddp_bench.sh [--rounds 3] [--limit 12800] [--precision auto|fp32|bf16]
#       [--build DIR]
#   tests/bench/run_ddp_bench.sh --accuracy [--epochs 3]   # test accuracy, 1 process vs 2 ranks
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build/release"
ROUNDS=3 LIMIT=12800 PRECISION=auto ACCURACY=0 EPOCHS=3
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --limit) LIMIT="$2"; shift 2 ;;
        --precision) PRECISION="$2"; shift 2 ;;
        --epochs) EPOCHS="$2"; shift 2 ;;
        --accuracy) ACCURACY=1; shift ;;
        --build) BUILD="$2"; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
RB="$BUILD/app/runboard"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
CORES="$(nproc)"

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# median of train/samples_per_s, and the allreduce's share of the mean step, of run 1 in DB.
report() {
    sqlite3 "$1" "
      WITH k AS (SELECT id, name FROM metric_keys),
      s AS (SELECT value FROM metrics WHERE run_id = 1 AND key_id = (SELECT id FROM k WHERE name = 'train/samples_per_s') ORDER BY value),
      c AS (SELECT count(*) AS n FROM s)
      SELECT printf('%.0f samples/s', (SELECT value FROM s LIMIT 1 OFFSET (SELECT n / 2 FROM c))) ||
        CASE WHEN (SELECT id FROM k WHERE name = 'time/allreduce') IS NULL THEN '' ELSE printf(', allreduce %.1f of %.1f ms a step (%.0f%%)',
          (SELECT avg(value) FROM metrics WHERE run_id = 1 AND key_id = (SELECT id FROM k WHERE name = 'time/allreduce')),
          (SELECT avg(value) FROM metrics WHERE run_id = 1 AND key_id = (SELECT id FROM k WHERE name = 'time/step')),
          100.0 * (SELECT avg(value) FROM metrics WHERE run_id = 1 AND key_id = (SELECT id FROM k WHERE name = 'time/allreduce')) /
                  (SELECT avg(value) FROM metrics WHERE run_id = 1 AND key_id = (SELECT id FROM k WHERE name = 'time/step'))) END ||
        printf(', test accuracy %.4f', (SELECT value FROM metrics WHERE run_id = 1 AND key_id = (SELECT id FROM k WHERE name = 'test/accuracy')))"
}

common=(--set model=cnn --set precision="$PRECISION" --set checks.enabled=false)
if (( ACCURACY )); then
    "$RB" train --db "$WORK/one.db" "${common[@]}" --set epochs="$EPOCHS" > /dev/null 2>&1
    echo "1 process x $CORES threads, batch 128, $EPOCHS epochs: $(report "$WORK/one.db")"
    "$RB" train --db "$WORK/two.db" --nproc 2 "${common[@]}" --set epochs="$EPOCHS" \
        --set batch_size=64 > /dev/null 2>&1
    echo "2 ranks x 1 thread, batch 2 x 64, $EPOCHS epochs: $(report "$WORK/two.db")"
    exit 0
fi
common+=(--set data.limit="$LIMIT" --set epochs=1)
peer_precision="$PRECISION"
[[ "$PRECISION" == auto ]] && peer_precision="$(grep -q avx512_bf16 /proc/cpuinfo && echo bf16 || echo fp32)"
steps=$(( LIMIT / 128 ))
for (( round = 1; round <= ROUNDS; round++ )); do
    echo "round $round"
    rm -f "$WORK"/*.db
    run_one() {
        "$RB" train --db "$WORK/one.db" "${common[@]}" > /dev/null 2>&1
        echo "  runboard 1 x $CORES threads: $(report "$WORK/one.db")"
    }
    run_two() {
        "$RB" train --db "$WORK/two.db" --nproc 2 "${common[@]}" --set batch_size=64 \
            > /dev/null 2>&1
        echo "  runboard --nproc 2:         $(report "$WORK/two.db")"
    }
    run_peer() {
        local port; port="$(free_port)"
        for r in 1 0; do
            WORLD_SIZE=2 RANK=$r MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" \
                OMP_NUM_THREADS=$(( CORES / 2 > 0 ? CORES / 2 : 1 )) \
                /usr/bin/python3 "$ROOT/tests/bench/peer_ddp.py" --steps "$steps" --batch 64 \
                --precision "$peer_precision" > "$WORK/peer$r.json" &
        done
        wait
        echo "  python DDP 2 x 1 thread:    $(cat "$WORK/peer0.json")"
    }
    if (( round % 2 )); then run_one; run_two; run_peer; else run_peer; run_two; run_one; fi
done
