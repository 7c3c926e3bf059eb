#!/usr/bin/python3
"""Train TF-IDF (word 1-2 grams) + logistic regression with scikit-learn; write a slipway model.

Runs under SageMaker's training contract: data from the `train` and `test` channels (JSONL rows
{"text", "label"}), hyperparameters from hyperparameters.json (string values), the model to
SM_MODEL_DIR, a failure reason to <SM_OUTPUT_DIR>/failure. Needs scikit-learn and onnx only
(Debian: python3-sklearn python3-onnx); skl2onnx is not used, the ONNX graph is built by hand.

    SM_* set by SageMaker, or by `slipway run --trainer-command "python3 train.py"` on your machine.
"""
import json
import os
import sys
import traceback

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

# Python's \w restricted to ASCII, which is what RE2's \w (the Tokenizer's) matches: the same tokens
# on both sides. scikit-learn's default is (?u)\b\w\w+\b.
TOKEN_PATTERN = r"(?a)\b\w\w+\b"
RE2_TOKEN_PATTERN = r"\w\w+"
# Never a token (tokens are word characters), so n-grams that run into padding match nothing.
PAD = "#"


def read_rows(channel):
    rows = []
    for name in sorted(os.listdir(channel)):
        with open(os.path.join(channel, name), encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                if not isinstance(row.get("text"), str) or not isinstance(row.get("label"), str):
                    raise ValueError(f"{name} line {number}: expected {{\"text\": string, \"label\": string}}")
                rows.append(row)
    return rows


def hyperparameters():
    with open(os.path.join(os.environ["SM_INPUT_DIR"], "config", "hyperparameters.json")) as f:
        raw = json.load(f)
    known = {"C": 10.0, "max_iter": 1000, "min_df": 2, "ngram_max": 2}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ValueError(f"unknown hyperparameters {unknown}; this trainer takes {sorted(known)}")
    return {k: type(v)(raw[k]) if k in raw else v for k, v in known.items()}


def build_onnx(vectorizer, classifier):
    """One graph: text: string[N] -> label: string[N], probabilities: float[N, C] (docs/model-contract.md)."""
    vocabulary = vectorizer.vocabulary_  # n-gram -> column
    by_length = {}
    for ngram, column in vocabulary.items():
        by_length.setdefault(len(ngram.split(" ")), []).append((ngram, column))
    pool, counts, indexes = [], [], []
    for n in range(1, max(by_length) + 1):
        counts.append(len(pool))
        for ngram, column in sorted(by_length.get(n, [])):
            pool.extend(ngram.split(" "))
            indexes.append(column)
    features = len(vocabulary)
    classes = [str(c) for c in classifier.classes_]
    coef = classifier.coef_.astype(np.float32)
    intercept = classifier.intercept_.astype(np.float32)
    if len(classes) == 2:
        # Binary: P(classes[1]) = sigmoid(z), which is softmax over the scores [0, z].
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.array([0.0, intercept[0]], dtype=np.float32)
    nodes = [
        helper.make_node("StringNormalizer", ["text"], ["lower"], case_change_action="LOWER", locale="C.UTF-8"),
        helper.make_node(
            "Tokenizer", ["lower"], ["tokens"], domain="com.microsoft",
            mark=0, mincharnum=1, pad_value=PAD, tokenexp=RE2_TOKEN_PATTERN,
        ),
        helper.make_node(
            "TfIdfVectorizer", ["tokens"], ["counts"], mode="TF",
            min_gram_length=1, max_gram_length=max(by_length), max_skip_count=0,
            ngram_counts=counts, ngram_indexes=indexes, pool_strings=pool,
        ),
        # scikit-learn's sublinear_tf: 1 + ln(tf) where tf > 0, else 0.
        helper.make_node("Max", ["counts", "one"], ["counts_at_least_one"]),
        helper.make_node("Log", ["counts_at_least_one"], ["log_counts"]),
        helper.make_node("Add", ["log_counts", "one"], ["sublinear"]),
        helper.make_node("Min", ["counts", "one"], ["present"]),
        helper.make_node("Mul", ["sublinear", "present"], ["tf"]),
        helper.make_node("Mul", ["tf", "idf"], ["tfidf"]),
        # L2 norm per row; an empty row stays zero.
        helper.make_node("ReduceSumSquare", ["tfidf"], ["square_sum"], axes=[1], keepdims=1),
        helper.make_node("Sqrt", ["square_sum"], ["norm"]),
        helper.make_node("Max", ["norm", "tiny"], ["safe_norm"]),
        helper.make_node("Div", ["tfidf", "safe_norm"], ["features"]),
        helper.make_node("Gemm", ["features", "coef", "intercept"], ["scores"], transB=1),
        helper.make_node("Softmax", ["scores"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["scores"], ["best"], axis=1, keepdims=0),
        helper.make_node("Gather", ["class_names", "best"], ["label"], axis=0),
    ]
    initializers = [
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
        numpy_helper.from_array(np.array(1e-12, dtype=np.float32), "tiny"),
        numpy_helper.from_array(vectorizer.idf_.astype(np.float32), "idf"),
        numpy_helper.from_array(coef, "coef"),
        numpy_helper.from_array(intercept, "intercept"),
        helper.make_tensor("class_names", TensorProto.STRING, [len(classes)], [c.encode() for c in classes]),
    ]
    graph = helper.make_graph(
        nodes, "tfidf_logreg",
        [helper.make_tensor_value_info("text", TensorProto.STRING, ["N"])],
        [
            helper.make_tensor_value_info("label", TensorProto.STRING, ["N"]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(classes)]),
        ],
        initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
        producer_name="slipway-example-sklearn",
    )
    model.ir_version = 8
    helper.set_model_props(model, {
        "slipway.classes": json.dumps(classes),
        "slipway.features": str(features),
    })
    return model


def main():
    hp = hyperparameters()
    train = read_rows(os.environ["SM_CHANNEL_TRAIN"])
    test = read_rows(os.environ["SM_CHANNEL_TEST"])
    print(f"{len(train)} train rows, {len(test)} test rows, hyperparameters {hp}")
    vectorizer = TfidfVectorizer(
        ngram_range=(1, hp["ngram_max"]), sublinear_tf=True, min_df=hp["min_df"], token_pattern=TOKEN_PATTERN,
    )
    x = vectorizer.fit_transform([r["text"] for r in train])
    classifier = LogisticRegression(C=hp["C"], max_iter=hp["max_iter"])
    classifier.fit(x, [r["label"] for r in train])
    print(f"fitted {x.shape[1]} n-grams in {classifier.n_iter_.max()} iterations")
    texts = [r["text"] for r in test]
    probabilities = classifier.predict_proba(vectorizer.transform(texts))
    accuracy = float(np.mean(classifier.classes_[probabilities.argmax(axis=1)] == np.array([r["label"] for r in test])))
    print(f"scikit-learn test accuracy {accuracy:.4f}")
    model = build_onnx(vectorizer, classifier)
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(os.environ["SM_MODEL_DIR"], "model.onnx"))
    # scikit-learn's own answers, beside the model (SageMaker uploads output/data as output.tar.gz):
    # what a parity check compares onnxruntime's with.
    with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "predictions.jsonl"), "w") as f:
        for text, row in zip(texts, probabilities):
            f.write(json.dumps({"text": text, "probabilities": dict(zip(map(str, classifier.classes_), row.tolist()))}) + "\n")
    print("wrote model.onnx")


if __name__ == "__main__":
    try:
        main()
    except Exception as error:
        traceback.print_exc()
        with open(os.path.join(os.environ.get("SM_OUTPUT_DIR", "/opt/ml/output"), "failure"), "w") as f:
            f.write(f"{type(error).__name__}: {error}\n")
        sys.exit(1)
