"""Tracks how much of Keras 3's ``keras.ops`` ``keras_bridge.ops`` covers.

``tests/support/keras3_ops.txt`` lists every public name of ``keras.ops`` (regenerate it
with ``tests/support/make_keras3_ops.py``). Each name is either exported by
``keras_bridge.ops`` or listed in NOT_YET below, and every NOT_YET name really is
missing: the list can only shrink, and an op that lands must leave it.
"""

import os

from keras_bridge import ops

LIST = os.path.join(os.path.dirname(__file__), os.pardir, "support", "keras3_ops.txt")

# Keras 3 ops not provided yet (submodule-only names as 'image.x').
NOT_YET = frozenset("""
    absolute adaptive_average_pool adaptive_max_pool allclose amax amin angle append arccos
    arccosh arcsin arcsinh arctan arctan2 arctanh argpartition argsort array array_split
    associative_scan average bartlett binary_crossentropy bincount bitwise_and
    bitwise_invert bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift bitwise_xor
    blackman cbrt cdist celu cholesky cholesky_inverse column_stack cond conj conjugate copy
    corrcoef correlate cosh count_nonzero cross ctc_decode custom_gradient deg2rad
    depth_to_space det diag diagflat diagonal diff digitize divide_no_nan
    dot_product_attention dsplit dstack dtype eig eigh empty empty_like erf erfc erfinv exp2
    extract_sequences fabs fft fft2 fliplr flipud fmax fmin fmod fold fori_loop full_like
    gammainc gcd geomspace get_item glu hamming hanning hard_shrink hard_silu hard_swish
    hard_tanh heaviside histogram hsplit hstack hypot i0 identity ifft2 imag in_top_k inner
    inv irfft is_tensor isclose isfinite isin isinf isnan isneginf isposinf isreal istft jvp
    kaiser kron layer_normalization lcm ldexp left_shift linspace log10 log2 log_sigmoid
    logaddexp logaddexp2 logdet logical_xor logspace lstsq lu_factor map matrix_power
    matrix_rank median meshgrid moveaxis multi_hot nan_to_num nanargmax nanargmin nancumprod
    nancumsum nanmax nanmean nanmedian nanmin nanpercentile nanprod nanquantile nanstd
    nansum nanvar nextafter nonzero norm normalize outer pad percentile pinv polar psnr ptp
    qr quantile rad2deg ravel real rearrange reciprocal relu6 rfft right_shift
    rms_normalization roll rot90 rsqrt saturate_cast scatter scatter_update searchsorted
    segment_max segment_min segment_prod segment_sum select signbit sinc sinh size slice
    slice_update slogdet soft_shrink solve solve_triangular sort space_to_depth sparse_plus
    sparse_sigmoid sparsemax split squareplus stft svd swapaxes swish switch take_along_axis
    tan tanh_shrink threshold top_k trace trapezoid tri tril triu true_divide trunc unfold
    unique unravel_index unstack vander vdot vectorize vectorized_map view view_as_complex
    view_as_real vsplit vstack while_loop image.affine_transform image.crop_images
    image.elastic_transform image.extract_patches image.extract_patches_3d
    image.gaussian_blur image.hsv_to_rgb image.map_coordinates image.pad_images
    image.perspective_transform image.reconstruct_patches image.resize
    image.rgb_to_grayscale image.rgb_to_hsv image.scale_and_translate image.sobel_edges
    image.ssim
""".split())


def keras3_names():
    with open(LIST) as f:
        header = f.readline()
        assert header.startswith("# keras.ops of Keras 3."), header
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def exported(name):
    obj = ops
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return False
    return callable(obj)


def test_every_keras3_op_is_exported_or_not_yet():
    names = keras3_names()
    assert len(names) > 300 and len(set(names)) == len(names)
    missing = [n for n in names if not exported(n) and n not in NOT_YET]
    assert not missing, f"neither in keras_bridge.ops nor in NOT_YET: {missing}"


def test_not_yet_names_are_really_missing():
    landed = sorted(n for n in NOT_YET if exported(n))
    assert not landed, f"now exported by keras_bridge.ops; remove them from NOT_YET: {landed}"
    unknown = sorted(NOT_YET - set(keras3_names()))
    assert not unknown, f"not Keras 3 ops names: {unknown}"
