"""Trains the reference peer: the scikit-learn stack slipway replaces (TF-IDF + LogisticRegression).

Same split and the same settings as slipway's trainer defaults (word 1-2 grams, min_df 2, sublinear tf,
C 10). Usage: train_peer.py <train.jsonl> <test.jsonl> <model.joblib>; prints one JSON line with test
accuracy and in-process predict latency (ms).
"""

import json
import statistics
import sys
import time

import joblib
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline


def read_rows(path):
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [row["text"] for row in rows], [row["label"] for row in rows]


def median_ms(fn, repeat, rounds=5):
    """The best of `rounds` medians, as the slipway side reports it."""
    for _ in range(200):
        fn()
    medians = []
    for _ in range(rounds):
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000)
        medians.append(statistics.median(samples))
    return min(medians)


def timed(fn):
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main():
    train_path, test_path, out_path = sys.argv[1:4]
    x_train, y_train = read_rows(train_path)
    x_test, y_test = read_rows(test_path)
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        LogisticRegression(C=10, max_iter=1000),
    )
    model.fit(x_train, y_train)
    joblib.dump(model, out_path)
    accuracy = sum(p == y for p, y in zip(model.predict(x_test), y_test)) / len(y_test)
    batch = (x_test * 64)[:64]
    print(
        json.dumps(
            {
                "accuracy": accuracy,
                "singleMs": median_ms(lambda: model.predict_proba([x_test[0]]), 1000),
                "batch64Ms": median_ms(lambda: model.predict_proba(batch), 100),
                "allMs": min(timed(lambda: model.predict_proba(x_test)) for _ in range(5)),
            }
        )
    )


if __name__ == "__main__":
    main()
