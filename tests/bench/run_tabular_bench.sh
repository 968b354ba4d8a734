#!/usr/bin/env bash
# Runboard on real tables against scikit-learn on the same split: iris, wine, breast cancer and
# digits (64 pixel columns), from Debian's python3-sklearn. Each table trains with the default
# recipe but model = mlp (data.source = csv: 20% test, 10% of the rest for validation, split by
# data.split_seed); sklearn_tables.py then fits a logistic regression and an MLP on the run's own
# train + validation rows and scores them on its test rows.
#   tests/bench/run_tabular_bench.sh [BUILD_DIR] [--set KEY=VALUE ...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/../../build/release}"
shift || true
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$here/sklearn_tables.py" write "$work"
for table in iris wine breast_cancer digits; do
  db="$work/$table.db"
  start=$(date +%s.%N)
  "$build/app/runboard" train --db "$db" --set data.source=csv \
    --set "data.path=$work/$table.csv" --set model=mlp "$@" >/dev/null 2>"$work/$table.log" ||
    { cat "$work/$table.log" >&2; exit 1; }
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  line=$(/usr/bin/python3 "$here/sklearn_tables.py" baseline "$db" 1 "$work/$table.csv")
  echo "$line" | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(
    f\"{'$table':14} rows {d['rows']:5}  test {d['test_rows']:4}  runboard {d['runboard']:.4f}\"
    f\"  sklearn logistic {d['logistic']:.4f}  sklearn mlp {d['mlp']:.4f}  ({float('$secs'):.1f} s)\")"
done
