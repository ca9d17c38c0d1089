"""Audio preprocessing (Keras 3's): MelSpectrogram, STFTSpectrogram.

MelSpectrogram is ``ops.stft`` then a mel filter bank (a constant made in numpy);
STFTSpectrogram is a strided convolution whose kernels hold the Fourier basis times the
window (``initializers.STFT``): weights named and shaped as Keras 3's (``real_kernel``,
``imag_kernel``, ``(frame_length, 1, fft_length // 2 + 1)``), trainable like any kernel.
"""

import math
import warnings

import numpy as np

from keras_bridge import config, initializers, ops
from keras_bridge.layers.convolutional import normalize_data_format
from keras_bridge.layers.base import InputSpec, Layer

_MEL_BREAK_HZ, _MEL_HIGH_Q = 700.0, 1127.0


def _hertz_to_mel(hz):
    return _MEL_HIGH_Q * np.log(1.0 + hz / _MEL_BREAK_HZ)


def mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate, lower_edge_hertz,
                      upper_edge_hertz):
    """(num_spectrogram_bins, num_mel_bins) triangular HTK mel filters of peak 1 over the
    linear bins of [0, sampling_rate / 2]; the DC bin gets no weight."""
    linear = _hertz_to_mel(np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins)[1:])
    edges = np.linspace(_hertz_to_mel(lower_edge_hertz), _hertz_to_mel(upper_edge_hertz),
                        num_mel_bins + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (linear[:, None] - lower) / (center - lower)
    falling = (upper - linear[:, None]) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.pad(weights, [[1, 0], [0, 0]])


class MelSpectrogram(Layer):
    """Mel spectrograms of audio: ``(..., samples)`` to ``(..., num_mel_bins, frames)``,
    with ``frames = 1 + samples // sequence_stride`` (centred frames).

    Args:
        fft_length: the FFT size.
        sequence_stride: samples between frames.
        sequence_length: the window's length (default ``fft_length``).
        window: 'hann', 'hamming', a tensor of ``sequence_length`` values, or None.
        sampling_rate: the signal's sample rate.
        num_mel_bins: the number of mel bands.
        min_freq, max_freq: the bands' frequency range (max default: the Nyquist rate).
        power_to_db: convert to decibels, floored at ``max - top_db`` (the maximum over
            the whole batch, as Keras 3).
        mag_exp: the exponent of the magnitudes (2: power).
        min_power, ref_power: decibels are ``10 log10(max(S, min_power) / ref_power)``.
    """

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None,
                 window="hann", sampling_rate=16000, num_mel_bins=128, min_freq=20.0,
                 max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0, min_power=1e-10,
                 ref_power=1.0, **kwargs):
        super().__init__(**kwargs)
        self.fft_length, self.sequence_stride = fft_length, sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError("`fft_length` must be greater than or equal to "
                             f"`sequence_length`. Received: `sequence_length`="
                             f"{self.sequence_length}, `fft_length`={self.fft_length}.")
        self.window = window.tolist() if isinstance(window, np.ndarray) else window
        self.sampling_rate, self.num_mel_bins = sampling_rate, num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db, self.top_db, self.mag_exp = power_to_db, top_db, mag_exp
        self.min_power, self.ref_power = min_power, ref_power

    def call(self, inputs):
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") \
            else "float32"
        window = self.window if self.window is None or isinstance(self.window, str) \
            else np.asarray(self.window, dtype)
        real, imag = ops.stft(ops.cast(inputs, dtype), self.sequence_length,
                              self.sequence_stride, self.fft_length, window=window,
                              center=True)
        spec = ops.power(ops.sqrt(ops.add(ops.square(real), ops.square(imag))), self.mag_exp)
        matrix = mel_weight_matrix(self.num_mel_bins, self.fft_length // 2 + 1,
                                   self.sampling_rate, self.min_freq, self.max_freq)
        out = ops.tensordot(spec, matrix.astype(dtype), axes=1)
        if self.power_to_db:
            db = ops.multiply(10.0, ops.log10(ops.maximum(out, self.min_power)))
            db = ops.subtract(db, 10.0 * math.log10(max(abs(self.ref_power), self.min_power)))
            out = ops.maximum(db, ops.subtract(ops.max(db), self.top_db))
        return ops.cast(ops.swapaxes(out, -1, -2), self.compute_dtype)

    def _frames(self, samples):
        if samples is None:
            return None
        return 1 + (samples + 2 * (self.fft_length // 2) - self.fft_length) \
            // self.sequence_stride

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) not in (1, 2):
            raise ValueError(f"MelSpectrogram takes (samples,) or (batch, samples) audio. "
                             f"Received input_shape={shape}")
        return shape[:-1] + (self.num_mel_bins, self._frames(shape[-1]))

    def compute_output_dtype(self, input_dtype):
        return self.compute_dtype

    def get_config(self):
        return {**super().get_config(), "fft_length": self.fft_length,
                "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length, "window": self.window,
                "sampling_rate": self.sampling_rate, "num_mel_bins": self.num_mel_bins,
                "min_freq": self.min_freq, "max_freq": self.max_freq,
                "power_to_db": self.power_to_db, "top_db": self.top_db,
                "mag_exp": self.mag_exp, "min_power": self.min_power,
                "ref_power": self.ref_power}


_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


class STFTSpectrogram(Layer):
    """Spectrograms of ``(batch, time, channels)`` signals (channels_last) by a strided
    convolution per channel with Fourier kernels.

    Args:
        mode: 'log' (log magnitude), 'magnitude', 'psd', 'real', 'imag', 'angle' or
            'stft' (real and imaginary parts side by side).
        frame_length: samples per frame; frame_step: samples between frames (default
            half a frame); fft_length: FFT size (default the next power of two).
        window, periodic, scaling: the kernels' window (``initializers.STFT``).
        padding: 'valid' or 'same'.
        expand_dims: keep frequencies and channels as two axes (an image).
        data_format: 'channels_last' or 'channels_first'.
    """

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None,
                 window="hann", periodic=False, scaling="density", padding="valid",
                 expand_dims=False, data_format=None, **kwargs):
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError("`frame_step` should be a positive integer not greater than "
                             f"`frame_length`. Received frame_step={frame_step}, "
                             f"frame_length={frame_length}")
        if fft_length is not None and fft_length < frame_length:
            raise ValueError("`fft_length` should be not less than `frame_length`. "
                             f"Received fft_length={fft_length}, frame_length={frame_length}")
        if fft_length is not None and (fft_length & -fft_length) != fft_length:
            warnings.warn("`fft_length` is recommended to be a power of two. "
                          f"Received fft_length={fft_length}", stacklevel=2)
        if mode not in _MODES:
            raise ValueError(f"Output mode is invalid, it must be one of {', '.join(_MODES)}. "
                             f"Received: mode={mode}")
        if padding not in ("valid", "same"):
            raise ValueError(f"Padding is invalid, it should be 'valid', 'same'. Received: "
                             f"padding={padding}")
        initializers.STFT("real", window, scaling, periodic)  # checks window and scaling
        super().__init__(**kwargs)
        self.mode, self.frame_length, self.frame_step = mode, frame_length, frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window.tolist() if isinstance(window, np.ndarray) else window
        self.periodic, self.scaling, self.padding = periodic, scaling, padding
        self.expand_dims = expand_dims
        self.data_format = normalize_data_format(data_format, "STFTSpectrogram")
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        for side in ("real", "imag"):
            if self.mode != {"real": "imag", "imag": "real"}[side]:
                setattr(self, f"{side}_kernel", self.add_weight(
                    name=f"{side}_kernel", shape=shape,
                    initializer=initializers.STFT(side, self.window, self.scaling,
                                                  self.periodic)))
        self.built = True

    def _conv(self, inputs, kernel):
        """(batch, channels, freq, time) of one kernel over each channel."""
        last = self.data_format == "channels_last"
        if last:
            time, channels = ops.shape(inputs)[1:]
            inputs = ops.reshape(ops.transpose(inputs, (0, 2, 1)), (-1, time, 1))
        else:
            channels, time = ops.shape(inputs)[1:]
            inputs = ops.reshape(inputs, (-1, 1, time))
        out = ops.conv(inputs, ops.cast(kernel, ops.dtype(inputs)), strides=self._frame_step,
                       padding=self.padding, data_format=self.data_format)
        if last:
            out = ops.transpose(out, (0, 2, 1))
        freq, frames = ops.shape(out)[1:]
        return ops.reshape(out, (-1, channels, freq, frames))

    def _arrange(self, x):
        """(batch, channels, freq, time) to the layer's output layout."""
        _, channels, freq, frames = ops.shape(x)
        if self.expand_dims:
            return ops.transpose(x, (0, 3, 2, 1) if self.data_format == "channels_last"
                                 else (0, 1, 3, 2))
        x = ops.reshape(x, (-1, channels * freq, frames))
        return ops.transpose(x, (0, 2, 1)) if self.data_format == "channels_last" else x

    def call(self, inputs):
        if ops.dtype(inputs) not in ("float16", "float32", "float64"):
            raise TypeError("Invalid input type. Expected `float16`, `float32` or "
                            f"`float64`. Received: input type={ops.dtype(inputs)}")
        real = self._conv(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._conv(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode in ("real", "imag"):
            return self._arrange(real if self.mode == "real" else imag)
        if self.mode == "angle":
            return self._arrange(ops.arctan2(imag, real))
        if self.mode == "stft":
            return self._arrange(ops.concatenate([real, imag], axis=2))
        power = ops.add(ops.square(real), ops.square(imag))
        if self.mode == "psd":  # the one-sided density: inner bins counted twice
            return self._arrange(ops.add(power, ops.pad(power[:, :, 1:-1, :],
                                                        [[0, 0], [0, 0], [1, 1], [0, 0]])))
        eps = config.epsilon()
        magnitude = self._arrange(ops.sqrt(ops.maximum(power, eps)))
        return magnitude if self.mode == "magnitude" else ops.log(ops.maximum(magnitude, eps))

    def compute_output_shape(self, input_shape):
        batch, *rest = input_shape
        time, channels = rest if self.data_format == "channels_last" else rest[::-1]
        freq = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        if time is None:
            frames = None
        elif self.padding == "valid":
            frames = (time - self.frame_length) // self._frame_step + 1
        else:
            frames = -(-time // self._frame_step)
        if self.expand_dims:
            return (batch, frames, freq, channels) if self.data_format == "channels_last" \
                else (batch, channels, frames, freq)
        both = None if channels is None else freq * channels
        return (batch, frames, both) if self.data_format == "channels_last" \
            else (batch, both, frames)

    def compute_output_dtype(self, input_dtype):
        return input_dtype

    def get_config(self):
        return {**super().get_config(), "mode": self.mode,
                "frame_length": self.frame_length, "frame_step": self.frame_step,
                "fft_length": self.fft_length, "window": self.window,
                "periodic": self.periodic, "scaling": self.scaling, "padding": self.padding,
                "data_format": self.data_format, "expand_dims": self.expand_dims}
