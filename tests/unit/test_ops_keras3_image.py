"""The Keras 3 ``ops.image`` filters, patches, warps and HSV conversions
(keras_bridge/ops/image_{filters,patches,warps}.py, image.py) on both engines: against
numpy / scipy / colorsys references written here, real Keras 3.15.1 values
(tests/support/fixtures/keras3_image_ops.npz, made by
tests/support/make_keras3_image_fixture.py), torch vs JAX gradients, symbolic shapes
and the error paths."""

import colorsys
import os

import numpy as np
import pytest
from scipy import ndimage

from keras_bridge import backends, ops

from conftest import both_backends

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), os.pardir, "support", "fixtures",
                               "keras3_image_ops.npz"))
R = np.random.default_rng(3)
IMG = R.random((2, 5, 6, 3)).astype(np.float32)


def to_np(x):
    return np.asarray(ops.convert_to_numpy(x))


def close(got, want, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(to_np(got), want, rtol=rtol, atol=atol)


def tensor(backend, x):
    return backends.get(backend).ops.convert_to_tensor(x)


# ------------------------------------------------------------ real Keras 3.15.1 values

F = FIXTURE
KERAS_CASES = {
    "blur_3x3": lambda: ops.image.gaussian_blur(F["img"], data_format="channels_last"),
    "blur_5x3": lambda: ops.image.gaussian_blur(F["img"], (5, 3), (1.5, 0.7)),
    "blur_4x4_cf": lambda: ops.image.gaussian_blur(np.moveaxis(F["img"], -1, 1), (4, 4),
                                                   (1.0, 2.0), data_format="channels_first"),
    "ssim": lambda: ops.image.ssim(F["big"], F["big2"]),
    "ssim_small": lambda: ops.image.ssim(F["img"][0], F["other"][0], max_val=2.0,
                                         filter_size=5, filter_sigma=1.0, k1=0.02, k2=0.05),
    "persp_bilinear": lambda: ops.image.perspective_transform(
        F["img"], np.stack([F["start"]] * 2), F["end"], fill_value=0.25),
    "persp_nearest": lambda: ops.image.perspective_transform(
        F["img"], np.stack([F["start"]] * 2), F["end"], "nearest", fill_value=0.25),
    "hsv": lambda: ops.image.rgb_to_hsv(F["rgb"]),
    "hsv_cf": lambda: ops.image.rgb_to_hsv(np.moveaxis(F["rgb"], -1, 1),
                                           data_format="channels_first"),
    "rgb_back": lambda: ops.image.hsv_to_rgb(F["hsv"]),
}
for _m in ("linear", "cubic", "lanczos3", "lanczos5"):
    for _a in (True, False):
        KERAS_CASES[f"st_down_{_m}_{int(_a)}"] = (
            lambda m=_m, a=_a: ops.image.scale_and_translate(
                F["img"], (2, 4, 5, 3), np.float32([0.5, 0.6]), np.float32([0.3, -0.2]),
                (1, 2), m, a))
    KERAS_CASES[f"st_up_{_m}"] = (lambda m=_m: ops.image.scale_and_translate(
        F["img"], (2, 10, 11, 3), np.float32([1.5, 1.3]), np.float32([-1.0, 0.5]), (1, 2), m))


def test_fixture_is_from_keras_3_15():
    assert str(F["keras_version"]).startswith("3.15")


@pytest.mark.parametrize("key", sorted(KERAS_CASES))
def test_matches_keras3(backend, key):
    close(KERAS_CASES[key](), F[key], atol=2e-6)


# ------------------------------------------------------------ numpy references

def test_hsv_against_colorsys(backend):
    hsv = to_np(ops.image.rgb_to_hsv(IMG))
    want = np.apply_along_axis(lambda p: colorsys.rgb_to_hsv(*p), -1, IMG.astype(np.float64))
    np.testing.assert_allclose(hsv, want, atol=2e-6)
    back = np.apply_along_axis(lambda p: colorsys.hsv_to_rgb(*p), -1, want)
    close(ops.image.hsv_to_rgb(want.astype(np.float32)), back, atol=2e-6)
    close(ops.image.hsv_to_rgb(ops.image.rgb_to_hsv(IMG[0])), IMG[0], atol=2e-6)


def np_correlate_same(img, k):
    """Zero-padded 'same' cross-correlation of each channel of (B, H, W, C) by k, padding
    (k - 1) // 2 before and k // 2 after, as XLA's SAME."""
    kh, kw = k.shape
    p = np.pad(img, [(0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)])
    out = np.zeros(img.shape, np.float64)
    for i in range(kh):
        for j in range(kw):
            out += k[i, j] * p[:, i:i + img.shape[1], j:j + img.shape[2]]
    return out


def gauss(n, s):
    g = np.exp(-0.5 * ((np.arange(n) - (n - 1) / 2) / s) ** 2)
    return g / g.sum()


def test_gaussian_blur_against_numpy(backend):
    k = np.outer(gauss(3, 0.8), gauss(5, 1.3))  # kernel_size[0], sigma[0]: along width
    close(ops.image.gaussian_blur(IMG, (5, 3), (1.3, 0.8)), np_correlate_same(IMG, k))
    close(ops.image.gaussian_blur(IMG[1], (5, 3), (1.3, 0.8)), np_correlate_same(IMG, k)[1])
    cf = ops.image.gaussian_blur(np.moveaxis(IMG, -1, 1), (5, 3), (1.3, 0.8),
                                 data_format="channels_first")
    close(cf, np.moveaxis(np_correlate_same(IMG, k), -1, 1))


def test_sobel_edges_against_numpy(backend):
    sx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64)
    want = np.stack([np_correlate_same(IMG, sx.T), np_correlate_same(IMG, sx)], -1)
    close(ops.image.sobel_edges(IMG), want, atol=1e-5)
    cf = ops.image.sobel_edges(np.moveaxis(IMG, -1, 1), data_format="channels_first")
    close(cf, np.moveaxis(want, 3, 1), atol=1e-5)


def np_ssim(a, b, size=3, sigma=1.0, max_val=1.0, k1=0.01, k2=0.03):
    w = np.outer(gauss(size, sigma), gauss(size, sigma))
    h, wd = a.shape[1] - size + 1, a.shape[2] - size + 1

    def mean(v):
        return sum(w[i, j] * v[:, i:i + h, j:j + wd] for i in range(size) for j in range(size))

    a, b = a.astype(np.float64), b.astype(np.float64)
    ma, mb = mean(a), mean(b)
    va, vb, cov = mean(a * a) - ma ** 2, mean(b * b) - mb ** 2, mean(a * b) - ma * mb
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    s = (2 * ma * mb + c1) * (2 * cov + c2) / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2))
    return s.mean(axis=(1, 2, 3))


def test_ssim_against_numpy(backend):
    other = np.clip(IMG + 0.2 * R.standard_normal(IMG.shape), 0, 1).astype(np.float32)
    close(ops.image.ssim(IMG, other, filter_size=3, filter_sigma=1.0), np_ssim(IMG, other),
          atol=1e-5)
    close(ops.image.ssim(IMG, IMG, filter_size=3), np.ones(2), atol=1e-5)
    cf = ops.image.ssim(np.moveaxis(IMG, -1, 1), np.moveaxis(other, -1, 1), filter_size=3,
                        filter_sigma=1.0, data_format="channels_first")
    close(cf, np_ssim(IMG, other), atol=1e-5)
    assert ops.shape(ops.image.ssim(IMG[0], other[0], filter_size=3)) == ()


def np_patches(x, size, strides):
    """(B, gH, gW, pH * pW * C) by slicing, each patch flattened (pH, pW, C) row-major."""
    (ph, pw), (sh, sw) = size, strides
    gh, gw = (x.shape[1] - ph) // sh + 1, (x.shape[2] - pw) // sw + 1
    return np.stack([np.stack([x[:, i * sh:i * sh + ph, j * sw:j * sw + pw].reshape(len(x), -1)
                               for j in range(gw)], 1) for i in range(gh)], 1)


def test_extract_patches_against_numpy(backend):
    close(ops.image.extract_patches(IMG, (2, 3)), np_patches(IMG, (2, 3), (2, 3)), atol=0)
    close(ops.image.extract_patches(IMG, 2, (1, 2)), np_patches(IMG, (2, 2), (1, 2)), atol=0)
    close(ops.image.extract_patches(IMG[0], (3, 2), 1), np_patches(IMG, (3, 2), (1, 1))[0],
          atol=0)
    cf = ops.image.extract_patches(np.moveaxis(IMG, -1, 1), (2, 3),
                                   data_format="channels_first")
    assert ops.shape(cf) == (2, 18, 2, 2)
    same = ops.image.extract_patches(IMG, (2, 4), padding="same")  # grid ceil(5/2), ceil(6/4)
    assert ops.shape(same) == (2, 3, 2, 24)


def test_extract_patches_3d_against_numpy(backend):
    vol = R.random((2, 4, 4, 6, 2)).astype(np.float32)
    want = np.stack([np.stack([np.stack([
        vol[:, d * 2:d * 2 + 2, i * 2:i * 2 + 2, j * 3:j * 3 + 3].reshape(2, -1)
        for j in range(2)], 1) for i in range(2)], 1) for d in range(2)], 1)
    close(ops.image.extract_patches_3d(vol, (2, 2, 3)), want, atol=0)
    close(ops.image.extract_patches(vol[0], (2, 2, 3)), want[0], atol=0)
    assert ops.shape(ops.image.extract_patches_3d(vol, 2, strides=1)) == (2, 3, 3, 5, 16)


def test_reconstruct_patches_inverts_extraction(backend):
    x = R.random((2, 6, 8, 3)).astype(np.float32)
    p = ops.image.extract_patches(x, (3, 4))
    close(ops.image.reconstruct_patches(p, (3, 4), (6, 8)), x, atol=0)
    close(ops.image.reconstruct_patches(p[0], (3, 4), (6, 8)), x[0], atol=0)
    cf = ops.image.extract_patches(np.moveaxis(x, -1, 1), (3, 4), data_format="channels_first")
    close(ops.image.reconstruct_patches(cf, (3, 4), (6, 8), data_format="channels_first"),
          np.moveaxis(x, -1, 1), atol=0)
    # 'same': the extraction padded 7 rows to 9 (1 above) and 8 columns to 9 (0 left)
    odd = x[:, :5, :7]
    same = ops.image.extract_patches(odd, 3, padding="same")
    close(ops.image.reconstruct_patches(same, 3, (5, 7), padding="same"), odd, atol=0)
    vol = R.random((1, 4, 6, 2, 2)).astype(np.float32)
    p3 = ops.image.extract_patches(vol, (2, 3, 2))
    close(ops.image.reconstruct_patches(p3, (2, 3, 2), (4, 6, 2)), vol, atol=0)


SCIPY_MODES = {"constant": "grid-constant", "nearest": "nearest", "wrap": "grid-wrap",
               "mirror": "mirror", "reflect": "reflect"}


@pytest.mark.parametrize("fill_mode", sorted(SCIPY_MODES))
@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates_against_scipy(backend, fill_mode, order):
    src = R.random((4, 5)).astype(np.float32)
    coords = np.stack([R.uniform(-6, 9, (3, 7)), R.uniform(-6, 10, (3, 7))]).astype(np.float32)
    coords[np.abs(coords - np.round(coords) - 0.5) < 1e-3] += 0.01  # no exact halves
    want = ndimage.map_coordinates(src.astype(np.float64), coords.astype(np.float64),
                                   order=order, mode=SCIPY_MODES[fill_mode], cval=-0.5)
    got = ops.image.map_coordinates(tensor(backend, src), coords, order, fill_mode, -0.5)
    assert ops.shape(got) == (3, 7)
    close(got, want, atol=1e-5)


def test_map_coordinates_3d_list_and_integer_inputs(backend):
    vol = R.random((3, 4, 2)).astype(np.float32)
    coords = [R.uniform(0, 2, (5,)).astype(np.float32), R.uniform(0, 3, (5,)).astype(np.float32),
              R.uniform(0, 1, (5,)).astype(np.float32)]
    want = ndimage.map_coordinates(vol, np.stack(coords), order=1, mode="nearest")
    close(ops.image.map_coordinates(vol, coords, 1, "nearest"), want)
    ints = np.array([[0, 10], [20, 30]], np.int32)
    got = ops.image.map_coordinates(ints, np.float32([[0.5, 0.25], [0.5, 0.0]]), 1)
    assert ops.dtype(got) == "int32"
    np.testing.assert_array_equal(to_np(got), [15, 5])  # 15 exactly, 5.0; halves away from 0


def test_perspective_identity_and_shift(backend):
    corners = np.float32([[0, 0], [5, 0], [0, 4], [5, 4]])
    close(ops.image.perspective_transform(IMG, corners, corners), IMG, atol=1e-5)
    shifted = ops.image.perspective_transform(IMG, corners, corners + [1, 0], "nearest")
    want = np.concatenate([np.zeros_like(IMG[:, :, :1]), IMG[:, :, :-1]], axis=2)
    close(shifted, want, atol=1e-5)  # output x reads input x - 1
    cf = ops.image.perspective_transform(np.moveaxis(IMG[0], -1, 0), corners, corners + [1, 0],
                                         "nearest", data_format="channels_first")
    close(cf, np.moveaxis(want[0], -1, 0), atol=1e-5)


def test_scale_and_translate_against_numpy(backend):
    """Upscaling by 2 (no antialias effect) with the triangle kernel is linear
    interpolation at the half-pixel source positions (out + 0.5) / 2 - 0.5."""
    x = R.random((1, 3, 4, 1)).astype(np.float32)
    out = to_np(ops.image.scale_and_translate(x, (1, 6, 8, 1), [2.0, 2.0], [0.0, 0.0], (1, 2),
                                              "bilinear"))
    want = np.empty((6, 8))
    for i in range(6):
        for j in range(8):
            y, xx = np.clip((i + 0.5) / 2 - 0.5, 0, 2), np.clip((j + 0.5) / 2 - 0.5, 0, 3)
            want[i, j] = ndimage.map_coordinates(x[0, :, :, 0], [[y], [xx]], order=1)[0]
    np.testing.assert_allclose(out[0, :, :, 0], want, rtol=1e-5, atol=1e-6)
    ints = ops.image.scale_and_translate(np.arange(16, dtype=np.int32).reshape(4, 4), (2, 2),
                                         [0.5, 0.5], [0.0, 0.0], (0, 1), "linear")
    assert ops.dtype(ints) == "float32"


# ------------------------------------------------------------ elastic_transform properties

def ramp(h=16, w=18):
    return np.broadcast_to(np.arange(w, dtype=np.float32)[None, :, None], (h, w, 2)).copy()


def test_elastic_transform_identity_shape_dtype(backend):
    x = R.random((16, 18, 2)).astype(np.float32)  # the ramp's shape: compiled once
    out = ops.image.elastic_transform(x, alpha=0.0, sigma=1.0, seed=3)
    assert ops.dtype(out) == "float32" and ops.shape(out) == x.shape
    close(out, x, atol=0)
    moved = ops.image.elastic_transform(x, sigma=1.0, seed=3)
    assert ops.shape(moved) == x.shape and not np.allclose(to_np(moved), x)


def test_elastic_transform_displacement_scales_with_alpha(backend):
    """On a horizontal ramp, bilinear sampling returns x + alpha * dx exactly where the
    moved point stays inside; the same seed gives the same field, so twice alpha moves
    twice as far; all channels share the field; channels_first is the same warp."""
    x = ramp()
    one = to_np(ops.image.elastic_transform(x, alpha=0.05, sigma=1.0, seed=5)) - x
    two = to_np(ops.image.elastic_transform(x, alpha=0.1, sigma=1.0, seed=5)) - x
    inner = (slice(2, -2), slice(2, -2))
    assert np.abs(one[inner]).max() > 0
    np.testing.assert_allclose(two[inner], 2 * one[inner], rtol=1e-3, atol=1e-5)
    np.testing.assert_array_equal(one[..., 0], one[..., 1])
    cf = ops.image.elastic_transform(np.moveaxis(x, -1, 0), alpha=0.05, sigma=1.0, seed=5,
                                     data_format="channels_first")
    close(np.moveaxis(to_np(cf), 0, -1) - x, one, atol=1e-5)


def test_elastic_transform_larger_sigma_gives_smoother_field(backend):
    x = ramp()

    def roughness(sigma):
        d = (to_np(ops.image.elastic_transform(x, alpha=0.02 / sigma, sigma=sigma, seed=9))
             - x)[3:-3, 3:-3, 0]
        return np.abs(np.diff(d, axis=1)).mean() / np.abs(d).mean()

    assert roughness(3.0) < 0.5 * roughness(0.5)


# ------------------------------------------------------------ gradients, symbolic, errors

@both_backends()
@pytest.mark.parametrize("name", ["map_coordinates", "gaussian_blur", "ssim"])
def test_gradients_agree_across_engines(name):
    import jax
    import torch
    x = R.random((1, 8, 9, 2)).astype(np.float32)
    y = R.random((1, 8, 9, 2)).astype(np.float32)
    coords = np.stack([R.uniform(-1, 8, (4, 5)), R.uniform(-1, 9, (4, 5))]).astype(np.float32)
    fns = {"map_coordinates": lambda a, c: ops.sum(ops.square(
               ops.image.map_coordinates(a[0, :, :, 0], c, 1, "reflect"))),
           "gaussian_blur": lambda a, c: ops.sum(ops.multiply(
               ops.image.gaussian_blur(a, (3, 5), (1.0, 1.5)), ops.convert_to_tensor(y))),
           "ssim": lambda a, c: ops.image.ssim(a, ops.convert_to_tensor(y), filter_size=5)[0]}
    fn = fns[name]
    ta, tc = torch.tensor(x, requires_grad=True), torch.tensor(coords, requires_grad=True)
    fn(ta, tc).backward()
    ja, jc = jax.grad(fn, argnums=(0, 1))(jax.numpy.asarray(x), jax.numpy.asarray(coords))
    np.testing.assert_allclose(ta.grad.numpy(), np.asarray(ja), rtol=1e-5, atol=1e-6)
    assert np.abs(ta.grad.numpy()).max() > 0
    if name == "map_coordinates":
        np.testing.assert_allclose(tc.grad.numpy(), np.asarray(jc), rtol=1e-5, atol=1e-6)
        assert np.abs(tc.grad.numpy()).max() > 0


def test_symbolic_shapes_and_model(backend):
    from keras_bridge import Input, Model
    img = Input((6, 8, 3))
    outs = {"blur": ops.image.gaussian_blur(img), "sobel": ops.image.sobel_edges(img),
            "hsv": ops.image.rgb_to_hsv(img),
            "ssim": ops.image.ssim(img, img, filter_size=3),
            "patches": ops.image.extract_patches(img, (2, 4)),
            "persp": ops.image.perspective_transform(img, np.float32([[0, 0], [7, 0], [0, 5],
                                                                      [7, 5]]),
                                                     np.float32([[1, 0], [7, 0], [0, 5],
                                                                 [7, 5]])),
            "scale": ops.image.scale_and_translate(img, (2, 3, 4, 3), [0.5, 0.5], [0.0, 0.0],
                                                   (1, 2), "cubic")}
    outs["back"] = ops.image.reconstruct_patches(outs["patches"], (2, 4), (6, 8))
    shapes = {k: tuple(v.shape)[1:] for k, v in outs.items()}
    assert shapes == {"blur": (6, 8, 3), "sobel": (6, 8, 3, 2), "hsv": (6, 8, 3),
                      "ssim": (), "patches": (3, 2, 24), "persp": (6, 8, 3), "scale": (3, 4, 3),
                      "back": (6, 8, 3)}
    model = Model(img, [outs["blur"], outs["back"]])
    x = R.random((2, 6, 8, 3)).astype(np.float32)
    blur, back = model.predict(x, verbose=0)
    np.testing.assert_allclose(blur, to_np(ops.image.gaussian_blur(x)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(back, x)
    grid = Input((4, 5))
    assert tuple(ops.image.map_coordinates(grid[0], np.zeros((2, 3, 3), np.float32),
                                           1).shape) == (3, 3)


def test_error_paths(backend):
    flat = IMG[0, 0]
    for call in (lambda: ops.image.gaussian_blur(flat), lambda: ops.image.rgb_to_hsv(flat),
                 lambda: ops.image.hsv_to_rgb(flat), lambda: ops.image.sobel_edges(IMG[0]),
                 lambda: ops.image.ssim(flat, flat),
                 lambda: ops.image.elastic_transform(flat),
                 lambda: ops.image.perspective_transform(flat, np.zeros((4, 2)),
                                                         np.zeros((4, 2))),
                 lambda: ops.image.extract_patches(flat, 2)):
        with pytest.raises(ValueError, match="rank"):
            call()
    for call in (lambda: ops.image.gaussian_blur(IMG, data_format="nhwc"),
                 lambda: ops.image.sobel_edges(IMG, data_format="nhwc"),
                 lambda: ops.image.ssim(IMG, IMG, data_format="nhwc"),
                 lambda: ops.image.rgb_to_hsv(IMG, data_format="nhwc"),
                 lambda: ops.image.elastic_transform(IMG, data_format="nhwc"),
                 lambda: ops.image.extract_patches(IMG, 2, data_format="nhwc"),
                 lambda: ops.image.reconstruct_patches(IMG, 1, (5, 6), data_format="nhwc")):
        with pytest.raises(ValueError, match="data_format"):
            call()
    with pytest.raises(ValueError, match="float dtype"):
        ops.image.rgb_to_hsv(IMG.astype(np.int32))
    with pytest.raises(ValueError, match="3 channels"):
        ops.image.hsv_to_rgb(IMG[..., :2])
    with pytest.raises(ValueError, match="one shape"):
        ops.image.ssim(IMG, IMG[:, :4])
    with pytest.raises(ValueError, match="`order`"):
        ops.image.map_coordinates(IMG[0, :, :, 0], np.zeros((2, 3)), 3)
    with pytest.raises(ValueError, match="First dim of `coordinates`"):
        ops.image.map_coordinates(IMG[0, :, :, 0], np.zeros((3, 3)), 1)
    with pytest.raises(ValueError, match="`fill_mode`"):
        ops.image.map_coordinates(IMG[0, :, :, 0], np.zeros((2, 3)), 1, "edge")
    with pytest.raises(ValueError, match="`interpolation`"):
        ops.image.elastic_transform(IMG, interpolation="bicubic")
    with pytest.raises(ValueError, match="start_points shape"):
        ops.image.perspective_transform(IMG, np.zeros((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="same shape"):
        ops.image.perspective_transform(IMG, np.zeros((4, 2)), np.zeros((2, 4, 2)))
    with pytest.raises(ValueError, match="`method`"):
        ops.image.scale_and_translate(IMG, (2, 3, 3, 3), [1.0, 1.0], [0.0, 0.0], (1, 2), "box")
    with pytest.raises(TypeError, match="Invalid `size`"):
        ops.image.extract_patches(IMG, "2")
    with pytest.raises(ValueError, match="length 2 or 3"):
        ops.image.extract_patches(IMG, (1, 2, 3, 4))
    patches = ops.image.extract_patches(IMG[:, :4], 2)
    with pytest.raises(ValueError, match="requires output_size"):
        ops.image.reconstruct_patches(patches, 2, (5, 6))
    with pytest.raises(NotImplementedError, match="non-overlapping"):
        ops.image.reconstruct_patches(patches, 2, (4, 6), strides=1)
    with pytest.raises(ValueError, match="not divisible"):
        ops.image.reconstruct_patches(patches, 3, (6, 9))
