"""The Keras 3 in-model augmentation example trains on each engine with few steps, and
its augmentation is active in fit only."""

import numpy as np

from test_examples import _example


def test_keras3_image_augmentation_example_learns(backend, capsys):
    example = _example("image_augmentation_keras3")
    history, (loss, accuracy) = example["main"](epochs=4, samples=128, batch_size=16,
                                                verbose=2)
    assert accuracy > 0.8  # two classes: chance is 0.5
    losses = history.history["loss"]
    assert len(losses) == 4 and losses[-1] < losses[0]
    assert "Test accuracy:" in capsys.readouterr().out
    model = example["build_model"]()
    x, _ = example["make_data"](4)
    augment = model.layers[:2]  # RandomFlip, RandomRotation
    assert [type(layer).__name__ for layer in augment] == ["RandomFlip", "RandomRotation"]
    same = x
    for layer in augment:
        same = layer(same, training=False)
    np.testing.assert_array_equal(np.asarray(same), x)
