#!/usr/bin/env bash
# Data-parallel on this machine (issue 19): the same global batch trained by 1 process on all
# threads, by 2 ranks of 1 thread and by 4 ranks of 1 thread (oversubscribed on 2 cores), in
# alternating rounds, with the allreduce's share of each rank's step. The ranks are started as
# torchrun starts them: RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT in their environment.
#
#   tests/bench/run_dist_bench.sh [--rounds 3] [--batch 128] [--steps 200] [--model cnn]
#       [--overlap KB] [--build DIR]
#
# --overlap KB: world size 2 only, each round the allreduce after backward (the trainer's way)
# against buckets of KB kilobytes started from autograd hooks while backward runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build/release"
ROUNDS=3 BATCH=128 STEPS=200 MODEL=cnn OVERLAP=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --batch) BATCH="$2"; shift 2 ;;
        --steps) STEPS="$2"; shift 2 ;;
        --model) MODEL="$2"; shift 2 ;;
        --overlap) OVERLAP="$2"; shift 2 ;;
        --build) BUILD="$2"; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
BENCH="$BUILD/tests/bench/dist_bench"
CORES="$(nproc)"
export OMP_WAIT_POLICY=PASSIVE

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# world: ranks; each takes BATCH / world samples a step on max(1, CORES / world) threads.
run_world() {
    local world="$1" overlap="${2:-0}" port pids=() threads=$(( CORES / $1 ))
    (( threads < 1 )) && threads=1
    if (( world == 1 )); then
        "$BENCH" --steps "$STEPS" --batch "$BATCH" --threads "$CORES" --model "$MODEL"
        return
    fi
    port="$(free_port)"
    for (( r = world - 1; r >= 0; r-- )); do
        RANK=$r WORLD_SIZE=$world MASTER_ADDR=127.0.0.1 MASTER_PORT=$port OMP_NUM_THREADS=$threads \
            "$BENCH" --steps "$STEPS" --batch $(( BATCH / world )) --threads "$threads" \
            --model "$MODEL" --overlap "$overlap" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
}

for (( round = 1; round <= ROUNDS; round++ )); do
    echo "== round $round"
    if (( OVERLAP > 0 )); then
        if (( round % 2 )); then run_world 2 0; run_world 2 "$OVERLAP"
        else run_world 2 "$OVERLAP"; run_world 2 0; fi
        continue
    fi
    for world in 1 2 4; do run_world "$world"; done
done
