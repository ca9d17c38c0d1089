"""The engine contract: the one file a new engine's author reads.

An engine is a module (``keras_bridge/backends/<engine>/`` for the built-in ones, or any
module a distribution registers under the entry-point group ``keras_bridge.backends``)
whose top level fulfils ``Engine`` below. Its pieces are typed as ``typing.Protocol``s:

- ``Engine``: identity and devices, tensors and dtypes, the op table (``OPS``), layer
  binding, programs, gradients, optimizers and trainers;
- ``Slot``: the engine storage of one front-end weight (Keras layout in and out);
- ``Program``: a bound model's forward pass in inference and training mode;
- ``Trainer``: one training or test batch (the engine differentiates and applies);
- ``EngineOptimizer``: Keras's update rules over the weights' storage, with the state
  names of ``optimizer_state_names``.

``keras_bridge.backends.conformance.check(name)`` runs the conformance suite on an
engine (``tests/engines/test_conformance.py`` runs it on every installed one): the
names and signatures here, then behaviour against numpy. Tensors are the engine's own
arrays; weights cross the boundary in Keras layout as numpy arrays. What an engine may
read of the front end (layers, weights, graphs) is the public API of layers and weights
plus ``keras_bridge.backends.surface``; private front-end names (``_x``) are off limits.

Optional: an engine may ship a ``native`` submodule, its interplay with its own library,
which the front end reaches through ``keras_bridge.native.engine_native`` (a feature asked
of an engine without it is a clear error). torch's (backends/torch/native.py) gives a
model's ``nn.Module`` view (``model_view``, ``facing_class``) and TorchModuleWrapper's
rule; JAX's (backends/jax/native.py) the pytrees and keys of ``layers.JaxLayer``.

Dtype rules: ``cast`` and ``convert_to_tensor`` take dtype names ('float16',
'bfloat16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'bool');
an engine without 64-bit types enabled (JAX's default) may give the 32-bit type for
'float64' and 'int64'. ``to_numpy`` of a bfloat16 tensor gives float32 values where numpy
has no bfloat16.
"""

from typing import Any, Protocol, runtime_checkable

import numpy as np

# name -> (signature, what it must do). Every backend's ``ops`` module defines each.
OPS = {
    # creation and conversion
    "convert_to_tensor": ("(x, dtype=None)", "Engine tensor from array-like x (on the active device)."),
    "convert_to_numpy": ("(x)", "numpy array from an engine tensor."),
    "cast": ("(x, dtype)", "x converted to dtype (a dtype name such as 'float32')."),
    "zeros": ("(shape, dtype='float32')", "Tensor of zeros."),
    "ones": ("(shape, dtype='float32')", "Tensor of ones."),
    "zeros_like": ("(x, dtype=None)", "Zeros shaped like x."),
    "ones_like": ("(x, dtype=None)", "Ones shaped like x."),
    "full": ("(shape, fill_value, dtype=None)", "Tensor filled with fill_value."),
    "arange": ("(start, stop=None, step=1, dtype=None)", "As numpy.arange."),
    "eye": ("(n, m=None, dtype='float32')", "Identity matrix."),
    # shape
    "shape": ("(x)", "Static shape of x as a tuple of ints."),
    "ndim": ("(x)", "Number of dimensions of x."),
    "reshape": ("(x, newshape)", "As numpy.reshape; -1 allowed once."),
    "transpose": ("(x, axes=None)", "As numpy.transpose."),
    "expand_dims": ("(x, axis)", "Insert a length-1 axis."),
    "squeeze": ("(x, axis=None)", "Remove length-1 axes."),
    "concatenate": ("(xs, axis=-1)", "Join a sequence of tensors along axis (Keras's default -1)."),
    "stack": ("(xs, axis=0)", "Stack a sequence of tensors along a new axis."),
    "tile": ("(x, repeats)", "As numpy.tile."),
    "repeat": ("(x, repeats, axis=None)", "As numpy.repeat."),
    "broadcast_to": ("(x, shape)", "As numpy.broadcast_to."),
    "take": ("(x, indices, axis=None)", "As numpy.take."),
    "flip": ("(x, axis=None)", "As numpy.flip."),
    # elementwise arithmetic
    "add": ("(x1, x2)", "x1 + x2 with broadcasting."),
    "subtract": ("(x1, x2)", "x1 - x2."),
    "multiply": ("(x1, x2)", "x1 * x2."),
    "divide": ("(x1, x2)", "True division x1 / x2."),
    "floor_divide": ("(x1, x2)", "x1 // x2."),
    "mod": ("(x1, x2)", "x1 % x2 with numpy's sign rule."),
    "power": ("(x1, x2)", "x1 ** x2."),
    "negative": ("(x)", "-x."),
    "abs": ("(x)", "|x|."),
    "sign": ("(x)", "Sign of x (-1, 0, 1)."),
    "square": ("(x)", "x * x."),
    "sqrt": ("(x)", "Square root."),
    "exp": ("(x)", "e ** x."),
    "expm1": ("(x)", "e ** x - 1, accurate near 0."),
    "log": ("(x)", "Natural logarithm."),
    "log1p": ("(x)", "log(1 + x), accurate near 0."),
    "sin": ("(x)", "Sine."),
    "cos": ("(x)", "Cosine."),
    "tanh": ("(x)", "Hyperbolic tangent."),
    "floor": ("(x)", "Round down."),
    "ceil": ("(x)", "Round up."),
    "round": ("(x)", "Round half to even, as numpy."),
    "maximum": ("(x1, x2)", "Elementwise maximum."),
    "minimum": ("(x1, x2)", "Elementwise minimum."),
    "clip": ("(x, x_min, x_max)", "Values limited to [x_min, x_max]."),
    "where": ("(condition, x1, x2)", "x1 where condition else x2."),
    # comparison and logic
    "equal": ("(x1, x2)", "Elementwise ==, boolean."),
    "not_equal": ("(x1, x2)", "Elementwise !=, boolean."),
    "greater": ("(x1, x2)", "Elementwise >, boolean."),
    "greater_equal": ("(x1, x2)", "Elementwise >=, boolean."),
    "less": ("(x1, x2)", "Elementwise <, boolean."),
    "less_equal": ("(x1, x2)", "Elementwise <=, boolean."),
    "logical_and": ("(x1, x2)", "Elementwise and."),
    "logical_or": ("(x1, x2)", "Elementwise or."),
    "logical_not": ("(x)", "Elementwise not."),
    # reductions
    "sum": ("(x, axis=None, keepdims=False)", "Sum over axis (int, tuple or None)."),
    "mean": ("(x, axis=None, keepdims=False)", "Mean over axis."),
    "max": ("(x, axis=None, keepdims=False)", "Maximum over axis."),
    "min": ("(x, axis=None, keepdims=False)", "Minimum over axis."),
    "prod": ("(x, axis=None, keepdims=False)", "Product over axis."),
    "std": ("(x, axis=None, keepdims=False)", "Population standard deviation."),
    "var": ("(x, axis=None, keepdims=False)", "Population variance."),
    "logsumexp": ("(x, axis=None, keepdims=False)", "log(sum(exp(x))) computed stably."),
    "argmax": ("(x, axis=None)", "Index of the maximum (flattened when axis is None)."),
    "argmin": ("(x, axis=None)", "Index of the minimum."),
    "any": ("(x, axis=None, keepdims=False)", "Logical or over axis."),
    "all": ("(x, axis=None, keepdims=False)", "Logical and over axis."),
    "cumsum": ("(x, axis=None)", "Cumulative sum (flattened when axis is None)."),
    "cumprod": ("(x, axis=None)", "Cumulative product (flattened when axis is None)."),
    # linear algebra
    "matmul": ("(x1, x2)", "Matrix product with numpy.matmul's broadcasting."),
    "dot": ("(x1, x2)", "numpy.dot semantics."),
    "tensordot": ("(x1, x2, axes=2)", "numpy.tensordot semantics."),
    "einsum": ("(subscripts, *operands)", "numpy.einsum semantics."),
    # neural network functions
    "relu": ("(x)", "max(x, 0)."),
    "sigmoid": ("(x)", "1 / (1 + exp(-x))."),
    "softmax": ("(x, axis=-1)", "exp(x) / sum(exp(x)) along axis, computed stably."),
    "log_softmax": ("(x, axis=-1)", "log(softmax(x)) computed stably."),
    "softplus": ("(x)", "log(1 + exp(x)) computed stably."),
    "softsign": ("(x)", "x / (1 + |x|)."),
    "elu": ("(x, alpha=1.0)", "x if x > 0 else alpha * (exp(x) - 1)."),
    "selu": ("(x)", "scale * elu(x, alpha) with the SELU constants."),
    "gelu": ("(x, approximate=True)", "Gaussian error linear unit; tanh approximation when approximate (Keras's default)."),
    "silu": ("(x)", "x * sigmoid(x)."),
    "leaky_relu": ("(x, negative_slope=0.2)", "x if x >= 0 else negative_slope * x (Keras's default slope 0.2)."),
    "hard_sigmoid": ("(x)", "Keras's piecewise linear sigmoid: clip(x / 6 + 0.5, 0, 1)."),
    "one_hot": ("(x, num_classes, dtype='float32')", "One-hot encoding along a new last axis."),
    "stop_gradient": ("(variable)", "The same values, treated as a constant by the engine's autodiff."),
    "ctc_loss": ("(target, output, target_length, output_length, mask_index=0)",
                 "Per-sequence CTC negative log-likelihood, shape (batch,). output: logits "
                 "(batch, max_length, num_classes), softmaxed over classes inside; target: "
                 "int labels (batch, max_label_length); lengths: (batch,) ints; mask_index: "
                 "the blank class. As keras.ops.ctc_loss."),
    # convolution and pooling (Keras 3's keras.ops): rank 1-3 from the input; kernels in
    # Keras layout; 'same' pads as Keras (the odd entry after); data_format None means
    # config.image_data_format()
    "conv": ("(inputs, kernel, strides=1, padding='valid', data_format=None, dilation_rate=1)",
             "N-D convolution, kernel (*k, in // groups, out); groups = input channels // "
             "kernel.shape[-2]."),
    "depthwise_conv": ("(inputs, kernel, strides=1, padding='valid', data_format=None, "
                       "dilation_rate=1)",
                       "Depthwise convolution, kernel (*k, in, multiplier); output channel "
                       "c * multiplier + m."),
    "separable_conv": ("(inputs, depthwise_kernel, pointwise_kernel, strides=1, "
                       "padding='valid', data_format=None, dilation_rate=1)",
                       "depthwise_conv, then a 1x1 conv with pointwise_kernel "
                       "(1, ..., 1, in * multiplier, out)."),
    "conv_transpose": ("(inputs, kernel, strides=1, padding='valid', output_padding=None, "
                       "data_format=None, dilation_rate=1)",
                       "Transposed convolution (the gradient of conv), kernel (*k, out, in); "
                       "output length as Keras 3 ((n - 1) * s + max(k', s) for 'valid', n * s "
                       "for 'same' when output_padding is None)."),
    "max_pool": ("(inputs, pool_size, strides=None, padding='valid', data_format=None)",
                 "Windowed maximum; strides None means pool_size; padded entries never win."),
    "average_pool": ("(inputs, pool_size, strides=None, padding='valid', data_format=None)",
                     "Windowed mean; with 'same' the padded entries are not counted."),
    # normalization statistics and loops (Keras 3's keras.ops)
    "moments": ("(x, axes, keepdims=False, synchronized=False)",
                "(mean, variance) of x over axes (an int or a list of ints), the population "
                "variance; float16 / bfloat16 reduced in float32 and cast back. "
                "synchronized=True (TensorFlow only in Keras) raises NotImplementedError."),
    "dot_product_attention": ("(query, key, value, bias=None, mask=None, scale=None, "
                              "is_causal=False, flash_attention=None, "
                              "attn_logits_soft_cap=None)",
                              "softmax(Q K^T * scale + bias) V for (B, T, N, H) query and "
                              "(B, S, K, H) key / value, K dividing N (grouped-query); scale "
                              "defaults to 1 / sqrt(H); mask (broadcastable to (B, N, T, S), "
                              "True = attend) and is_causal (top-left lower triangle) hide "
                              "logits behind a large finite negative, so a fully hidden row "
                              "attends uniformly. Each engine calls its fused kernel (torch "
                              "scaled_dot_product_attention, jax.nn.dot_product_attention). "
                              "flash_attention=True and attn_logits_soft_cap are refused."),
    "batch_normalization": ("(x, mean, variance, axis, offset=None, scale=None, "
                            "epsilon=0.001)",
                            "(x - mean) * scale / sqrt(variance + epsilon) + offset, with mean, "
                            "variance, offset, scale vectors of length x.shape[axis]."),
    "scan": ("(f, init, xs=None, length=None, reverse=False, unroll=1)",
             "Loop f(carry, x) -> (carry, y) over the leading axis of xs (or length times "
             "with x None), returning (final carry, the ys stacked on a new leading axis). "
             "init, xs and y may be nested lists / tuples / dicts. JAX: lax.scan; torch: a "
             "Python loop (unroll ignored)."),
    # Keras 3's keras.ops, more of numpy (ops that are compositions of these live
    # engine-free in keras_bridge/ops/composed.py)
    "arccos": ("(x)", "Inverse cosine (integers give floatx)."),
    "arcsin": ("(x)", "Inverse sine."),
    "arctan": ("(x)", "Inverse tangent."),
    "arccosh": ("(x)", "Inverse hyperbolic cosine."),
    "arcsinh": ("(x)", "Inverse hyperbolic sine."),
    "arctanh": ("(x)", "Inverse hyperbolic tangent."),
    "tan": ("(x)", "Tangent."),
    "sinh": ("(x)", "Hyperbolic sine."),
    "cosh": ("(x)", "Hyperbolic cosine."),
    "erf": ("(x)", "Gauss error function."),
    "erfinv": ("(x)", "Inverse of erf on (-1, 1)."),
    "arctan2": ("(x1, x2)", "Angle of the point (x2, x1), quadrant-aware, as numpy.arctan2."),
    "fmod": ("(x1, x2)", "Remainder with the dividend's sign (C fmod), as numpy.fmod."),
    "trunc": ("(x)", "Round toward zero; integers keep their dtype."),
    "isnan": ("(x)", "Elementwise NaN test, boolean (False for integers)."),
    "isinf": ("(x)", "Elementwise infinity test, boolean."),
    "isfinite": ("(x)", "Elementwise finiteness test, boolean."),
    "signbit": ("(x)", "Whether the sign bit is set (True for -0.0), boolean."),
    "sort": ("(x, axis=-1)", "Sorted along axis (None: flattened), ascending."),
    "argsort": ("(x, axis=-1)", "int32 indices that sort x along axis (stable; None: flattened)."),
    "top_k": ("(x, k, sorted=True, is_stable=True)",
              "(values, int32 indices) of the k largest entries along the last axis; ties "
              "keep the lower index first."),
    "take_along_axis": ("(x, indices, axis=None)", "As numpy.take_along_axis (None: flattened x)."),
    "tril": ("(x, k=0)", "Lower triangle of the last two axes (above diagonal k zeroed)."),
    "triu": ("(x, k=0)", "Upper triangle of the last two axes (below diagonal k zeroed)."),
    "diagonal": ("(x, offset=0, axis1=0, axis2=1)", "As numpy.diagonal: the diagonal moves to the last axis."),
    "diag": ("(x, k=0)", "1-D x: a matrix with x on diagonal k; 2-D x: its diagonal k."),
    "roll": ("(x, shift, axis=None)", "As numpy.roll (None: flattened, then reshaped)."),
    "pad": ("(x, pad_width, mode='constant', constant_values=None)",
            "As numpy.pad with mode 'constant' (constant_values a scalar, default 0), "
            "'reflect' or 'symmetric'; pad_width an int, a pair or a pair per axis."),
    "nonzero": ("(x)", "Tuple of int32 index arrays, one per axis, of the nonzero entries "
                       "(row-major order). Its shape depends on values: not traceable by jax.jit."),
    "split": ("(x, indices_or_sections, axis=0)",
              "List of pieces as numpy.split: an int (equal sections, else ValueError) or "
              "increasing split indices."),
    "bincount": ("(x, weights=None, minlength=0, sparse=False)",
                 "Counts (or summed weights) of each non-negative int in 1-D x, length "
                 "max(max(x) + 1, minlength); int32 counts. sparse=True raises ValueError."),
    "quantile": ("(x, q, axis=None, method='linear', keepdims=False)",
                 "As numpy.quantile with q in [0, 1] (scalar or 1-D, a 1-D q adds a leading "
                 "axis); method 'linear', 'lower', 'higher', 'midpoint' or 'nearest'."),
    "segment_sum": ("(data, segment_ids, num_segments=None, sorted=False)",
                    "Sums of data's rows sharing a segment id (ids in [0, num_segments)); "
                    "num_segments None means max(segment_ids) + 1 (not traceable)."),
    "segment_max": ("(data, segment_ids, num_segments=None, sorted=False)",
                    "Maxima of data's rows sharing a segment id; an empty segment gives the "
                    "dtype's lowest value (-inf for floats)."),
    "slice": ("(inputs, start_indices, shape)", "The block of the given shape starting at start_indices."),
    "slice_update": ("(inputs, start_indices, updates)",
                     "A copy of inputs with the block at start_indices replaced by updates."),
    "scatter": ("(indices, values, shape)",
                "Zeros of shape with values added at indices (N, k) (k <= len(shape); "
                "repeated indices sum)."),
    "scatter_update": ("(inputs, indices, updates, reduction=None)",
                       "A copy of inputs with the entries (or slices) at indices (N, k) set to "
                       "updates; reduction 'add', 'mul', 'max' or 'min' combines instead."),
    "cond": ("(pred, true_fn, false_fn)", "true_fn() if pred else false_fn(); JAX: lax.cond "
                                          "when pred is traced (both branches same structure)."),
    "switch": ("(index, branches, *operands)",
               "branches[index](*operands), index clamped to the branches; JAX: lax.switch."),
    "while_loop": ("(cond, body, loop_vars, maximum_iterations=None)",
                   "Apply body to loop_vars (a tuple / list, or one tensor) while cond(*loop_vars); "
                   "returns the final loop_vars in the same structure. JAX: lax.while_loop."),
    "dtype": ("(x)", "The standardized dtype name of x ('float32', 'int32', ...)."),
    "segment_prod": ("(data, segment_ids, num_segments=None, sorted=False)",
                     "Products of data's rows sharing a segment id; an empty segment gives 1."),
    # integer bit operations (integer or boolean operands, numpy's promotion)
    "bitwise_and": ("(x, y)", "Elementwise x & y."),
    "bitwise_or": ("(x, y)", "Elementwise x | y."),
    "bitwise_xor": ("(x, y)", "Elementwise x ^ y."),
    "bitwise_not": ("(x)", "Elementwise ~x."),
    "bitwise_left_shift": ("(x, y)", "Elementwise x << y."),
    "bitwise_right_shift": ("(x, y)", "Elementwise x >> y (arithmetic for signed x)."),
    "gcd": ("(x1, x2)", "Elementwise greatest common divisor of integers (non-negative)."),
    "lcm": ("(x1, x2)", "Elementwise least common multiple of integers (non-negative)."),
    # linear algebra of square matrices (keras.ops.linalg), batched over leading axes
    "inv": ("(x)", "Matrix inverse of the last two axes."),
    "det": ("(x)", "Determinant of the last two axes."),
    "solve": ("(a, b)", "x with a @ x == b (b a matrix or, with one fewer axis, a vector)."),
    "cholesky": ("(x, upper=False)", "Cholesky factor of a symmetric positive-definite x: "
                                     "lower L (x == L @ L^T), or its transpose when upper."),
    # complex numbers, Fourier transforms, special functions, decompositions (Keras 3's
    # keras.ops / keras.ops.linalg; complex values are the engine's complex dtypes, the
    # Fourier ops take and give (real, imag) pairs as Keras does)
    "real": ("(x)", "Real part (x itself for a real x)."),
    "imag": ("(x)", "Imaginary part (zeros of x's dtype for a real x)."),
    "conj": ("(x)", "Complex conjugate (x itself for a real x)."),
    "angle": ("(x)", "Argument of each complex entry (0 or pi for reals), floating."),
    "isreal": ("(x)", "Whether each entry's imaginary part is 0, boolean."),
    "view": ("(x, dtype=None)", "The same bytes read as dtype (None: x itself); the last axis scales by the itemsize ratio."),
    "view_as_complex": ("(x)", "Complex tensor from a real x whose last axis (size 2) holds (real, imag)."),
    "view_as_real": ("(x)", "Real tensor (..., 2) of (real, imag) from a complex x."),
    "polar": ("(abs_, angle)", "Complex abs_ * (cos(angle) + i sin(angle))."),
    "fft": ("(x)", "1-D FFT over the last axis of x = (real, imag); returns (real, imag)."),
    "fft2": ("(x)", "2-D FFT over the last two axes of x = (real, imag); returns (real, imag)."),
    "ifft2": ("(x)", "2-D inverse FFT over the last two axes of (real, imag); returns (real, imag)."),
    "rfft": ("(x, fft_length=None)", "FFT of real x over its last axis (cropped or zero-padded to fft_length): (real, imag) of the fft_length // 2 + 1 bins."),
    "irfft": ("(x, fft_length=None)", "Real inverse of rfft from (real, imag); fft_length None means 2 * (bins - 1)."),
    "i0": ("(x)", "Modified Bessel function of the first kind, order 0."),
    "nextafter": ("(x1, x2)", "The next representable float after x1 towards x2, in the operands' float dtype."),
    "gammainc": ("(x1, x2)", "Regularized lower incomplete gamma P(x1, x2)."),
    "eig": ("(x)", "(eigenvalues, eigenvectors) of square x, complex (JAX: CPU only, not jit-traceable)."),
    "eigh": ("(x)", "(ascending eigenvalues, eigenvectors in columns) of a symmetric x."),
    "qr": ("(x, mode='reduced')", "(q, r) with x == q @ r; mode 'reduced' or 'complete'."),
    "svd": ("(x, full_matrices=True, compute_uv=True)", "(u, s, vh) with x == u @ diag(s) @ vh, s descending; s alone when not compute_uv."),
    "slogdet": ("(x)", "(sign, log|det|) of the last two axes."),
    "lu_factor": ("(x)", "(lu, pivots) as scipy.linalg.lu_factor: L (unit diagonal, below) and U packed, int32 0-based row swaps."),
    "solve_triangular": ("(a, b, lower=False)", "x with a @ x == b for triangular a (its upper triangle unless lower); b a matrix or a vector."),
    "unique": ("(x, sorted=True, return_index=False, return_inverse=False, return_counts=False, axis=None, size=None, fill_value=None)",
               "Sorted unique entries (or slices along axis) and, as asked, int32 first indices, inverse (x's shape for axis None) and counts; size pads (repeating the first entry, or fill_value; counts 0) or truncates. Without size the shape depends on values (not jit-traceable)."),
    # randomness
    "dropout": ("(x, rate, noise_shape=None)", "Inverted dropout: zero each entry with probability rate, scale the rest by 1 / (1 - rate). The engine's random stream is used (see backends' random.py)."),
    "random_uniform": ("(shape, minval=0.0, maxval=1.0, dtype='float32', seed=None)", "Uniform samples from the engine's random stream; an int seed gives the same samples every call."),
    "random_normal": ("(shape, mean=0.0, stddev=1.0, dtype='float32', seed=None)", "Normal samples from the engine's random stream; an int seed gives the same samples every call."),
    "random_truncated_normal": ("(shape, mean=0.0, stddev=1.0, dtype='float32', seed=None)", "Normal samples redrawn until within two standard deviations of the mean."),
    # Keras 3's keras.random samplers. Every random_* op's seed may be None (the engine's
    # stream, or a jitted step's key), an int (the same samples every call) or a seed
    # state: an int32 pair [seed, counter] (numpy or an engine tensor, traced under jit)
    # as a keras_bridge.random.SeedGenerator holds; each state gives its own samples.
    "random_randint": ("(shape, minval, maxval, dtype='int32', seed=None)", "Integers uniform in [minval, maxval)."),
    "random_categorical": ("(logits, num_samples, dtype='int32', seed=None)", "Class indices (batch, num_samples) drawn from the softmax of 2-D logits (batch, classes), with replacement."),
    "random_shuffle": ("(x, axis=0, seed=None)", "x with its slices along axis in one random order."),
    "random_gamma": ("(shape, alpha, dtype='float32', seed=None)", "Gamma(alpha, scale 1) samples; alpha broadcasts to shape."),
    "random_beta": ("(shape, alpha, beta, dtype='float32', seed=None)", "Beta(alpha, beta) samples; alpha and beta broadcast to shape."),
    "random_binomial": ("(shape, counts, probabilities, dtype='float32', seed=None)", "Binomial(counts, probabilities) samples (success counts) in dtype; the parameters broadcast to shape."),
    "random_dropout": ("(x, rate, noise_shape=None, seed=None)", "Inverted dropout drawn from seed; rate a Python number in [0, 1] (1 gives zeros, as Keras 3); None in noise_shape takes x's size."),
    # autodiff of Python functions (Keras 3's keras.ops.custom_gradient and jvp)
    "custom_gradient_call": ("(f, args)",
                             "f(*args) -> (y, grad_fn): y, whose gradient is grad_fn's, called "
                             "as Keras 3 does on this engine (JAX: grad_fn(upstream); torch: "
                             "grad_fn(*args, upstream=upstream)); one gradient per arg."),
    "jvp": ("(fun, primals, tangents, has_aux=False)",
            "Forward-mode (fun(*primals), J @ tangents[, aux]), as jax.jvp / torch.func.jvp."),
}

# Optional engine kernels for ops written once in keras_bridge/ops (name -> (signature,
# what it must do)): an engine whose ``ops`` has one of these names gets its own kernel,
# any other engine the composition. Arguments arrive normalised (tuples, a concrete
# data_format); the results must equal the composition's.
NATIVE = {
    "adaptive_average_pool": ("(inputs, output_size, data_format)",
                              "Mean over the bins [floor(i * n / out), ceil((i + 1) * n / out)) "
                              "of each spatial axis; output_size a tuple per spatial axis."),
    "adaptive_max_pool": ("(inputs, output_size, data_format)", "Maximum over the same bins."),
    "unfold": ("(x, kernel_size, dilation, padding, stride)",
               "Sliding blocks of NCHW x as (N, C * kh * kw, L), as torch.nn.functional.unfold; "
               "every argument after x a pair."),
    "fold": ("(x, output_size, kernel_size, dilation, padding, stride)",
             "The sum of blocks (N, C * kh * kw, L) into (N, C, *output_size), as "
             "torch.nn.functional.fold; pairs."),
    "associative_scan": ("(f, elems, reverse, axis)",
                         "Inclusive scan of the associative f over axis of the nested elems, "
                         "as jax.lax.associative_scan."),
}


@runtime_checkable
class Slot(Protocol):
    """Engine storage of one ``Weight``; ``weight.bind(slot)`` installs it. Values go in
    and come out in Keras layout whatever the storage layout."""

    backend_name: str  # the engine's NAME

    def read(self) -> Any:
        """The value as an engine tensor (Keras layout; differentiable where the engine
        tracks gradients)."""

    def read_numpy(self) -> Any:
        """A host copy as a numpy array (Keras layout)."""

    def write(self, value) -> None:
        """Replace the value (numpy or engine tensor, Keras layout), keeping the
        weight's dtype, shape and device."""

    # Optional, where one transfer for many slots beats one per slot (JAX):
    # ``read_numpy_many(slots)`` and ``write_many(slots, host values)``, static methods
    # (``keras_bridge.variables.numpy_many`` / ``assign_many`` fall back to a loop).


@runtime_checkable
class Program(Protocol):
    """A bound model compiled for the engine (``compile_program``); numpy in, numpy out
    except ``forward``."""

    def forward(self, inputs: list, training: bool = False) -> list:
        """Engine tensors in, the model's flat outputs as engine tensors."""

    def predict_batch(self, inputs: list) -> list:
        """One inference batch; a stateful layer's state carries over."""

    def predict_batches(self, batches: list) -> list:
        """Same-shaped inference batches (one execution of ``steps_per_execution``) in
        one go; their outputs joined along the batch axis."""

    def set_jit(self, jit: bool) -> None:
        """Whether prediction is compiled (``compile``'s choice resolved for the engine)."""

    def run_batch(self, inputs: list, training: bool) -> list:
        """One batch in either mode, no gradients; state updates of training mode
        (BatchNorm statistics) are discarded. What ``K.function`` runs."""

    def outputs_and_gradients(self, inputs: list, cotangents: list) -> tuple:
        """(outputs, gradients of sum(outputs * cotangents) for the model's trainable
        weights in Keras layout), all numpy: the parity tests' probe."""


@runtime_checkable
class Trainer(Protocol):
    """One batch of ``fit`` / ``evaluate`` (``make_trainer``): numpy batches in; the
    weights, the optimizer state and the compiled metrics' weights updated. An engine
    that runs several same-shaped batches faster in one call than one by one may add
    ``train_steps(batches)`` / ``test_steps(batches)`` (lists of ``(xs, ys,
    sample_weight)``); the loop uses them for a full ``steps_per_execution`` group."""

    def train_step(self, xs: list, ys: list, sample_weight) -> None:
        """Forward, loss, gradients, the optimizer step, constraints, metrics."""

    def test_step(self, xs: list, ys: list, sample_weight) -> None:
        """Forward, loss, metrics; no update."""


@runtime_checkable
class EngineOptimizer(Protocol):
    """Keras's update math for one optimizer spec over the weights' storage."""

    weights: list  # the bound Weights it updates, in order
    learning_rate: float  # readable and settable (callbacks change it)

    @property
    def iterations(self) -> int:
        """Steps taken."""

    def state_dict(self) -> dict:
        """numpy arrays keyed 'iterations', 'learning_rate', '<i>/<slot>' (Keras layout,
        for weight i) and the algorithm's global names, exactly the keys
        ``optimizer_state_names`` gives: a state saved on one engine loads on another."""

    def load_state_dict(self, values: dict) -> None:
        """Restore ``state_dict``'s output from any engine; wrong keys or shapes raise
        ValueError before anything changes."""

    def state_keys(self) -> list:
        """The keys of ``state_dict``, in a fixed order."""

    def read_state(self, key: str):
        """One ``state_dict`` entry as numpy (reads only that one)."""

    def write_state(self, values: dict) -> None:
        """Set the entries of ``values`` (``{key: value}``, shapes as ``read_state``
        gives them); the rest unchanged."""


@runtime_checkable
class Engine(Protocol):
    """What an engine module provides at its top level."""

    NAME: str  # the registry name ('torch', 'jax')
    CAPABILITIES: frozenset  # named features (see CAPABILITY_NAMES)
    ops: Any  # the op table: a function per name in OPS, engine tensors out
    # Built-in layer class -> rule making the engine's implementation of that layer. The
    # front end looks it up with ``backends/rules.py`` ``rule_for``: a subclass that does
    # not change the math gets its nearest ruled base's rule.
    LOWERING: dict
    # Built-in layer classes with no rule: their reference ``call`` (written with
    # ``keras_bridge.ops``) runs, and so does any subclass's (the lookup stops there).
    # Every built-in layer is in exactly one of LOWERING and RUNS_OWN_CALL.
    RUNS_OWN_CALL: frozenset

    def version(self) -> str:
        """The engine's version string."""

    def devices(self) -> list:
        """Devices the engine sees, e.g. ['cpu', 'cuda:0']."""

    def default_device(self) -> str:
        """Where models are placed when no device scope is active."""

    def resolve_device(self, name) -> str:
        """Canonical device name; None gives the default. An unknown device raises
        ValueError listing devices()."""

    def is_tensor(self, x) -> bool:
        """Whether x is this engine's tensor (tracers included)."""

    def to_numpy(self, x) -> Any:
        """Host copy of an engine tensor."""

    def seed(self, value: int) -> None:
        """Seed the engine's random stream."""

    def bind_layer(self, layer, device: str) -> None:
        """Give the layer's weights engine storage on device (Keras-layout values in,
        engine layout inside) using the layer's rule in LOWERING or its own call; sets
        each weight's Slot."""

    def bind_weight(self, weight, device: str) -> None:
        """Engine storage for one weight created after its layer was bound (a sub-layer
        built during the first call)."""

    def call_layer(self, layer, inputs, args, kwargs) -> Any:
        """Run a bound layer eagerly on engine tensors; kwargs may hold training."""

    def compute_output_spec(self, fn, specs: list) -> Any:
        """(shape, dtype name) of fn's output, or a list of them for a tuple of outputs,
        for engine tensors of ``specs`` (a list of (shape of ints, dtype name)) as its
        positional arguments, each as ``ops.convert_to_tensor(np.zeros(shape, dtype))``
        would make it; found without computing where the engine can (JAX: jax.eval_shape).
        Any exception means "not found this way" (an engine that cannot: NotImplementedError;
        an fn that needs values): the front end then runs fn on zeros instead."""

    def compile_program(self, model, device: str) -> Program:
        """The model's native Program."""

    def gradients(self, fn, inputs: list, weights: list) -> tuple:
        """(gradients for each of inputs, for each weight in Keras layout) of
        sum(fn(*inputs)) by the engine's autodiff (K.gradients). Runs inside a running
        program too (eager torch; under jax.jit the weights' values are the program's
        substituted ones); anything fn does not depend on (or frozen weights) still gets
        its gradient, zeros when unconnected."""

    def make_optimizer(self, spec, weights: list) -> EngineOptimizer:
        """The engine optimizer for a ``keras_bridge.optimizers.Optimizer`` spec over
        the weights' storage."""

    def make_trainer(self, program: Program, policy) -> Trainer:
        """A Trainer for the program under the front end's step policy
        (``keras_bridge.training.step.StepPolicy``), which decides what a step computes:
        ``policy.loss(forward, ys, sample_weight)`` runs the engine's forward callable
        inside the logits and layer-loss scopes and adds regularization and layer losses
        to the compiled loss; ``policy.constrain(values)``; ``policy.update_metrics(...)``.
        The engine only differentiates and applies: gradients of the policy's total,
        ``policy.optimizer``'s step, the constrained values written back, then the
        metric update. It never opens those scopes or computes a loss term itself.
        ``policy.jit`` says whether to compile the step (``compile``'s ``jit_compile``
        and ``run_eagerly`` resolved for the engine)."""

    def export(self, program: Program, filepath: str, format: str, inputs: list,
               options: dict) -> None:
        """Write the program's inference function (training off, current weights) to
        filepath in ``format``, one of the engine's ``export_<format>`` capabilities.
        inputs: one ``keras_bridge.export.ExportInput`` (name, shape, dtype) per flat
        model input; a None in a shape is an axis left dynamic in the file (axis 0
        shared by all inputs). options: the format's extra arguments, already checked.
        A failure to trace raises RuntimeError and writes nothing."""

    def load_export(self, filepath: str, format: str) -> Any:
        """A file ``export`` wrote as a function: list of numpy arrays in, list of
        outputs (anything np.asarray takes) out."""


def _methods(protocol):
    return [n for n, v in vars(protocol).items() if callable(v) and not n.startswith("_")
            and not isinstance(v, property)]


# name -> what it must do: the functions of ``Engine``, and its module attributes.
FUNCTIONS = {name: " ".join(getattr(Engine, name).__doc__.split())
             for name in _methods(Engine)}
ATTRIBUTES = tuple(Engine.__annotations__)


def optimizer_state_names(spec):
    """(per-weight slot names, global names) of a ``keras_bridge.optimizers`` spec's
    state, as Keras names its variables; ``EngineOptimizer.state_dict`` keys are
    'iterations', 'learning_rate', '<i>/<slot>' for each weight i, and the globals."""
    algorithm = spec.algorithm
    if algorithm == "sgd":
        return (("momentum",) if spec.momentum else ()), ()
    if algorithm == "adam":
        return ("momentum", "velocity") + (("velocity_hat",) if spec.amsgrad else ()), ()
    if algorithm == "rmsprop":
        return (("velocity",) + (("momentum",) if spec.momentum else ())
                + (("average_gradient",) if spec.centered else ())), ()
    if algorithm == "adagrad":
        return ("accumulator",), ()
    if algorithm == "adadelta":
        return ("accumulated_grad", "accumulated_delta_var"), ()
    if algorithm == "adamax":
        return ("momentum", "norm"), ()
    if algorithm == "nadam":
        return ("momentum", "velocity"), ("u_product",)
    raise ValueError(f"No state names for optimizer algorithm {algorithm!r}.")


def optimizer_state_keys(spec, count):
    """The ``EngineOptimizer.state_keys`` of a plain optimizer spec over ``count``
    weights: 'iterations', 'learning_rate', '<i>/<slot>' per weight, then the globals."""
    slots, globals_ = optimizer_state_names(spec)
    return (["iterations", "learning_rate"]
            + [f"{i}/{slot}" for i in range(count) for slot in slots] + list(globals_))


def state_dict_of(optimizer):
    """``EngineOptimizer.state_dict`` from its ``read_state``: every key, as numpy."""
    return {key: optimizer.read_state(key) for key in optimizer.state_keys()}


def load_state_dict_into(optimizer, values):
    """``EngineOptimizer.load_state_dict`` from its ``write_state``: everything checked
    first (``check_optimizer_state``), then written at once."""
    check_optimizer_state(state_dict_of(optimizer), values)
    optimizer.write_state(values)


def check_optimizer_state(expected, values):
    """``EngineOptimizer.load_state_dict``'s check, before anything changes: ``values``
    has exactly the keys of ``expected`` (the optimizer's own ``state_dict()``), each with
    its shape; else ValueError naming what differs."""
    missing = sorted(set(expected) - set(values))
    extra = sorted(set(values) - set(expected))
    if missing or extra:
        raise ValueError(f"Optimizer state does not match: missing keys {missing}, "
                         f"unexpected keys {extra}.")
    for key, ref in expected.items():
        if np.shape(values[key]) != np.shape(ref):
            raise ValueError(f"Optimizer state {key!r} has shape {np.shape(values[key])}; "
                             f"expected {np.shape(ref)}.")


# Capabilities a backend may declare in CAPABILITIES.
CAPABILITY_NAMES = {
    "cuda": "Runs on NVIDIA GPUs when the engine build has CUDA.",
    "jit": "Compiles whole steps (the JAX train step is one jitted function).",
    "fused_linear": "Dense lowers to the engine's fused linear kernel.",
    "scan_step_projection": "A recurrent layer's input projection runs inside its scan, "
                            "step by step (cheaper than one matmul before the loop when "
                            "the scan is compiled: no (time, batch, gates) array to keep "
                            "for the backward pass).",
    "export_onnx": "export(format='onnx') writes an ONNX graph.",
    "export_torch": "export(format='torch') writes a torch.export ExportedProgram (.pt2).",
    "export_stablehlo": "export(format='stablehlo') writes a serialized jax.export.Exported.",
}
