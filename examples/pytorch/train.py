#!/usr/bin/python3
"""Train a small PyTorch network over word n-gram features; write a slipway model.

Runs under SageMaker's training contract (channels, SM_MODEL_DIR, <SM_OUTPUT_DIR>/failure). The
network (n-gram counts, L2-normalised -> Linear -> ReLU -> Linear) is exported with torch.onnx.export
and composed with onnx.compose into one graph with the string preprocessing before it and the
softmax/label head after it, so model.onnx takes text: string[N] (docs/model-contract.md).
Needs Debian's python3-torch and python3-onnx.
"""
import json
import os
import re
import sys
import tempfile
import traceback
from collections import Counter

import numpy as np
import onnx
import onnx.compose
import torch
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
# Python's \w restricted to ASCII is RE2's \w, which the ONNX Tokenizer uses: the same tokens on both sides.
TOKEN = re.compile(r"(?a)\b\w\w+\b")
PAD = "#"  # never a token


def read_rows(channel):
    rows = []
    for name in sorted(os.listdir(channel)):
        with open(os.path.join(channel, name), encoding="utf-8") as f:
            rows.extend(json.loads(line) for line in f if line.strip())
    return rows


def hyperparameters():
    with open(os.path.join(os.environ["SM_INPUT_DIR"], "config", "hyperparameters.json")) as f:
        raw = json.load(f)
    known = {"epochs": 8, "hidden": 64, "lr": 0.01, "max_features": 5000, "seed": 0}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ValueError(f"unknown hyperparameters {unknown}; this trainer takes {sorted(known)}")
    return {k: type(v)(raw[k]) if k in raw else v for k, v in known.items()}


def ngrams(text):
    tokens = TOKEN.findall(text.lower())
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


def features(texts, vocabulary):
    """Counts of the kept n-grams, each row scaled to unit L2 norm: what the ONNX preprocessing computes."""
    x = np.zeros((len(texts), len(vocabulary)), dtype=np.float32)
    for i, text in enumerate(texts):
        for gram in ngrams(text):
            j = vocabulary.get(gram)
            if j is not None:
                x[i, j] += 1
    norms = np.maximum(np.sqrt((x * x).sum(axis=1, keepdims=True)), np.float32(1e-12))
    return x / norms


def preprocessing_graph(vocabulary):
    """text: string[N] -> features: float[N, F], the same computation as features()."""
    by_length = {1: [], 2: []}
    for gram, column in vocabulary.items():
        by_length[len(gram.split(" "))].append((gram, column))
    pool, counts, indexes = [], [], []
    for n in (1, 2):
        counts.append(len(pool))
        for gram, column in sorted(by_length[n]):
            pool.extend(gram.split(" "))
            indexes.append(column)
    nodes = [
        helper.make_node("StringNormalizer", ["text"], ["lower"], case_change_action="LOWER", locale="C.UTF-8"),
        helper.make_node("Tokenizer", ["lower"], ["tokens"], domain="com.microsoft",
                         mark=0, mincharnum=1, pad_value=PAD, tokenexp=r"\w\w+"),
        helper.make_node("TfIdfVectorizer", ["tokens"], ["counts"], mode="TF", min_gram_length=1,
                         max_gram_length=2, max_skip_count=0, ngram_counts=counts,
                         ngram_indexes=indexes, pool_strings=pool),
        helper.make_node("ReduceSumSquare", ["counts"], ["square_sum"], axes=[1], keepdims=1),
        helper.make_node("Sqrt", ["square_sum"], ["norm"]),
        helper.make_node("Max", ["norm", "tiny"], ["safe_norm"]),
        helper.make_node("Div", ["counts", "safe_norm"], ["features"]),
    ]
    graph = helper.make_graph(
        nodes, "preprocess",
        [helper.make_tensor_value_info("text", TensorProto.STRING, ["N"])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", len(vocabulary)])],
        [numpy_helper.from_array(np.array(1e-12, dtype=np.float32), "tiny")],
    )
    return graph


def head_graph(classes):
    """scores: float[N, C] -> label: string[N], probabilities: float[N, C]."""
    nodes = [
        helper.make_node("Softmax", ["scores"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["scores"], ["best"], axis=1, keepdims=0),
        helper.make_node("Gather", ["class_names", "best"], ["label"], axis=0),
    ]
    return helper.make_graph(
        nodes, "head",
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", len(classes)])],
        [
            helper.make_tensor_value_info("label", TensorProto.STRING, ["N"]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(classes)]),
        ],
        [helper.make_tensor("class_names", TensorProto.STRING, [len(classes)], [c.encode() for c in classes])],
    )


def as_model(graph):
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)],
    )
    model.ir_version = IR_VERSION
    return model


def main():
    hp = hyperparameters()
    torch.manual_seed(hp["seed"])
    train = read_rows(os.environ["SM_CHANNEL_TRAIN"])
    test = read_rows(os.environ["SM_CHANNEL_TEST"])
    classes = sorted({r["label"] for r in train})
    document_frequency = Counter(g for r in train for g in set(ngrams(r["text"])))
    kept = [g for g, df in document_frequency.most_common() if df >= 2][: hp["max_features"]]
    vocabulary = {g: i for i, g in enumerate(sorted(kept))}
    print(f"{len(train)} train rows, {len(test)} test rows, {len(vocabulary)} n-grams, hyperparameters {hp}")

    x = torch.from_numpy(features([r["text"] for r in train], vocabulary))
    index = {c: i for i, c in enumerate(classes)}
    y = torch.tensor([index[r["label"]] for r in train])
    net = torch.nn.Sequential(
        torch.nn.Linear(len(vocabulary), hp["hidden"]), torch.nn.ReLU(), torch.nn.Linear(hp["hidden"], len(classes)),
    )
    optimizer = torch.optim.Adam(net.parameters(), lr=hp["lr"])
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(1, hp["epochs"] + 1):
        order = torch.randperm(len(train))
        total = 0.0
        for start in range(0, len(train), 64):
            batch = order[start:start + 64]
            optimizer.zero_grad()
            loss = loss_fn(net(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            total += float(loss) * len(batch)
        print(f"epoch {epoch} loss {total / len(train):.4f}")
    net.eval()

    texts = [r["text"] for r in test]
    with torch.no_grad():
        probabilities = torch.softmax(net(torch.from_numpy(features(texts, vocabulary))), dim=1).numpy()
    accuracy = float(np.mean(np.array(classes)[probabilities.argmax(axis=1)] == np.array([r["label"] for r in test])))
    print(f"pytorch test accuracy {accuracy:.4f}")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "net.onnx")
        torch.onnx.export(
            net, torch.zeros(1, len(vocabulary)), path, input_names=["features"], output_names=["scores"],
            dynamic_axes={"features": {0: "N"}, "scores": {0: "N"}}, opset_version=OPSET,
        )
        network = onnx.load(path)
    network.ir_version = IR_VERSION
    # The exported graph imports the default domain only; the composed model needs both everywhere.
    network.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    model = onnx.compose.merge_models(as_model(preprocessing_graph(vocabulary)), network,
                                      io_map=[("features", "features")])
    model = onnx.compose.merge_models(model, as_model(head_graph(classes)), io_map=[("scores", "scores")])
    model.producer_name = "slipway-example-pytorch"
    helper.set_model_props(model, {"slipway.classes": json.dumps(classes)})
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(os.environ["SM_MODEL_DIR"], "model.onnx"))
    with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "predictions.jsonl"), "w") as f:
        for text, row in zip(texts, probabilities):
            f.write(json.dumps({"text": text, "probabilities": dict(zip(classes, row.tolist()))}) + "\n")
    print("wrote model.onnx")


if __name__ == "__main__":
    try:
        main()
    except Exception as error:
        traceback.print_exc()
        with open(os.path.join(os.environ.get("SM_OUTPUT_DIR", "/opt/ml/output"), "failure"), "w") as f:
            f.write(f"{type(error).__name__}: {error}\n")
        sys.exit(1)
