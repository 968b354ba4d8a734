#!/usr/bin/env bash
# Issue 16 (text and smart padding): Runboard's gru on the fortunes CSV (scripts/fortunes-csv: 5553
# quotations, 6 categories) with data.bucketing on and off, against the plain PyTorch script a
# user would otherwise write (peer_text.py: the same split, tokens, vocabulary, model and recipe, a
# DataLoader padding each batch to its longest; also with length-grouped batches), alternating the
# four in every round and turning the order each round (ABCD, DCBA, ...) so that machine drift hits
# them alike; then scikit-learn bag-of-words baselines (sklearn_text.py) on the run's own split.
#   tests/bench/run_text_bench.sh [BUILD_DIR] [ROUNDS]
# EPOCHS (3), BATCH (128) and THREADS (0: Runboard's default, OMP_NUM_THREADS or every core, and
# torch's default in the script) are the same for all; checks.enabled = false (the pre-flight
# checklist trains outside the measured steps and costs about 30 s a run). PRECISION is set for
# both sides alike: by default Runboard's precision = auto, i.e. bf16 autocast on a CPU with native
# bf16 (avx512_bf16 or amx_bf16), else fp32. LibTorch 1.13's packed GRU is slow in fp32 on the CPU:
# its backward zero-fills and adds the whole [tokens, 3 x hidden] input projection once per time
# step, so a step grows with (longest sample) x (tokens); a 128 x 80 batch took 3.2 s in fp32 and
# 0.17 s in bf16 on the 2-core EPYC here, and a run without bucketing (most batches padded to
# max_len 256) then takes many minutes an epoch.
#
# samples/s, the same for both sides: a step runs from asking for the batch (Runboard's
# TrainBatches::get, the DataLoader's collate) to the end of the optimizer step (loss.item() and
# the batch's correct count included; Runboard also measures the gradient norm on step 1, every
# 10th and each epoch's last). Runboard stores batch / that step's seconds as train/samples_per_s
# for every step (engine/trainer.cpp); both are summarised as the samples of the timed steps
# divided by the sum of their seconds. Timed are the steps after the first epoch, which is the
# warm-up (whole epochs, so that every batch counts once: bucketing puts each epoch's longest
# batch first, and skipping a few steps would skip exactly that one), or with EPOCHS=1 the steps
# after the first 5. Evaluation, checkpoints and recording are outside the steps. tokens/s: the
# steps' real (non-pad) tokens over the same seconds. padding: pad slots / all slots (batch x its
# longest) over every training step. Runboard drops each epoch's last partial batch; the
# DataLoader (drop_last=False) keeps it. wall s: the whole process (Runboard's includes loading
# and tokenizing, a checkpoint and a validation pass each epoch, the test pass and the database).
# Runboard tunes glibc's malloc (mallopt in engine/runtime.cpp); the script runs with the
# defaults, as a user's would, and its long batches are much slower for it (see peer_text.py).
# To take the allocator out of the comparison, run with MALLOC_MMAP_THRESHOLD_=33554432
# MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 in the environment (Runboard sets
# the same values itself).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/../../build/release}"
rounds="${2:-3}"
epochs="${EPOCHS:-3}"
batch="${BATCH:-128}"
threads="${THREADS:-0}"
warmup=5
if [[ -z "${PRECISION:-}" ]]; then
  PRECISION=fp32
  grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo && PRECISION=bf16
fi
[[ "$PRECISION" == fp32 ]] &&
  echo "precision fp32: LibTorch 1.13's packed GRU backward is slow in fp32 (see the header)" >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="${RUNBOARD_BENCH_OUT:-$(mktemp)}"
echo "raw results: $out" >&2
csv="$work/fortunes.csv"
"$here/../../scripts/fortunes-csv" "$csv" 2>/dev/null

# One Runboard run; its per-step metrics summarised into a JSON line like peer_text.py's.
runboard() {  # on|off round
  local db="$work/runboard-$1-$2.db" flag=true
  [[ "$1" == off ]] && flag=false
  local start secs
  start=$(date +%s.%N)
  "$build/app/runboard" train --db "$db" --set model=gru --set data.source=text \
    --set "data.path=$csv" --set data.text=text --set data.label=category \
    --set "data.bucketing=$flag" --set "epochs=$epochs" --set "batch_size=$batch" \
    --set "threads=$threads" --set "precision=$PRECISION" --set checks.enabled=false \
    >/dev/null 2>"$work/runboard.log" || { cat "$work/runboard.log" >&2; exit 1; }
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  /usr/bin/python3 - "$db" "$flag" "$batch" "$warmup" "$secs" "$PRECISION" <<'PY'
import json, sqlite3, sys
db, flag, batch, warmup, secs, precision = sys.argv[1:]
batch, warmup = int(batch), int(warmup)
con = sqlite3.connect(db)
def series(key):
    return dict(con.execute("SELECT m.step, m.value FROM metrics m JOIN metric_keys k "
                            "ON k.id = m.key_id WHERE m.run_id = 1 AND k.name = ?", (key,)))
def last(key):
    v = series(key)
    return v[max(v)] if v else None
sps, pad, tps = series("train/samples_per_s"), series("train/padding"), series("train/tokens_per_s")
epochs = int(last("epoch"))
per_epoch = len(sps) // epochs  # steps count from 1
timed_s = timed_n = timed_tok = tokens = slots = 0.0
timed_steps = 0
for step in sorted(sps):
    seconds = batch / sps[step]  # every training batch is full: the last partial one is dropped
    tok = tps[step] * seconds
    tokens += tok
    slots += tok / (1 - pad[step])
    if (step > per_epoch) if epochs > 1 else step > warmup:
        timed_s, timed_n, timed_tok = timed_s + seconds, timed_n + batch, timed_tok + tok
        timed_steps += 1
threads = con.execute("SELECT value FROM params WHERE run_id = 1 AND key = 'threads'").fetchone()
print(json.dumps({
    "mode": "runboard", "model": "gru", "bucketing": flag == "true", "precision": precision,
    "threads": int(threads[0]) if threads else None, "batch": batch, "epochs": epochs,
    "steps": len(sps), "timed_steps": timed_steps,
    "samples_per_s": round(timed_n / timed_s, 1), "tokens_per_s": round(timed_tok / timed_s, 1),
    "padding": round(1 - tokens / slots, 4), "wall_seconds": round(float(secs), 2),
    "val_accuracy": round(last("val/accuracy"), 4), "test_accuracy": round(last("test/accuracy"), 4),
    "db": db}))
PY
}

peer() {  # plain|bucketing
  local extra=() start line secs
  [[ "$1" == bucketing ]] && extra=(--bucketing)
  start=$(date +%s.%N)
  line=$(/usr/bin/python3 "$here/peer_text.py" --csv "$csv" --epochs "$epochs" --batch "$batch" \
    --threads "$threads" --precision "$PRECISION" "${extra[@]}")
  secs=$(printf '%.2f' "$(echo "$(date +%s.%N) - $start" | bc)")
  echo "${line%\}}, \"wall_seconds\": $secs}"  # the whole process, as Runboard's
}

for round in $(seq "$rounds"); do
  modes=(runboard-on runboard-off python-plain python-bucketing)
  (( round % 2 == 0 )) && modes=(python-bucketing python-plain runboard-off runboard-on)
  for mode in "${modes[@]}"; do
    case "$mode" in
      runboard-*) runboard "${mode#runboard-}" "$round" >> "$out" ;;
      python-*) peer "${mode#python-}" >> "$out" ;;
    esac
  done
  echo "round $round done" >&2
done
/usr/bin/python3 "$here/sklearn_text.py" baseline "$work/runboard-on-1.db" 1 "$csv" >> "$out"

/usr/bin/python3 - "$out" <<PY
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def med(mode, bucketing, key="samples_per_s"):
    v = [r[key] for r in rows if r.get("mode") == mode and r["bucketing"] == bucketing
         and r.get(key) is not None]
    return statistics.median(v) if v else float("nan")
print(f"gru on fortunes, $epochs epochs, batch $batch, $PRECISION, threads $threads "
      f"(medians of $rounds rounds)")
print(f"{'':9} {'bucketing':9} {'samples/s':>9} {'tokens/s':>9} {'padding':>8} {'val acc':>8} "
      f"{'test acc':>8} {'wall s':>8}")
for mode in ("runboard", "python"):
    for b in (True, False):
        print(f"{mode:9} {'on' if b else 'off':9} {med(mode, b):9.0f} "
              f"{med(mode, b, 'tokens_per_s'):9.0f} {100 * med(mode, b, 'padding'):7.1f}% "
              f"{med(mode, b, 'val_accuracy'):8.4f} {med(mode, b, 'test_accuracy'):8.4f} "
              f"{med(mode, b, 'wall_seconds'):8.1f}")
def verdict(ok):
    return "met" if ok else "NOT met"
on, off = med("runboard", True, "padding"), med("runboard", False, "padding")
print(f"padding share: {100 * on:.1f}% with bucketing, {100 * off:.1f}% without "
      f"(target <= 10% with: {verdict(on <= 0.10)})")
r = med("runboard", True) / med("runboard", False)
print(f"gru samples/s, bucketing on / off: {r:.2f}x (target >= 1.5x: {verdict(r >= 1.5)})")
r = med("runboard", True) / med("python", False)
print(f"runboard (bucketing, its default) / the plain PyTorch script (DataLoader padding each batch "
      f"to its longest): {r:.2f}x (target >= 1.5x: {verdict(r >= 1.5)})")
print(f"like for like: runboard / python {med('runboard', False) / med('python', False):.2f}x "
      f"without bucketing, {med('runboard', True) / med('python', True):.2f}x with")
sk = [r for r in rows if "logistic" in r]
if sk:
    s = sk[-1]
    print(f"test accuracy on the same {s['test_rows']} test rows (fitted on the other "
          f"{s['train_rows']}): runboard gru {s['runboard']:.4f}, sklearn tf-idf + logistic "
          f"{s['logistic']:.4f}, tf-idf + linear svc {s['linear_svc']:.4f}, counts + naive bayes "
          f"{s['nb']:.4f}")
PY
