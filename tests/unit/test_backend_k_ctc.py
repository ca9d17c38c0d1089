"""K.ctc_batch_cost and K.ctc_decode on both engines, against brute force over every
alignment of tiny inputs (numpy, written here)."""

import itertools

import numpy as np
import pytest

from keras_bridge import backends
from keras_bridge import backend as K
from keras_bridge import config, layers, models, ops

EPS = 1e-7
rng = np.random.default_rng(0)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def collapse(path, blank):
    out, prev = [], None
    for c in path:
        if c != prev and c != blank:
            out.append(int(c))
        prev = c
    return tuple(out)


def labelling_probs(y_pred, length):
    """{labels: probability} over every alignment of the first ``length`` steps, with
    Keras 2's per-step distribution (y_pred + eps) renormalised."""
    q = (y_pred[:length] + EPS).astype("float64")
    q = q / q.sum(-1, keepdims=True)
    blank = y_pred.shape[-1] - 1
    probs = {}
    for path in itertools.product(range(y_pred.shape[-1]), repeat=length):
        p = np.prod([q[t, c] for t, c in enumerate(path)])
        key = collapse(path, blank)
        probs[key] = probs.get(key, 0.0) + p
    return probs


def brute_ctc_loss(y_true, y_pred, input_length, label_length):
    return np.array([[-np.log(labelling_probs(y_pred[i], input_length[i]).get(
        tuple(y_true[i, :label_length[i]]), 0.0))] for i in range(len(y_pred))])


# batch 3, 4 steps, 2 labels + blank (class 2)
Y_PRED = softmax(rng.standard_normal((3, 4, 3)) * 2).astype("float32")
Y_TRUE = np.array([[0, 1], [1, 1], [0, 0]])  # sample 3 uses one label only
INPUT_LENGTH = np.array([4, 4, 3])
LABEL_LENGTH = np.array([2, 2, 1])


def test_ctc_batch_cost_matches_brute_force(backend):
    loss = K.ctc_batch_cost(Y_TRUE, Y_PRED, INPUT_LENGTH[:, None], LABEL_LENGTH[:, None])
    assert backends.backend_of_type(type(loss)) == backend
    expected = brute_ctc_loss(Y_TRUE, Y_PRED, INPUT_LENGTH, LABEL_LENGTH)
    np.testing.assert_allclose(ops.convert_to_numpy(loss), expected, rtol=1e-5, atol=1e-5)


def test_ctc_batch_cost_accepts_float_labels_and_flat_lengths(backend):
    loss = K.ctc_batch_cost(Y_TRUE.astype("float32"), K.constant(Y_PRED), INPUT_LENGTH,
                            LABEL_LENGTH)
    expected = brute_ctc_loss(Y_TRUE, Y_PRED, INPUT_LENGTH, LABEL_LENGTH)
    np.testing.assert_allclose(ops.convert_to_numpy(loss), expected, rtol=1e-5, atol=1e-5)


def _grad(backend, y_pred):
    def loss(p):
        return K.sum(K.ctc_batch_cost(Y_TRUE, p, INPUT_LENGTH[:, None],
                                      LABEL_LENGTH[:, None]))
    config.set_backend(backend)
    if backend == "torch":
        import torch
        p = torch.tensor(y_pred, requires_grad=True)
        loss(p).backward()
        return p.grad.numpy()
    import jax
    return np.asarray(jax.grad(loss)(y_pred))


def test_ctc_gradient_matches_finite_differences(backend):
    grad = _grad(backend, Y_PRED)
    numeric = np.zeros(Y_PRED.shape)
    base = Y_PRED.astype("float64")
    h = 1e-5
    for idx in np.ndindex(*Y_PRED.shape):
        up, down = base.copy(), base.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (brute_ctc_loss(Y_TRUE, up, INPUT_LENGTH, LABEL_LENGTH).sum()
                        - brute_ctc_loss(Y_TRUE, down, INPUT_LENGTH, LABEL_LENGTH).sum()) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=2e-3, atol=2e-3)


def test_ctc_gradients_agree_across_engines():
    pytest.importorskip("torch")
    pytest.importorskip("jax")
    np.testing.assert_allclose(_grad("torch", Y_PRED), _grad("jax", Y_PRED), rtol=1e-5,
                               atol=1e-6)


def test_ctc_decode_greedy(backend):
    y = softmax(rng.standard_normal((3, 6, 4)) * 3).astype("float32")
    lengths = np.array([6, 4, 1])
    # Force repeats around a blank and a run of one class.
    y[0, :, :] = np.eye(4)[[0, 0, 3, 0, 1, 1]] * 0.9 + 0.025
    (decoded,), log_prob = K.ctc_decode(y, lengths)
    assert backends.backend_of_type(type(decoded)) == backend
    logs = np.log(y + EPS)
    expected = [collapse(logs[i, :lengths[i]].argmax(-1), 3) for i in range(3)]
    width = max(len(e) for e in expected)
    dense = np.full((3, width), -1)
    for i, e in enumerate(expected):
        dense[i, :len(e)] = e
    assert ops.convert_to_numpy(decoded).dtype == np.int32
    np.testing.assert_array_equal(ops.convert_to_numpy(decoded), dense)
    assert tuple(expected[0]) == (0, 0, 1)
    neg_sum = -np.array([[logs[i, :lengths[i]].max(-1).sum()] for i in range(3)])
    np.testing.assert_allclose(ops.convert_to_numpy(log_prob), neg_sum, rtol=1e-5)


def test_ctc_decode_greedy_all_blank_is_empty(backend):
    y = np.tile(np.array([0.1, 0.1, 0.8], "float32"), (2, 3, 1))
    (decoded,), _ = K.ctc_decode(y, np.array([3, 2]))
    assert ops.convert_to_numpy(decoded).shape == (2, 0)


def test_ctc_decode_beam_search_matches_brute_force(backend):
    y = softmax(rng.standard_normal((2, 4, 3)) * 1.5).astype("float32")
    lengths = np.array([4, 3])
    decoded, log_prob = K.ctc_decode(y, lengths, greedy=False, beam_width=50, top_paths=3)
    assert len(decoded) == 3 and ops.convert_to_numpy(log_prob).shape == (2, 3)
    for i in range(2):
        probs = labelling_probs(y[i], lengths[i])
        best = sorted(probs.items(), key=lambda kv: -kv[1])[:3]
        for k, (labels, p) in enumerate(best):
            row = ops.convert_to_numpy(decoded[k])[i]
            assert tuple(row[row >= 0]) == labels
            assert (row[len(labels):] == -1).all()
            np.testing.assert_allclose(ops.convert_to_numpy(log_prob)[i, k], np.log(p),
                                       rtol=1e-5)


def test_ctc_decode_beam_top_path_beats_greedy_when_they_differ(backend):
    # Greedy picks blank-blank ('' with p 0.36) but 'a' sums to 0.64 over alignments.
    y = np.array([[[0.4, 0.6], [0.4, 0.6]]], "float32")
    (greedy,), _ = K.ctc_decode(y, np.array([2]))
    (beam,), log_prob = K.ctc_decode(y, np.array([2]), greedy=False, beam_width=10)
    assert ops.convert_to_numpy(greedy).shape == (1, 0)
    np.testing.assert_array_equal(ops.convert_to_numpy(beam), [[0]])
    np.testing.assert_allclose(ops.convert_to_numpy(log_prob), [[np.log(0.64)]], rtol=1e-5)


@pytest.mark.parametrize("call,match", [
    (lambda: K.ctc_batch_cost(Y_TRUE, Y_PRED[0], INPUT_LENGTH, LABEL_LENGTH), "y_pred"),
    (lambda: K.ctc_batch_cost(Y_TRUE, Y_PRED, INPUT_LENGTH[:2], LABEL_LENGTH),
     "input_length"),
    (lambda: K.ctc_decode(Y_PRED, np.array([4, 4, 9])), r"\[0, 4\]"),
    (lambda: K.ctc_decode(Y_PRED, INPUT_LENGTH, greedy=False, beam_width=2, top_paths=3),
     "top_paths"),
])
def test_ctc_errors(backend, call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_ctc_trains_in_a_functional_model(backend):
    """The Keras 2 OCR pattern: the loss computed by a Lambda, fit with an identity loss."""
    frames = layers.Input((4, 5), name="frames")
    labels = layers.Input((2,), name="labels")
    input_length = layers.Input((1,), name="input_length")
    label_length = layers.Input((1,), name="label_length")
    probs = layers.Dense(3, activation="softmax")(frames)
    loss = layers.Lambda(lambda a: K.ctc_batch_cost(*a), output_shape=(1,), name="ctc")(
        [labels, probs, input_length, label_length])
    model = models.Model([frames, labels, input_length, label_length], loss)
    model.compile("sgd", loss=lambda y_true, y_pred: y_pred)
    x = [rng.standard_normal((3, 4, 5)).astype("float32"), Y_TRUE.astype("float32"),
         INPUT_LENGTH[:, None].astype("float32"), LABEL_LENGTH[:, None].astype("float32")]
    before = model.evaluate(x, np.zeros((3, 1)), verbose=0)
    model.fit(x, np.zeros((3, 1)), epochs=5, batch_size=3, verbose=0)
    after = model.evaluate(x, np.zeros((3, 1)), verbose=0)
    assert np.isfinite(after) and after < before
