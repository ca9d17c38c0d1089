"""ReversibleEmbedding (Keras 3.15): forward lookup and reverse projection against numpy,
masks, a model file written by Keras 3.15.1 (tests/support/fixtures/
keras3_reversible_embedding.keras, made by tests/support/make_keras3_more_augment_fixture.py),
config and save round trips, on both engines."""

import os

import numpy as np
import pytest

from keras_bridge import Input, Model, layers, ops, saving
from support.layer_checks import assert_close, config_roundtrip, rand, run_eager
from support.layer_checks import saved_entry_roundtrip

HERE = os.path.join(os.path.dirname(__file__), os.pardir, "support", "fixtures")
FIXTURE = np.load(os.path.join(HERE, "keras3_more_augment.npz"))


def test_fixture_is_from_keras_3_15_1():
    assert str(FIXTURE["keras_version"]) == "3.15.1"


def test_keras3_model_file_loads(backend):
    model = saving.load_model(os.path.join(HERE, "keras3_reversible_embedding.keras"))
    assert_close(model.predict(FIXTURE["re_tokens"], verbose=0), FIXTURE["re_predictions"],
                 atol=1e-6)
    tied, untied = model.get_layer("tied"), model.get_layer("untied")
    assert [w.name for w in tied.weights] == ["embeddings"]
    assert [w.name for w in untied.weights] == ["embeddings", "reverse_embeddings"]
    for layer in (tied, untied):
        for w, value in zip(layer.weights, layer.get_weights()):
            assert_close(value, FIXTURE[f"re/{layer.name}/{w.name}"], rtol=0, atol=0)
    assert (untied.tie_weights, untied.logit_soft_cap) == (False, 0.5)


@pytest.mark.parametrize("tie_weights", [True, False])
def test_forward_and_reverse_against_numpy(backend, tie_weights):
    layer = layers.ReversibleEmbedding(6, 3, tie_weights=tie_weights, mask_zero=True)
    ids = np.array([[1, 0, 5], [2, 3, 0]], "int32")
    hidden = layer(ids)
    table = layer.get_weights()[0]
    assert_close(ops.convert_to_numpy(hidden), table[ids])
    np.testing.assert_array_equal(ops.convert_to_numpy(hidden._keras_mask), ids != 0)
    kernel = table.T if tie_weights else layer.get_weights()[1]
    assert kernel.shape == (3, 6)
    x = rand(2, 3, 3, seed=1)
    logits = layer(x, reverse=True)
    assert getattr(logits, "_keras_mask", None) is None  # a reverse call carries no mask
    assert_close(ops.convert_to_numpy(logits), x @ kernel, atol=1e-6)
    capped = layers.ReversibleEmbedding(6, 3, tie_weights=tie_weights, logit_soft_cap=0.3)
    capped.build()
    capped.set_weights(layer.get_weights())
    assert_close(run_eager(capped, x, backend, reverse=True),
                 np.tanh(x @ kernel / 0.3) * 0.3, atol=1e-6)


def test_symbolic_shapes_masks_and_training(backend):
    ids = Input((4,), dtype="int32")
    layer = layers.ReversibleEmbedding(9, 5, mask_zero=True, reverse_dtype="float32")
    hidden = layer(ids)
    logits = layer(hidden, reverse=True)
    assert hidden.shape == (None, 4, 5) and logits.shape == (None, 4, 9)
    model = Model(ids, logits)
    model.compile("sgd", "sparse_categorical_crossentropy")
    tokens = np.array([[1, 2, 3, 0], [4, 5, 0, 0]], "int32")
    before = layer.get_weights()[0]
    model.fit(tokens, tokens, epochs=1, verbose=0)
    assert not np.allclose(layer.get_weights()[0], before)  # both uses train the table
    # a reverse call fed by a model input reads floats: not checked as indices
    states = Input((2, 5))
    reverse_only = Model(states, layers.ReversibleEmbedding(9, 5)(states, reverse=True))
    assert reverse_only.predict(rand(3, 2, 5), verbose=0).shape == (3, 2, 9)


def test_config_save_round_trip_and_errors(backend, tmp_path):
    layer = layers.ReversibleEmbedding(7, 2, tie_weights=False, logit_soft_cap=2.0,
                                       reverse_dtype="float32")
    clone = config_roundtrip(layer)
    assert (clone.tie_weights, clone.logit_soft_cap, clone.reverse_dtype) == \
        (False, 2.0, "float32")
    saved_entry_roundtrip(layer)
    ids = Input((3,), dtype="int32")
    model = Model(ids, layer(layer(ids), reverse=True))
    tokens = np.array([[1, 2, 6]], "int32")
    want = model.predict(tokens, verbose=0)
    model.save(tmp_path / "re.keras")
    loaded = saving.load_model(tmp_path / "re.keras")
    assert_close(loaded.predict(tokens, verbose=0), want, rtol=0, atol=0)
    with pytest.raises(ValueError, match="last axis is output_dim=2"):
        layer(Input((3, 4)), reverse=True)
    with pytest.raises(ValueError, match="`logit_soft_cap` should be None or a positive"):
        layers.ReversibleEmbedding(7, 2, logit_soft_cap=-1)
    with pytest.raises(NotImplementedError, match="ReversibleEmbedding.quantize"):
        layer.quantize("int8")
