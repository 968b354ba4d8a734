#!/usr/bin/env bash
# Engine throughput against the Python reference and a bare LibTorch loop, alternating the three
# in every round so that machine drift hits them alike; then logging on vs off (and predictions
# computed but not stored), in an order that turns each round (ABC, CBA, ...) so that no mode
# always runs first.
#   tests/bench/run_engine_bench.sh [BUILD_DIR] [ROUNDS]
# LOG_PRECISION (fp32 by default) is the logging comparison's precision. bf16 rows run only on a
# CPU with native bf16 (avx512_bf16 or amx_bf16): emulated, the CNN's bf16 step is about 28x
# slower than fp32 (20 steps took over 300 s on the 2-core AMD EPYC here).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/../../build/release}"
rounds="${2:-3}"
bench="$build/tests/bench/engine_bench"
out="${RUNBOARD_BENCH_OUT:-$(mktemp)}"
log_prec="${LOG_PRECISION:-fp32}"
precisions=(fp32)
if grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo; then
  precisions+=(bf16)
else
  echo "no native bf16 on this CPU: bf16 rows skipped" >&2
fi
echo "raw results: $out" >&2
for round in $(seq "$rounds"); do
  for model in mlp cnn; do
    for prec in "${precisions[@]}"; do
      "$bench" --mode engine --model "$model" --precision "$prec" 2>/dev/null >> "$out"
      "$bench" --mode bare --model "$model" --precision "$prec" 2>/dev/null >> "$out"
      /usr/bin/python3 "$here/python_reference.py" --model "$model" --precision "$prec" >> "$out"
    done
  done
  modes=(nolog predict logging)
  (( round % 2 == 0 )) && modes=(logging predict nolog)
  for mode in "${modes[@]}"; do
    "$bench" --mode "$mode" --model cnn --precision "$log_prec" 2>/dev/null >> "$out"
  done
  echo "round $round done" >&2
done
/usr/bin/python3 - "$out" <<PY
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def med(mode, model, prec, key="samples_per_s"):
    v = [r[key] for r in rows if r["mode"] == mode and r["model"] == model and r["precision"] == prec]
    return statistics.median(v) if v else float("nan")
print(f"{'model':5} {'prec':5} {'engine':>9} {'bare':>9} {'python':>9} {'eng/py':>7} {'eng/py-fp32':>11} {'eng/bare':>8}  (samples/s, medians of $rounds rounds)")
for model in ("mlp", "cnn"):
    for prec in ("fp32", "bf16"):
        e, b, p = med("engine", model, prec), med("bare", model, prec), med("python", model, prec)
        pf = med("python", model, "fp32")
        if e != e:
            continue  # not run (bf16 without native support)
        print(f"{model:5} {prec:5} {e:9.0f} {b:9.0f} {p:9.0f} {e/p:7.2f} {e/pf:11.2f} {e/b:8.3f}")
n, p, l = (med(m, "cnn", "$log_prec", "seconds") for m in ("nolog", "predict", "logging"))
setup, flush = med("logging", "cnn", "$log_prec", "setup_seconds"), med("logging", "cnn", "$log_prec", "flush_seconds")
print(f"logging overhead (cnn $log_prec, 2 epochs of 10k + val 5k/epoch + test 10k): off {n:.2f} s, "
      f"predictions computed {p:.2f} s ({100*(p/n-1):+.1f}%), on {l:.2f} s: {100*(l/n-1):+.1f}% "
      f"(store set-up {setup:.2f} s, last flush {flush:.2f} s)")
PY
