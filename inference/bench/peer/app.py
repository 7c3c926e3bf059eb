"""The reference peer: the original Python service's contract, POST / {"text"} -> {"response", "request"}.

Run under gunicorn (sync workers, its best configuration here): MODEL_PATH=model.joblib gunicorn -w 2 app:app
"""

import os

import joblib
from flask import Flask, jsonify, request

app = Flask(__name__)
model = joblib.load(os.environ["MODEL_PATH"])


@app.post("/")
def predict():
    body = request.get_json(force=True)
    label = model.predict([body["text"]])[0]
    return jsonify({"response": str(label), "request": body})
