"""Two functional-API tutorials with sequence inputs, on generated data.

1. Question answering: a text and a question, each read by its own ``Embedding`` +
   ``LSTM`` branch; the two encodings are joined by ``concatenate`` and a softmax picks
   the answer. The generated texts are about one of ``ANSWERS`` topics (most of their
   words come from the topic's range of the vocabulary) and the questions are of two
   kinds; the answer is ``(topic + kind) % ANSWERS``, so the model needs both branches.

2. A shared layer: one ``LSTM`` reads two sequences; the model says whether the first
   has the larger sum. Both inputs go through the same layer object, so the model holds
   one set of LSTM weights, and training updates them through both paths.

Run: python examples/qa_two_inputs.py [--epochs 10] [--samples 4000]
"""

import argparse

import numpy as np

from keras_bridge.layers import LSTM, Dense, Embedding, Input, concatenate
from keras_bridge.models import Model
from keras_bridge.utils import set_random_seed, to_categorical

TEXT_VOCABULARY, QUESTION_VOCABULARY, ANSWERS = 1000, 100, 10
TEXT_LENGTH, QUESTION_LENGTH = 20, 5
SEQUENCE_LENGTH, FEATURES = 10, 8


# ---- question answering ---------------------------------------------------------------
def qa_data(samples, rng):
    """``({"text", "question"}, one-hot answers)``; token 0 is never used."""
    topic = rng.integers(0, ANSWERS, samples)
    width = TEXT_VOCABULARY // ANSWERS
    text = topic[:, None] * width + rng.integers(1, width, (samples, TEXT_LENGTH))
    noise = rng.random((samples, TEXT_LENGTH)) < 0.3          # 30% off-topic words
    text[noise] = rng.integers(1, TEXT_VOCABULARY, noise.sum())
    kind = rng.integers(0, 2, samples)
    half = QUESTION_VOCABULARY // 2
    question = kind[:, None] * half + rng.integers(1, half, (samples, QUESTION_LENGTH))
    answer = (topic + kind) % ANSWERS
    return ({"text": text.astype("int32"), "question": question.astype("int32")},
            to_categorical(answer, ANSWERS))


def build_qa_model():
    text_input = Input(shape=(None,), dtype="int32", name="text")
    embedded_text = Embedding(TEXT_VOCABULARY, 64)(text_input)
    encoded_text = LSTM(32)(embedded_text)

    question_input = Input(shape=(None,), dtype="int32", name="question")
    embedded_question = Embedding(QUESTION_VOCABULARY, 32)(question_input)
    encoded_question = LSTM(16)(embedded_question)

    concatenated = concatenate([encoded_text, encoded_question], axis=-1)
    answer = Dense(ANSWERS, activation="softmax")(concatenated)
    model = Model([text_input, question_input], answer, name="question_answering")
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


# ---- one LSTM shared between two inputs ---------------------------------------------
def shared_data(samples, rng):
    """``([a, b], labels)``: label 1 where sequence ``a`` has the larger sum."""
    a = rng.normal(0, 1, (samples, SEQUENCE_LENGTH, FEATURES)).astype("float32")
    b = rng.normal(0, 1, (samples, SEQUENCE_LENGTH, FEATURES)).astype("float32")
    labels = (a.sum(axis=(1, 2)) > b.sum(axis=(1, 2))).astype("float32")[:, None]
    return [a, b], labels


def build_shared_model():
    """``(model, shared_lstm)``: both inputs are encoded by ``shared_lstm``."""
    sequence_a = Input(shape=(SEQUENCE_LENGTH, FEATURES), name="sequence_a")
    sequence_b = Input(shape=(SEQUENCE_LENGTH, FEATURES), name="sequence_b")
    shared_lstm = LSTM(16)               # one layer object, so one set of weights
    encoded_a = shared_lstm(sequence_a)
    encoded_b = shared_lstm(sequence_b)
    merged = concatenate([encoded_a, encoded_b], axis=-1)
    prediction = Dense(1, activation="sigmoid")(merged)
    model = Model([sequence_a, sequence_b], prediction, name="shared_lstm")
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model, shared_lstm


def main(epochs=10, samples=4000, verbose=2, seed=1337):
    """Train both models; returns ``(qa_history, shared_history, shared_model)``."""
    set_random_seed(seed)
    rng = np.random.default_rng(seed)

    x, y = qa_data(samples, rng)
    qa = build_qa_model()
    qa.summary()
    qa_history = qa.fit(x, y, batch_size=64, epochs=epochs, verbose=verbose,
                        validation_split=0.2)

    x, y = shared_data(samples, rng)
    shared, shared_lstm = build_shared_model()
    shared.summary()
    print(f"The shared LSTM holds {len(shared_lstm.weights)} weights "
          f"({shared_lstm.count_params()} parameters) whichever input it reads.")
    shared_history = shared.fit(x, y, batch_size=64, epochs=epochs, verbose=verbose,
                                validation_split=0.2)
    return qa_history, shared_history, shared


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--samples", type=int, default=4000)
    args = parser.parse_args()
    main(args.epochs, args.samples)
