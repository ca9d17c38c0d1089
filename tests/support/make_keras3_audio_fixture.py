"""Writes tests/support/fixtures/keras3_audio.npz (inputs and real Keras 3 outputs of
MelSpectrogram and STFTSpectrogram, and STFTSpectrogram's initial kernels) and
tests/support/fixtures/keras3_audio.keras (a model of both layers, its STFT kernels
changed from their initial values, with its predictions in the npz).

Run with the Keras 3.15.1 oracle, never in the test process:
    KERAS_HOME=$(mktemp -d) KERAS_BACKEND=jax python tests/support/make_keras3_audio_fixture.py
"""

import json
import os

import numpy as np
import keras
from keras import layers

HERE = os.path.join(os.path.dirname(__file__), "fixtures")

MEL = {  # name: (kwargs, input)
    "mel_batched": (dict(fft_length=64, sequence_stride=16, sampling_rate=8000,
                         num_mel_bins=10), "wave2"),
    "mel_plain": (dict(fft_length=64, sequence_stride=20, sequence_length=48,
                       window="hamming", sampling_rate=8000, num_mel_bins=6, min_freq=100.0,
                       max_freq=3000, power_to_db=False, mag_exp=1.0), "wave1"),
    "mel_db_floor": (dict(fft_length=32, sequence_stride=8, window=None, sampling_rate=4000,
                          num_mel_bins=5, top_db=20.0, ref_power=2.0), "wave2"),
}
STFT = {
    **{f"stft_{mode}": dict(mode=mode, frame_length=16, frame_step=8, fft_length=32)
       for mode in ("log", "magnitude", "psd", "real", "imag", "angle", "stft")},
    "stft_same": dict(mode="magnitude", frame_length=12, frame_step=5, window="hamming",
                      periodic=True, scaling="spectrum", padding="same"),
    "stft_expand": dict(mode="log", frame_length=16, frame_step=4, fft_length=16,
                        scaling=None, expand_dims=True),
    "stft_first": dict(mode="psd", frame_length=10, frame_step=6, window=None,
                       data_format="channels_first"),
    "stft_first_expand": dict(mode="real", frame_length=8, frame_step=8, padding="same",
                              expand_dims=True, data_format="channels_first"),
}


def main():
    rng = np.random.RandomState(3)
    t = np.arange(203) / 8000.0
    wave1 = (np.sin(2 * np.pi * 440 * t) + 0.3 * rng.randn(t.size)).astype("float32")
    wave2 = rng.randn(2, 150).astype("float32")
    signal = rng.randn(2, 61, 2).astype("float32")
    data = {"wave1": wave1, "wave2": wave2, "signal": signal,
            "signal_first": np.moveaxis(signal, -1, 1)}
    out = dict(data, keras_version=np.array(keras.__version__),
               settings=np.array(json.dumps({"mel": MEL, "stft": STFT})))
    for name, (kwargs, x) in MEL.items():
        out[name] = keras.ops.convert_to_numpy(layers.MelSpectrogram(**kwargs)(data[x]))
    for name, kwargs in STFT.items():
        layer = layers.STFTSpectrogram(**kwargs)
        x = data["signal_first" if kwargs.get("data_format") else "signal"]
        out[name] = keras.ops.convert_to_numpy(layer(x))
        for w in layer.weights:
            out[f"{name}/{w.name}"] = keras.ops.convert_to_numpy(w)

    audio = keras.Input((150,), name="audio")
    multi = keras.Input((61, 2), name="multi")
    mel = layers.Flatten()(layers.MelSpectrogram(fft_length=32, sequence_stride=16,
                                                 num_mel_bins=4, sampling_rate=4000)(audio))
    spec = layers.Flatten()(layers.STFTSpectrogram(mode="log", frame_length=16,
                                                   frame_step=8, fft_length=16)(multi))
    keras.utils.set_random_seed(0)
    model = keras.Model([audio, multi], layers.Dense(3)(layers.Concatenate()([mel, spec])))
    stft = next(l for l in model.layers if isinstance(l, layers.STFTSpectrogram))
    stft.set_weights([w * (1.0 + 0.1 * rng.randn(*w.shape)) for w in stft.get_weights()])
    model.save(os.path.join(HERE, "keras3_audio.keras"))
    out["model_predictions"] = model.predict([wave2, signal], verbose=0)
    np.savez_compressed(os.path.join(HERE, "keras3_audio.npz"),
                        **{k: np.asarray(v) for k, v in out.items()})


if __name__ == "__main__":
    main()
