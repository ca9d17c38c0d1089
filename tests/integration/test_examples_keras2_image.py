"""The Keras 2 image augmentation example runs as written, on each engine, with few
steps."""

import pytest

from test_examples import _example


def test_keras2_image_augmentation_example_learns(backend, capsys):
    with pytest.warns(DeprecationWarning, match="fit_generator"):  # Keras 2's spelling
        history, (loss, accuracy) = _example("keras2_image_augmentation")["main"](
            epochs=4, samples=160, batch_size=16, verbose=2)
    assert accuracy > 0.8  # two classes: chance is 0.5
    losses = history.history["loss"]
    assert len(losses) == 4 and losses[-1] < losses[0]
    out = capsys.readouterr().out
    assert "Epoch 4/4" in out and "10/10" in out and "Test accuracy:" in out
