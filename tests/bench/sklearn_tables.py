#!/usr/bin/python3
"""scikit-learn's bundled tables (Debian's python3-sklearn) as Runboard CSVs, and baselines.

  sklearn_tables.py write DIR          writes iris.csv, wine.csv, breast_cancer.csv, digits.csv
                                       (a header row, the features, then a "label" column)
  sklearn_tables.py baseline DB RUN CSV
                                       fits scikit-learn's LogisticRegression and MLPClassifier on
                                       exactly the rows the run trained and validated on, scores
                                       them on the run's test rows (read from its stored test
                                       predictions), and prints one JSON line

The sklearn CSVs themselves start with a line of counts and class names, not a header; Runboard
refuses them with a message that says so, which is why this script writes them out again.
"""
import csv
import json
import sqlite3
import sys

import numpy as np
from sklearn import datasets
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

LOADERS = {
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
    "digits": datasets.load_digits,
}


def write(out_dir):
    for name, load in LOADERS.items():
        d = load()
        names = [str(n).replace(" ", "_") for n in getattr(d, "feature_names", [])]
        if len(names) != d.data.shape[1]:
            names = [f"f{i}" for i in range(d.data.shape[1])]
        with open(f"{out_dir}/{name}.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(names + ["label"])
            for x, y in zip(d.data, d.target):
                w.writerow([repr(float(v)) for v in x] + [str(d.target_names[y])])


def baseline(db, run, csv_path):
    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    x = np.array([[float(v) for v in r[:-1]] for r in rows])
    labels = [r[-1] for r in rows]
    con = sqlite3.connect(db)
    test_ids = sorted({i for (i,) in con.execute(
        "SELECT sample_index FROM predictions WHERE run_id = ? AND split = 'test'", (run,))})
    right, total = con.execute(
        "SELECT sum(predicted = target), count(*) FROM predictions WHERE run_id = ? AND "
        "split = 'test'", (run,)).fetchone()
    acc = (right / total,) if total else None
    test = np.array(test_ids) - 1  # row numbers count from 1
    train = np.setdiff1d(np.arange(len(rows)), test)
    y = np.array(labels)
    out = {"csv": csv_path, "rows": len(rows), "test_rows": len(test),
           "runboard": acc[0] if acc else None}
    for name, model in [("logistic", LogisticRegression(max_iter=5000)),
                        ("mlp", MLPClassifier(hidden_layer_sizes=(512, 256), max_iter=500,
                                              random_state=0))]:
        pipe = make_pipeline(StandardScaler(), model).fit(x[train], y[train])
        out[name] = float((pipe.predict(x[test]) == y[test]).mean())
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        baseline(sys.argv[2], int(sys.argv[3]), sys.argv[4])
