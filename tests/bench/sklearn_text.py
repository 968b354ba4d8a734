#!/usr/bin/python3
"""scikit-learn bag-of-words baselines on exactly a Runboard text run's split (issue 16).

  sklearn_text.py baseline DB RUN CSV [TEXT_COLUMN LABEL_COLUMN]
      reads the run's stored test predictions (their sample_index is the sample's row in the CSV,
      0-based, in file order, blank lines skipped as Runboard skips them), fits each baseline on
      every other row (the run's train + validation rows) and scores it on the test rows; prints
      one JSON line: rows, test_rows, runboard (the run's test accuracy: target == predicted at
      its last test epoch) and each baseline's test accuracy.

The baselines, scikit-learn's defaults but for the n-grams (no tuning: nothing looks at the test
rows before scoring):
  logistic    TF-IDF of word unigrams and bigrams (sublinear tf) + LogisticRegression
  linear_svc  the same features + LinearSVC
  nb          counts of word unigrams and bigrams + MultinomialNB
scikit-learn's own word tokens (runs of 2+ word characters, lower-cased), not Runboard's: these
are what a user would run as a baseline.
"""
import csv
import io
import json
import sqlite3
import sys

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC


def read_table(path, text_column, label_column):
    raw = open(path, "rb").read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    rows = [r for r in csv.reader(io.StringIO(raw.decode("utf-8", "replace"), newline=""))
            if r and r != [""]]  # Runboard skips blank lines: they are not samples
    header = [h.strip(" \t\r") for h in rows[0]]
    t, l = header.index(text_column), header.index(label_column)
    return [r[t] for r in rows[1:]], [r[l].strip(" \t\r") for r in rows[1:]]


def baseline(db, run, csv_path, text_column="text", label_column="category"):
    texts, labels = read_table(csv_path, text_column, label_column)
    con = sqlite3.connect(db)
    (epoch,) = con.execute("SELECT max(epoch) FROM predictions WHERE run_id = ? AND split = 'test'",
                           (run,)).fetchone()
    if epoch is None:
        sys.exit(f"{db}: run {run} has no stored test predictions (log.predictions = false?)")
    stored = con.execute(
        "SELECT sample_index, target = predicted FROM predictions WHERE run_id = ? AND "
        "split = 'test' AND epoch = ?", (run, epoch)).fetchall()
    test = np.array(sorted(i for i, _ in stored))
    if test.max() >= len(texts):
        sys.exit(f"{csv_path} has {len(texts)} rows, run {run} tested row {test.max()}: "
                 "not the run's CSV")
    train = np.setdiff1d(np.arange(len(texts)), test)
    x, y = np.array(texts, dtype=object), np.array(labels)
    out = {"csv": csv_path, "run": run, "rows": len(texts), "train_rows": len(train),
           "test_rows": len(test), "runboard": sum(ok for _, ok in stored) / len(stored)}
    models = {
        "logistic": make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                                  LogisticRegression(max_iter=5000)),
        "linear_svc": make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                                    LinearSVC()),
        "nb": make_pipeline(CountVectorizer(ngram_range=(1, 2)), MultinomialNB()),
    }
    for name, model in models.items():
        model.fit(x[train], y[train])
        out[name] = float((model.predict(x[test]) == y[test]).mean())
    print(json.dumps(out))


if __name__ == "__main__":
    if len(sys.argv) < 5 or sys.argv[1] != "baseline":
        sys.exit(__doc__)
    baseline(sys.argv[2], int(sys.argv[3]), sys.argv[4], *sys.argv[5:7])
