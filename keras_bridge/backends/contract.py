"""The backend contract: everything an engine folder under ``keras_bridge/backends/`` provides.

A backend is a package (``keras_bridge/backends/<engine>/``) whose top level exposes the names
below. ``tests/test_contract.py`` walks this file for every installed backend, so a
missing piece fails with its name. Tensors here are the engine's own arrays; weights
cross the boundary in Keras layout as numpy arrays.

Module attributes
-----------------
NAME : str
    The registry name ('torch', 'jax').
CAPABILITIES : frozenset[str]
    Named features the front end and tests may ask about (see ``CAPABILITY_NAMES``).
ops : module
    The op table: one function per name in ``OPS`` below, taking engine tensors,
    numpy arrays or Python scalars and returning engine tensors.
LOWERING : dict[type, callable]
    Built-in layer class -> rule making the engine's implementation of that layer.
RUNS_OWN_CALL : frozenset[type]
    Built-in layer classes with no rule: their reference ``call`` (written with
    ``keras_bridge.ops``) runs on this engine. Every built-in layer is in exactly one
    of ``LOWERING`` and ``RUNS_OWN_CALL``.
"""

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
    "batch_normalization": ("(x, mean, variance, axis, offset=None, scale=None, "
                            "epsilon=0.001)",
                            "(x - mean) * scale / sqrt(variance + epsilon) + offset, with mean, "
                            "variance, offset, scale vectors of length x.shape[axis]."),
    "scan": ("(f, init, xs=None, length=None, reverse=False, unroll=1)",
             "Loop f(carry, x) -> (carry, y) over the leading axis of xs (or length times "
             "with x None), returning (final carry, the ys stacked on a new leading axis). "
             "init, xs and y may be nested lists / tuples / dicts. JAX: lax.scan; torch: a "
             "Python loop (unroll ignored)."),
    # randomness
    "dropout": ("(x, rate, noise_shape=None)", "Inverted dropout: zero each entry with probability rate, scale the rest by 1 / (1 - rate). The engine's random stream is used (see backends' random.py)."),
    "random_uniform": ("(shape, minval=0.0, maxval=1.0, dtype='float32', seed=None)", "Uniform samples from the engine's random stream; an int seed gives the same samples every call."),
    "random_normal": ("(shape, mean=0.0, stddev=1.0, dtype='float32', seed=None)", "Normal samples from the engine's random stream; an int seed gives the same samples every call."),
    "random_truncated_normal": ("(shape, mean=0.0, stddev=1.0, dtype='float32', seed=None)", "Normal samples redrawn until within two standard deviations of the mean."),
}

# Functions every backend module defines, with what they must do.
FUNCTIONS = {
    "version": "() -> str: the engine's version string.",
    "devices": "() -> list[str]: devices the engine sees, e.g. ['cpu', 'cuda:0'].",
    "default_device": "() -> str: where models are placed when no device scope is active.",
    "resolve_device": "(name: str | None) -> str: canonical device name; None gives the default. "
                      "An unknown device raises ValueError listing devices().",
    "is_tensor": "(x) -> bool: whether x is this engine's tensor (tracers included).",
    "to_numpy": "(x) -> numpy.ndarray: host copy of an engine tensor.",
    "seed": "(value: int) -> None: seed the engine's random stream.",
    "bind_layer": "(layer, device: str) -> None: give the layer's weights engine storage on "
                  "device (Keras-layout values in, engine layout inside) using the layer's rule "
                  "in LOWERING or its own call; sets each weight's slot.",
    "bind_weight": "(weight, device: str) -> None: engine storage for one weight created after "
                   "its layer was bound (a sub-layer built during the first call).",
    "call_layer": "(layer, inputs, args, kwargs) -> outputs: run a bound layer eagerly on "
                  "engine tensors; kwargs may hold training.",
    "compile_program": "(model, device: str) -> Program: the model's native program. A Program has "
                       "forward(inputs: list, training: bool) -> list of engine tensors, "
                       "predict_batch(inputs: list[numpy]) -> list[numpy], "
                       "run_batch(inputs: list[numpy], training: bool) -> list[numpy] (one batch "
                       "in either mode, no gradients, state updates such as BatchNorm "
                       "statistics discarded; what K.function runs), and "
                       "outputs_and_gradients(inputs: list[numpy], cotangents: list[numpy]) -> "
                       "(list[numpy] outputs, list[numpy] gradients of sum(outputs * cotangents) "
                       "for model.trainable_weights, in Keras layout).",
    "gradients": "(fn, inputs: list[tensor], weights: list[Weight]) -> (list[tensor], "
                 "list[tensor]): gradients of sum(fn(*inputs)) with respect to each of inputs "
                 "and each weight (Keras layout), by the engine's autodiff (K.gradients). It "
                 "runs inside a running program too (eager torch; under jax.jit the weights' "
                 "values are the program's substituted ones); anything fn does not depend on "
                 "(or frozen weights) still gets its gradient, zeros when unconnected.",
    "make_optimizer": "(spec: keras_bridge.optimizers.Optimizer, weights: list[Weight]) -> engine "
                      "optimizer with Keras's update math for the spec, over the weights' "
                      "storage; learning_rate and iterations readable and settable.",
    "make_trainer": "(program, compiled) -> Trainer with train_step(xs, ys, sample_weight) and "
                    "test_step(xs, ys, sample_weight) on numpy batches: forward, the compiled "
                    "loss (plus regularization), and for training gradients, the optimizer "
                    "step and constraints; both update the compiled metrics' weights.",
}

ATTRIBUTES = ("NAME", "CAPABILITIES", "ops", "LOWERING", "RUNS_OWN_CALL")

# Capabilities a backend may declare in CAPABILITIES.
CAPABILITY_NAMES = {
    "cuda": "Runs on NVIDIA GPUs when the engine build has CUDA.",
    "jit": "Compiles whole steps (the JAX train step is one jitted function).",
    "fused_linear": "Dense lowers to the engine's fused linear kernel.",
}
