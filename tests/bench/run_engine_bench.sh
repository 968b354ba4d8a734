#!/usr/bin/env bash
# Engine throughput against the Python reference and a bare LibTorch loop, alternating the three
# in every round so that machine drift hits them alike; then logging on vs off.
#   tests/bench/run_engine_bench.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/../../build/release}"
rounds="${2:-3}"
bench="$build/tests/bench/engine_bench"
out="${RUNBOARD_BENCH_OUT:-$(mktemp)}"
echo "raw results: $out" >&2
for round in $(seq "$rounds"); do
  for model in mlp cnn; do
    for prec in fp32 bf16; do
      "$bench" --mode engine --model "$model" --precision "$prec" 2>/dev/null >> "$out"
      "$bench" --mode bare --model "$model" --precision "$prec" 2>/dev/null >> "$out"
      /usr/bin/python3 "$here/python_reference.py" --model "$model" --precision "$prec" >> "$out"
    done
  done
  for mode in nolog logging; do
    "$bench" --mode "$mode" --model cnn --precision bf16 2>/dev/null >> "$out"
  done
  echo "round $round done" >&2
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def med(mode, model, prec, key="samples_per_s"):
    v = [r[key] for r in rows if r["mode"] == mode and r["model"] == model and r["precision"] == prec]
    return statistics.median(v) if v else float("nan")
print(f"{'model':5} {'prec':5} {'engine':>9} {'bare':>9} {'python':>9} {'eng/py':>7} {'eng/py-fp32':>11} {'eng/bare':>8}  (samples/s, medians of {len(rows)//14} rounds)")
for model in ("mlp", "cnn"):
    for prec in ("fp32", "bf16"):
        e, b, p = med("engine", model, prec), med("bare", model, prec), med("python", model, prec)
        pf = med("python", model, "fp32")
        print(f"{model:5} {prec:5} {e:9.0f} {b:9.0f} {p:9.0f} {e/p:7.2f} {e/pf:11.2f} {e/b:8.3f}")
n, l = med("nolog", "cnn", "bf16", "seconds"), med("logging", "cnn", "bf16", "seconds")
print(f"logging overhead (cnn bf16, 2 epochs of 10k + val 5k/epoch + test 10k): off {n:.2f} s, on {l:.2f} s: {100*(l/n-1):+.1f}%")
PY
