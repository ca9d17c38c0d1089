"""Keras 2 CTC helpers: ``K.ctc_batch_cost`` and ``K.ctc_decode``.

As in Keras 2, ``y_pred`` holds softmax outputs ``(batch, time, classes)`` with the blank
as the last class, and both functions work on ``log(y_pred + epsilon())``. The loss is
the engine's own CTC (``ops.ctc_loss``: torch's ``ctc_loss``, optax's on JAX), so it
trains under jit and autodiff. Decoding picks variable-length label sequences, which is
data-dependent, so ``ctc_decode`` reads the scores back to the host (numpy) and returns
engine tensors; it is a post-processing step, not a traced one.
"""

import numpy as np

from keras_bridge import backends
from keras_bridge import config, ops

__all__ = ["ctc_batch_cost", "ctc_decode"]


def _lengths(x, name, batch):
    lengths = ops.reshape(ops.cast(x, "int32"), (-1,))
    if tuple(ops.shape(lengths)) != (batch,):
        raise ValueError(f"Expected {name} of shape ({batch}, 1) or ({batch},), one length per "
                         f"sample. Received: {name}.shape={tuple(ops.shape(x))}")
    return lengths


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """CTC loss of each sample.

    Args:
        y_true: ``(samples, max_string_length)`` labels (ints, or floats holding ints).
        y_pred: ``(samples, time_steps, num_categories)`` softmax outputs; the blank is
            class ``num_categories - 1``.
        input_length: ``(samples, 1)``, the number of valid time steps of each sample.
        label_length: ``(samples, 1)``, the number of valid labels of each sample.

    Returns:
        ``(samples, 1)`` negative log-likelihoods.
    """
    shape = tuple(ops.shape(y_pred))
    if len(shape) != 3:
        raise ValueError(f"Expected y_pred of shape (samples, time_steps, num_categories). "
                         f"Received: y_pred.shape={shape}")
    batch = shape[0]
    label_length = _lengths(label_length, "label_length", batch)
    input_length = _lengths(input_length, "input_length", batch)
    logits = ops.log(ops.add(y_pred, config.epsilon()))
    loss = ops.ctc_loss(ops.cast(y_true, "int32"), logits, label_length, input_length,
                        mask_index=shape[-1] - 1)
    return ops.expand_dims(loss, 1)


def _on_engine_of(like, array):
    """numpy ``array`` as a tensor of the engine that holds ``like``."""
    return backends.get(ops.engine_name_of(like)).ops.convert_to_tensor(array)


def _collapse(path, blank):
    """A CTC alignment read as labels: repeats merged, then blanks dropped."""
    labels, previous = [], None
    for c in path:
        if c != previous and c != blank:
            labels.append(int(c))
        previous = c
    return labels


def _beam_search(log_probs, length, beam_width, top_paths):
    """Prefix beam search over one sequence's ``(time, classes)`` log-probabilities; each
    prefix keeps the probability of its alignments ending in a blank and in a label.
    Returns the ``top_paths`` best ``(labels, log_probability)``."""
    blank = log_probs.shape[-1] - 1
    beams = {(): (0.0, -np.inf)}  # prefix -> (log p ending in blank, log p ending in label)
    for t in range(length):
        step = log_probs[t]
        new = {}

        def add(prefix, blank_part, label_part):
            b, nb = new.get(prefix, (-np.inf, -np.inf))
            new[prefix] = (np.logaddexp(b, blank_part), np.logaddexp(nb, label_part))

        for prefix, (b, nb) in beams.items():
            total = np.logaddexp(b, nb)
            add(prefix, total + step[blank], -np.inf)
            for c in range(blank):
                if prefix and prefix[-1] == c:  # a repeat needs a blank in between
                    add(prefix + (c,), -np.inf, b + step[c])
                    add(prefix, -np.inf, nb + step[c])
                else:
                    add(prefix + (c,), -np.inf, total + step[c])
        ranked = sorted(new.items(), key=lambda kv: -np.logaddexp(*kv[1]))
        beams = dict(ranked[:beam_width])
    ranked = sorted(beams.items(), key=lambda kv: -np.logaddexp(*kv[1]))[:top_paths]
    ranked += [((), (-np.inf, -np.inf))] * (top_paths - len(ranked))
    return [(list(p), float(np.logaddexp(*s))) for p, s in ranked]


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """Decode softmax outputs into label sequences.

    Args:
        y_pred: ``(samples, time_steps, num_categories)`` softmax outputs, blank last.
        input_length: ``(samples,)`` valid time steps of each sample.
        greedy: best path (the most likely class at each step, repeats merged, blanks
            dropped); else a prefix beam search of ``beam_width`` beams.
        top_paths: with beam search, how many of the most probable sequences to return.

    Returns:
        ``(decoded, log_probabilities)``: ``decoded`` a list (one entry per path) of int32
        ``(samples, longest)`` tensors padded with -1; ``log_probabilities`` ``(samples, 1)``
        for greedy decoding (as Keras 2: minus the sum over steps of the best
        ``log(y_pred + epsilon())``), else ``(samples, top_paths)`` log-probabilities of the
        sequences (steps normalised to sum to 1 after adding epsilon).
    """
    shape = tuple(ops.shape(y_pred))
    if len(shape) != 3:
        raise ValueError(f"Expected y_pred of shape (samples, time_steps, num_categories). "
                         f"Received: y_pred.shape={shape}")
    batch, steps, classes = shape
    lengths = ops.convert_to_numpy(_lengths(input_length, "input_length", batch))
    if (lengths < 0).any() or (lengths > steps).any():
        raise ValueError(f"Expected input_length values in [0, {steps}]. Received: "
                         f"input_length={lengths.tolist()}")
    logits = ops.log(ops.add(y_pred, config.epsilon()))
    if greedy:
        mask = np.arange(steps)[None, :] < lengths[:, None]
        best = ops.convert_to_numpy(ops.argmax(logits, axis=-1))
        score = ops.negative(ops.sum(ops.where(mask, ops.max(logits, axis=-1), 0.0), axis=1,
                                     keepdims=True))
        decoded = [_collapse(best[i, :lengths[i]], classes - 1) for i in range(batch)]
        return [_on_engine_of(logits, _padded(decoded))], score
    if not (isinstance(beam_width, int) and isinstance(top_paths, int)
            and 1 <= top_paths <= beam_width):
        raise ValueError(f"Expected integers 1 <= top_paths <= beam_width. Received: "
                         f"beam_width={beam_width!r}, top_paths={top_paths!r}")
    log_probs = ops.convert_to_numpy(ops.log_softmax(logits, axis=-1)).astype("float64")
    results = [_beam_search(log_probs[i], lengths[i], beam_width, top_paths)
               for i in range(batch)]
    decoded = [_on_engine_of(logits, _padded([r[k][0] for r in results]))
               for k in range(top_paths)]
    scores = np.array([[s for _, s in r] for r in results], dtype="float32")
    return decoded, _on_engine_of(logits, scores)


def _padded(sequences):
    """numpy int32 ``(len(sequences), longest)``, padded with -1."""
    width = max((len(s) for s in sequences), default=0)
    out = np.full((len(sequences), width), -1, dtype="int32")
    for i, s in enumerate(sequences):
        out[i, :len(s)] = s
    return out
