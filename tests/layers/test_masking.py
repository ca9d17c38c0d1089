"""Masks flow through a model graph as in Keras: made by a layer, passed through layers
that support them, combined by merges, consumed by layers whose call takes ``mask``."""

import numpy as np

from keras_bridge import layers, ops, testing
from keras_bridge.layers import Dense, GlobalAveragePooling1D, Input, concatenate
from keras_bridge.models import Model

from conftest import both_backends


class ZeroStepMask(layers.Layer):
    """A mask-making layer like Masking(0.0), written here so the test owns its math."""

    def call(self, inputs):
        return inputs

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, 0.0), axis=-1)


class SeesMask(layers.Layer):
    """Zeroes the masked steps and passes the mask on."""

    supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return inputs
        return inputs * ops.expand_dims(ops.cast(mask, "float32"), -1)


def _data():
    x = np.random.default_rng(0).normal(size=(3, 5, 2)).astype(np.float32)
    x[0, 3:] = 0.0  # padded steps
    x[2, :2] = 0.0
    return x


def test_mask_reaches_layers_through_supporting_layers(backend):
    inp = Input(shape=(5, 2))
    h = Dense(4, activation="relu")(ZeroStepMask()(inp))  # Dense passes masks through
    out = GlobalAveragePooling1D()(SeesMask()(h))
    model = Model(inp, out)
    x = _data()
    real = np.any(x != 0, axis=-1)
    W, b = model.layers[2].get_weights()
    hidden = np.maximum(x @ W + b, 0) * real[..., None]
    expected = hidden.sum(1) / real.sum(1, keepdims=True)  # the mean over real steps
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)


def test_merge_combines_masks_and_unmasked_graphs_pass_none(backend):
    a, b = Input(shape=(5, 2)), Input(shape=(5, 2))
    merged = concatenate([ZeroStepMask()(a), ZeroStepMask()(b)])
    model = Model([a, b], GlobalAveragePooling1D()(merged))
    xa, xb = _data(), _data()[::-1].copy()
    real = np.any(xa != 0, -1) & np.any(xb != 0, -1)
    both = np.concatenate([xa, xb], -1) * real[..., None]
    np.testing.assert_allclose(model.predict([xa, xb]),
                               both.sum(1) / real.sum(1, keepdims=True), rtol=1e-5, atol=1e-6)
    plain = Model(a, GlobalAveragePooling1D()(SeesMask()(a)))
    assert not plain._uses_masks
    np.testing.assert_allclose(plain.predict(xa), xa.mean(1), rtol=1e-5, atol=1e-6)


@both_backends()
def test_masked_model_agrees_across_engines():
    inp = Input(shape=(5, 2))
    out = Dense(1)(GlobalAveragePooling1D()(Dense(3)(ZeroStepMask()(inp))))
    testing.assert_backends_agree(Model(inp, out), _data())


def test_eager_outputs_carry_masks_that_later_calls_receive(backend):
    """Keras 3: an eager tensor carries ``_keras_mask``; a subclassed model chaining
    layers by hand masks as a functional model does (padded steps are skipped)."""
    from keras_bridge import Model as BaseModel
    from keras_bridge.tensor_masks import get_keras_mask

    embed = layers.Embedding(10, 3, mask_zero=True)
    out = embed(np.array([[1, 0, 2]]))
    np.testing.assert_array_equal(ops.convert_to_numpy(get_keras_mask(out)),
                                  [[True, False, True]])
    seen = SeesMask()(out)  # its call takes mask=: it gets the carried one
    np.testing.assert_array_equal(ops.convert_to_numpy(seen)[0, 1], 0.0)
    assert get_keras_mask(seen) is not None  # supports_masking passes it on

    class Tagger(BaseModel):
        def __init__(self):
            super().__init__()
            self.embed = layers.Embedding(10, 3, mask_zero=True)
            self.rnn = layers.SimpleRNN(2)

        def call(self, x):
            return self.rnn(self.embed(x))

    model = Tagger()
    padded = ops.convert_to_numpy(model(np.array([[4, 2, 0, 0]])))
    short = ops.convert_to_numpy(model(np.array([[4, 2]])))
    np.testing.assert_allclose(padded, short, rtol=1e-6, atol=1e-7)
    unmasked = ops.convert_to_numpy(model.rnn(model.embed.call(np.array([[4, 2, 0, 0]]))))
    assert not np.allclose(unmasked, short)  # the padding would have changed the state


def test_symbolic_tensors_carry_masks_and_calls_see_them_while_shapes_are_inferred(backend):
    """Keras 3's masking guide: ``x._keras_mask`` on a symbolic tensor, and a custom layer
    whose call needs the mask is given it while its output shape is found."""
    from keras_bridge import Input as KInput, Model as KModel

    class TemporalSoftmax(layers.Layer):
        def call(self, inputs, mask=None):
            assert mask is not None, "the mask must reach the call"
            m = ops.expand_dims(ops.cast(mask, "float32"), -1)
            e = ops.exp(inputs) * m
            return e / ops.sum(e, axis=1, keepdims=True)

    inputs = KInput((None,), dtype="int32")
    embedded = layers.Embedding(10, 3, mask_zero=True)(inputs)
    assert embedded._keras_mask is not None and embedded._keras_mask.shape == (None, None)
    assert embedded._keras_mask.dtype == "bool"
    scores = Dense(1)(embedded)
    assert scores._keras_mask is embedded._keras_mask  # Dense passes it on
    assert inputs._keras_mask is None
    model = KModel(inputs, TemporalSoftmax()(scores))
    ids = np.array([[3, 1, 0, 0], [2, 5, 7, 0]])
    got = model.predict(ids, verbose=0)
    emb = model.layers[1].get_weights()[0]
    kernel, bias = model.layers[2].get_weights()
    z = np.exp(emb[ids] @ kernel + bias) * (ids != 0)[..., None]
    np.testing.assert_allclose(got, z / z.sum(1, keepdims=True), rtol=1e-5, atol=1e-7)
