"""MelSpectrogram and STFTSpectrogram against real Keras 3 (outputs, kernels and a saved
model in tests/support/fixtures/keras3_audio.*, made by
tests/support/make_keras3_audio_fixture.py), numpy's FFT, and torch against JAX."""

import json
import os

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import initializers, layers, saving
from keras_bridge.testing import assert_backends_agree
from support.layer_checks import assert_close, config_roundtrip, rand, run_eager
from support.layer_checks import saved_entry_roundtrip

HERE = os.path.join(os.path.dirname(__file__), os.pardir, "support")
FIXTURE = np.load(os.path.join(HERE, "fixtures", "keras3_audio.npz"))
SETTINGS = json.loads(str(FIXTURE["settings"]))  # the layers' arguments, as Keras ran them
MEL, STFT = SETTINGS["mel"], SETTINGS["stft"]


def test_fixture_is_from_keras_3():
    assert str(FIXTURE["keras_version"]).startswith("3.")


@pytest.mark.parametrize("name", sorted(MEL))
def test_mel_spectrogram_matches_keras3(backend, name):
    kwargs, x = MEL[name]
    layer = layers.MelSpectrogram(**kwargs)
    got = run_eager(layer, FIXTURE[x], backend)
    assert_close(got, FIXTURE[name], rtol=1e-5, atol=5e-5)  # dB of float32 spectra
    assert got.shape == layer.compute_output_shape(FIXTURE[x].shape)


def test_stft_spectrogram_matches_keras3(backend):
    for name, kwargs in STFT.items():
        layer = layers.STFTSpectrogram(**kwargs)
        x = FIXTURE["signal_first" if kwargs.get("data_format") else "signal"]
        got = run_eager(layer, x, backend)
        assert_close(got, FIXTURE[name], rtol=1e-5, atol=2e-5)
        assert got.shape == layer.compute_output_shape(x.shape), name
        for w in layer.weights:
            assert_close(w.numpy(), FIXTURE[f"{name}/{w.name}"], atol=1e-7)


def test_keras3_model_file_loads(backend):
    model = saving.load_model(os.path.join(HERE, "fixtures", "keras3_audio.keras"))
    out = model.predict([FIXTURE["wave2"], FIXTURE["signal"]], verbose=0)
    assert_close(out, FIXTURE["model_predictions"], rtol=1e-5, atol=1e-5)
    stft, = (l for l in model.layers if isinstance(l, layers.STFTSpectrogram))
    assert [w.name for w in stft.weights] == ["real_kernel", "imag_kernel"]


def test_stft_spectrogram_is_numpy_rfft(backend):
    x = rand(2, 40, 1, seed=1)
    layer = layers.STFTSpectrogram(mode="stft", frame_length=8, frame_step=4, fft_length=16,
                                   window="hann")
    got = run_eager(layer, x, backend)
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(8) / 7)  # symmetric hann
    frames = np.stack([x[:, i:i + 8, 0] for i in range(0, 33, 4)], 1) * win
    spec = np.fft.rfft(frames, n=16) / np.sqrt(np.sum(win ** 2))
    assert_close(got, np.concatenate([spec.real, spec.imag], -1).astype("float32"),
                 atol=2e-6)


def test_spectrograms_agree_across_engines_with_gradients():
    def model():
        audio, multi = keras.Input((150,)), keras.Input((61, 2))
        mel = layers.Flatten()(layers.MelSpectrogram(fft_length=32, sequence_stride=16,
                                                     num_mel_bins=4,
                                                     sampling_rate=4000)(audio))
        spec = layers.Flatten()(layers.STFTSpectrogram(mode="log", frame_length=16,
                                                       frame_step=8)(multi))
        return keras.Model([audio, multi], layers.Dense(2)(layers.Concatenate()([mel, spec])))
    assert_backends_agree(model, [FIXTURE["wave2"], FIXTURE["signal"]], rtol=1e-5,
                          atol=2e-5, grad_rtol=1e-4, grad_atol=1e-4)


def test_save_round_trip_and_trainable_kernels(backend, tmp_path):
    inputs = keras.Input((61, 2))
    layer = layers.STFTSpectrogram(mode="magnitude", frame_length=16, frame_step=8)
    model = keras.Model(inputs, layer(inputs))
    assert len(layer.trainable_weights) == 2
    layer.set_weights([w * 1.5 for w in layer.get_weights()])
    want = model.predict(FIXTURE["signal"], verbose=0)
    model.save(tmp_path / "stft.keras")
    loaded = saving.load_model(tmp_path / "stft.keras")
    assert_close(loaded.predict(FIXTURE["signal"], verbose=0), want)
    frozen = layers.STFTSpectrogram(mode="real", trainable=False)
    frozen.build((None, 300, 1))
    assert not frozen.trainable_weights and [w.name for w in frozen.weights] == ["real_kernel"]


def test_configs_and_initializer():
    config_roundtrip(layers.MelSpectrogram(num_mel_bins=16, window="hamming", top_db=60.0))
    saved_entry_roundtrip(layers.MelSpectrogram())
    config_roundtrip(layers.STFTSpectrogram(mode="psd", frame_length=10, padding="same",
                                            expand_dims=True))
    saved_entry_roundtrip(layers.STFTSpectrogram())
    assert layers.MelSpectrogram(sampling_rate=8000).max_freq == 4000
    init = initializers.get({"class_name": "STFT", "config": {
        "side": "imag", "window": "hamming", "scaling": "spectrum", "periodic": True}})
    kernel = init((12, 1, 9))
    assert kernel.shape == (12, 1, 9) and kernel.dtype == np.float32
    win = 0.54 - 0.46 * np.cos(2 * np.pi * np.arange(12) / 12)  # periodic hamming
    t, f = np.arange(12)[:, None], np.arange(9)[None]
    assert_close(kernel[:, 0], (np.sin(-2 * np.pi * t * f / 16) * win[:, None]
                                / win.sum()).astype("float32"), atol=1e-6)


def test_errors(backend):
    with pytest.raises(ValueError, match="`fft_length` must be greater than or equal"):
        layers.MelSpectrogram(fft_length=16, sequence_length=32)
    with pytest.raises(ValueError, match="Output mode is invalid"):
        layers.STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match="Padding is invalid"):
        layers.STFTSpectrogram(padding="causal")
    with pytest.raises(ValueError, match="Scaling is invalid"):
        layers.STFTSpectrogram(scaling="l2")
    with pytest.raises(ValueError, match="`frame_step` should be a positive integer"):
        layers.STFTSpectrogram(frame_length=8, frame_step=9)
    with pytest.raises(ValueError, match="`fft_length` should be not less"):
        layers.STFTSpectrogram(frame_length=8, fft_length=4)
    with pytest.warns(UserWarning, match="recommended to be a power of two"):
        layers.STFTSpectrogram(frame_length=8, fft_length=12)
    with pytest.raises(ValueError, match="no-such-window"):
        layers.STFTSpectrogram(window="no-such-window")
    with pytest.raises(TypeError, match="Expected `float16`, `float32` or `float64`"):
        layers.STFTSpectrogram(frame_length=8)(np.ones((1, 16, 1), "int32"))
    with pytest.raises(ValueError, match="MelSpectrogram takes"):
        layers.MelSpectrogram().compute_output_shape((1, 2, 3))
