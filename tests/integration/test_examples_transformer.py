"""The transformer classifier example runs as written on each engine with few steps and
learns; both engines give the same outputs and gradients on identical weights."""

import numpy as np

from conftest import both_backends
from keras_bridge import testing
from keras_bridge.utils import set_random_seed
from test_examples import _example


def test_transformer_classifier_example_learns(backend, capsys):
    history, (loss, accuracy), model = _example("transformer_classifier")["main"](
        epochs=5, samples=800, verbose=2, batch_size=16)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert accuracy > 0.75  # word order decides; a bag of words cannot beat 0.5
    # embeddings 40*32 + 16*32; per block MHA 4 * (32*2*32 + 64) - 64 + 32, two
    # LayerNormalizations 2 * 64, Dense 32*32 + 32 twice; head 32*20 + 20, 20*2 + 2
    block = (3 * (32 * 64 + 64) + 64 * 32 + 32) + 2 * 64 + 2 * (32 * 32 + 32)
    assert model.count_params() == 40 * 32 + 16 * 32 + 2 * block + 32 * 20 + 20 + 42
    out = capsys.readouterr().out
    assert "multi_head_attention (MultiHead" in out and "8416" in out and "Test accuracy" in out


@both_backends()
def test_transformer_classifier_engines_agree():
    module = _example("transformer_classifier")
    set_random_seed(4)
    x, _ = module["make_data"](8, seed=1)
    model = module["build_model"]()
    results = testing.assert_backends_agree(model, x, atol=1e-5, grad_rtol=1e-4,
                                            grad_atol=1e-5)
    (out, grads), = list(results.values())[:1]
    assert out[0].shape == (8, 2) and np.allclose(out[0].sum(-1), 1, atol=1e-5)
    assert any("multi_head_attention" in path for path in grads)
