"""Writes tests/support/fixtures/keras3_image_ops.npz: inputs and real Keras 3 outputs of
the ``keras.ops.image`` functions whose exact numbers are easy to get subtly wrong
(ssim, gaussian_blur, scale_and_translate, perspective_transform, rgb_to_hsv).

Run with the Keras 3.15.1 oracle, never in the test process:
    KERAS_HOME=$(mktemp -d) KERAS_BACKEND=jax /work/k3/bin/python \
        tests/support/make_keras3_image_fixture.py
Every call passes data_format explicitly: Keras 3.15.1's eager gaussian_blur reads
data_format=None as channels_first on the JAX backend.
"""

import os

import numpy as np
import keras
from keras import ops

OUT = os.path.join(os.path.dirname(__file__), "fixtures", "keras3_image_ops.npz")
CL = "channels_last"


def main():
    rng = np.random.RandomState(7)
    img = rng.rand(2, 7, 8, 3).astype("float32")
    other = np.clip(img + 0.1 * rng.randn(*img.shape), 0, 1).astype("float32")
    big = rng.rand(2, 13, 14, 2).astype("float32")
    big2 = np.clip(big * 0.8 + 0.1 * rng.rand(*big.shape), 0, 1).astype("float32")
    rgb = rng.rand(2, 4, 5, 3).astype("float32")
    rgb[0, 0, 0] = [0.5, 0.5, 0.5]  # grey: hue 0
    rgb[0, 0, 1] = [0.9, 0.1, 0.3]  # red max, negative hue branch
    rgb[0, 0, 2] = [0.2, 0.7, 0.7]  # green == blue max
    rgb[0, 0, 3] = [0.0, 0.0, 0.0]
    start = np.float32([[0, 0], [7, 0], [0, 6], [7, 6]])
    end = np.float32([[[1, 0.5], [6, 0], [0, 6], [7.5, 5]],
                      [[0.5, 1], [7, 1], [1, 5], [6, 6.5]]])
    out = {"img": img, "other": other, "big": big, "big2": big2, "rgb": rgb,
           "start": start, "end": end, "keras_version": np.array(keras.__version__)}
    out["blur_3x3"] = ops.image.gaussian_blur(img, data_format=CL)
    out["blur_5x3"] = ops.image.gaussian_blur(img, (5, 3), (1.5, 0.7), data_format=CL)
    out["blur_4x4_cf"] = ops.image.gaussian_blur(np.moveaxis(img, -1, 1), (4, 4), (1.0, 2.0),
                                                 data_format="channels_first")
    out["ssim"] = ops.image.ssim(big, big2, data_format=CL)
    out["ssim_small"] = ops.image.ssim(img[0], other[0], max_val=2.0, filter_size=5,
                                       filter_sigma=1.0, k1=0.02, k2=0.05, data_format=CL)
    for method in ("linear", "cubic", "lanczos3", "lanczos5"):
        for antialias in (True, False):
            out[f"st_down_{method}_{int(antialias)}"] = ops.image.scale_and_translate(
                img, (2, 4, 5, 3), np.float32([0.5, 0.6]), np.float32([0.3, -0.2]), (1, 2),
                method, antialias)
        out[f"st_up_{method}"] = ops.image.scale_and_translate(
            img, (2, 10, 11, 3), np.float32([1.5, 1.3]), np.float32([-1.0, 0.5]), (1, 2),
            method)
    for interpolation in ("bilinear", "nearest"):
        out[f"persp_{interpolation}"] = ops.image.perspective_transform(
            img, np.stack([start, start]), end, interpolation=interpolation, fill_value=0.25,
            data_format=CL)
    out["hsv"] = ops.image.rgb_to_hsv(rgb, data_format=CL)
    out["hsv_cf"] = ops.image.rgb_to_hsv(np.moveaxis(rgb, -1, 1), data_format="channels_first")
    out["rgb_back"] = ops.image.hsv_to_rgb(out["hsv"], data_format=CL)
    np.savez_compressed(OUT, **{k: np.asarray(v) for k, v in out.items()})
    print("wrote", OUT, "with Keras", keras.__version__)


if __name__ == "__main__":
    main()
