"""The reference peer: scikit-learn's TF-IDF + LogisticRegression on the same split slipway trains on,
with slipway's defaults (C=10, word 1-2-grams, min_df 2, sublinear tf, every n-gram).

Usage: python3 peer_train.py train.jsonl test.jsonl  ->  one JSON line with fit time, metrics, peak RSS.
"""
import json
import resource
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline


def read(path):
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r["text"] for r in rows], [r["label"] for r in rows]


x_train, y_train = read(sys.argv[1])
x_test, y_test = read(sys.argv[2])
model = make_pipeline(
    TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
    LogisticRegression(C=10, max_iter=1000),
)
start = time.perf_counter()
model.fit(x_train, y_train)
fit_ms = (time.perf_counter() - start) * 1000
predicted = model.predict(x_test)
print(json.dumps({
    "fitMs": fit_ms,
    "accuracy": accuracy_score(y_test, predicted),
    "macroF1": f1_score(y_test, predicted, average="macro"),
    "features": len(model[0].vocabulary_),
    "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
