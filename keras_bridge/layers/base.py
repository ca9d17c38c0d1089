"""The Layer base class: config, weights, symbolic and eager calls.

A layer is a plain Python object. Calling it on symbolic tensors (``Input`` or
another layer's output) builds its weights in numpy, infers the output shape and
records a node; no engine is touched. Calling it on engine tensors or numpy arrays
binds it to that engine (first time only) and runs the engine's implementation.
"""

import functools
import inspect
import warnings

import numpy as np

from keras_bridge import config, context, guards, initializers as _initializers, layer_losses
from keras_bridge import dtype_policies as _dtype_policies, name_scope as _name_scope
from keras_bridge import autocast as _autocast
from keras_bridge import constraints as _constraints, regularizers as _regularizers
from keras_bridge import tensor_masks
from keras_bridge.graph import KerasTensor, Node, is_symbolic, symbolic_in_arguments
from keras_bridge.utils import naming, tree
from keras_bridge.variables import Weight

_BASE_KWARGS = ("input_shape", "batch_input_shape", "batch_size", "input_dim", "weights",
                "autocast")


_AGGREGATIONS = (None, "none", "mean", "sum", "only_first_replica")

class InputSpec:
    """What a layer accepts (Keras's ``InputSpec``), checked on every call.

    A custom layer may set ``self.input_spec`` (one spec, or a list with one per
    input) in ``__init__`` or ``build``.

    Args:
        dtype: expected dtype, stored (not checked, as in Keras).
        shape: expected shape including the batch axis; ``None`` entries match any
            size. Implies ``ndim``.
        ndim: exact rank, or None.
        max_ndim: largest rank, or None.
        min_ndim: smallest rank, or None.
        axes: dict axis -> required size (negative axes count from the end).
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None):
        self.dtype = None if dtype is None else str(np.dtype(dtype))
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.axes = {int(k): v for k, v in dict(axes or {}).items()}

    def check(self, layer, shape, index=0):
        rank = len(shape)
        where = f"Input {index} of layer {layer.name!r} is incompatible with the layer"
        for name, bad in (("ndim", self.ndim is not None and rank != self.ndim),
                          ("max_ndim", self.max_ndim is not None and rank > self.max_ndim),
                          ("min_ndim", self.min_ndim is not None and rank < self.min_ndim)):
            if bad:
                raise ValueError(f"{where}: expected {name}={getattr(self, name)}, found "
                                 f"ndim={rank}. Full shape received: {tuple(shape)}")
        for axis, size in self.axes.items():
            if -rank <= axis < rank and shape[axis] is not None and shape[axis] != size:
                raise ValueError(
                    f"{where}: expected axis {axis} of input shape to have value {size}, "
                    f"but received input with shape {tuple(shape)}")
        if self.shape is not None:
            for want, got in zip(self.shape, shape):
                if want is not None and got is not None and want != got:
                    raise ValueError(f"{where}: expected shape={self.shape}, found "
                                     f"shape={tuple(shape)}")

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in self.get_config().items() if v not in (None, {})]
        return f"InputSpec({', '.join(parts)})"


def _shape_of(x):
    if isinstance(x, KerasTensor):
        return x.shape
    return tuple(int(d) for d in np.shape(x)) if isinstance(x, (np.ndarray, list)) \
        else tuple(_size(d) for d in x.shape)


def _size(d):
    """A static size as an int; a symbolic one (torch.export's SymInt, jax.export's
    dimension expression, neither an int) as None, unknown, as in a symbolic shape:
    int() would fix torch's to the sample's size and fails on JAX's."""
    return int(d) if isinstance(d, (int, np.integer)) else None


def shape_to_json(shape):
    """A shape (or a list / dict of shapes) with tuples as lists."""
    if isinstance(shape, dict):
        return {k: shape_to_json(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)):
        return [shape_to_json(d) if isinstance(d, (list, tuple, dict)) else
                (None if d is None else int(d)) for d in shape]
    return shape


def shape_from_json(shape):
    """``shape_to_json``'s output back: a list of dimensions is a tuple, a list of
    shapes a list of tuples."""
    if isinstance(shape, dict):
        return {k: shape_from_json(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)):
        if all(d is None or isinstance(d, int) for d in shape):
            return tuple(shape)
        return [shape_from_json(d) for d in shape]
    return shape


def trainable_first(weights):
    """``weights`` with the trainable ones first, each group in its order."""
    return [w for w in weights if w._trainable] + [w for w in weights if not w._trainable]


class Layer:
    """Base class of all layers; subclass it for custom layers.

    Override ``build(input_shape)`` to create weights with ``add_weight`` and
    ``call(inputs, training=None)`` to compute with ``keras_bridge.ops``; the layer
    then runs on every engine unchanged.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: unique name; a default ('dense', 'dense_1', ...) is made from the class.
        dtype: the layer's ``DTypePolicy`` or its name ('float32', 'float64',
            'mixed_bfloat16', ...), default the global policy (``config.floatx()``'s
            unless ``config.set_dtype_policy`` was called): the layer computes in its
            ``compute_dtype`` (floating inputs are cast to it) and keeps its weights in
            its ``variable_dtype`` (``dtype``).
        autocast: whether floating inputs are cast to the compute dtype and a mixed
            layer reads its weights in it (Keras 3; default True).
        input_shape / batch_size / input_dim / batch_input_shape: on the first layer of
            a Sequential model, the shape of its input (without the batch axis).
        weights: initial weights, set once the layer is built.

    Example:
        class Scale(Layer):
            def build(self, input_shape):
                self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
            def call(self, inputs):
                return inputs * self.w
    """

    # Whether a mask on the input passes through this layer unchanged (Keras's flag).
    supports_masking = False
    activity_regularizer = None  # layers taking ``activity_regularizer=`` set it
    _quantization_mode = None  # "int8" once quantized (layers/quantized.py)

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        unknown = set(kwargs) - set(_BASE_KWARGS)
        if unknown:
            raise TypeError(f"Keyword argument not understood by {type(self).__name__}: "
                            f"{sorted(unknown)}")
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"Expected a non-empty string layer name. Received: name={name!r}")
        self.name = name or naming.uniquify(naming.to_snake_case(type(self).__name__))
        self._parent_path = None  # where its scope sits, once first opened (name_scope.py)
        self._trainable = bool(trainable)
        # A quantized policy ("int8_from_float32", as a quantized layer's config holds):
        # the layer builds its quantized weights (layers/quantized.py).
        self._quantization_mode, dtype = _dtype_policies.split_quantized(dtype)
        if self._quantization_mode is not None and \
                not getattr(self, "_can_build_quantized", False):
            raise NotImplementedError(
                f"Layer {type(self).__name__} cannot be quantized (dtype policy "
                f"'{self._quantization_mode}_from_{dtype}'); keras_bridge quantizes "
                "Dense, EinsumDense and Embedding.")
        self._dtype_policy, self.dtype = _dtype_policies.layer_policy(dtype)
        self.autocast = bool(kwargs.get("autocast", True))
        self.built = False
        self.input_spec = None
        self._own_weights = []
        self._kept_losses = []  # add_loss terms of the last eager call (``losses``)
        self._inbound_nodes = []
        self._backend_name = None  # engine this layer is bound to
        self._binding = None  # engine-private object (a torch module, ...)
        self._device = None
        self._initial_weights = kwargs.get("weights")
        self._batch_input_shape = self._input_shape_from_kwargs(kwargs)
        params = inspect.signature(self.call).parameters
        self._call_has_training = "training" in params
        # A call whose ``training`` defaults to a value (Keras 3's augmentation layers:
        # True) gets that value when called directly without one, as in Keras 3.
        default = params["training"].default if self._call_has_training else None
        self._default_training = default if isinstance(default, bool) else None
        self._call_has_mask = "mask" in params

    @staticmethod
    def _input_shape_from_kwargs(kwargs):
        if kwargs.get("batch_input_shape") is not None:
            warnings.warn("batch_input_shape= is deprecated; use input_shape= (without the "
                          "batch axis) with batch_size=, or an Input layer.",
                          DeprecationWarning, stacklevel=4)
            return tuple(kwargs["batch_input_shape"])
        shape = kwargs.get("input_shape")
        if shape is None and kwargs.get("input_dim") is not None:
            shape = (kwargs["input_dim"],)
        if shape is None:
            return None
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        return (kwargs.get("batch_size"),) + shape

    @property
    def dtype_policy(self):
        """The layer's ``DTypePolicy``: the one it was given, else the one named after
        its weights' ``dtype``."""
        policy = self._dtype_policy
        if policy is not None and self._quantization_mode is None:
            return policy
        dtype = self.dtype
        name = policy.name if policy is not None else \
            dtype if isinstance(dtype, str) else np.dtype(dtype).name
        if self._quantization_mode is not None:
            return _dtype_policies.QuantizedDTypePolicy(self._quantization_mode, name)
        return _dtype_policies.DTypePolicy(name)

    @property
    def quantization_mode(self):
        """The quantization mode of this layer (``"int8"``), None if not quantized."""
        return self._quantization_mode

    @property
    def compute_dtype(self):
        return self.dtype_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self.dtype_policy.variable_dtype

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Freezing a layer freezes the layers inside it too (a model's layers)."""
        self._trainable = bool(value)
        for layer in self._layers():
            layer.trainable = value

    # ---- weights -------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   autocast=True, regularizer=None, constraint=None, aggregation="none",
                   overwrite_with_gradient=False, name=None, **kwargs):
        """Create a weight in Keras layout, drawn now from the seeded numpy generator.

        Keras 3's signature (Keras 2 code passes every argument by keyword, which it
        accepts): ``shape`` defaults to ``()`` (a scalar); ``autocast`` and
        ``aggregation`` are accepted (no replicas to apply the latter to); ``autocast``
        False keeps the weight in its dtype inside a mixed layer's call.
        """
        if kwargs:
            raise TypeError(f"add_weight() got unexpected arguments {sorted(kwargs)}")
        if isinstance(shape, str):
            raise ValueError(f"`name` must be passed as a keyword argument. Received: "
                             f"add_weight({shape!r}, ...). Use: add_weight(shape=..., "
                             f"name={shape!r}).")
        if aggregation not in _AGGREGATIONS:
            raise ValueError(f"Invalid value for `aggregation` in add_weight() on layer "
                             f"{self.name!r}. Expected one of {sorted(map(str, _AGGREGATIONS))}. "
                             f"Received: aggregation={aggregation!r}")
        if overwrite_with_gradient:
            raise NotImplementedError("add_weight(overwrite_with_gradient=True) (float8 "
                                      "training) is not supported by keras_bridge.")
        if shape is None:
            shape = ()
        name = name or f"weight_{len(self._own_weights)}"
        dtype = dtype or self.dtype
        if initializer is None:
            initializer = "glorot_uniform" if np.issubdtype(np.dtype(dtype), np.floating) \
                else "zeros"
        init = _initializers.get(initializer)
        shape = tuple(int(d) for d in shape)
        with _name_scope.name_scope(self.name, caller=self), \
                _name_scope.optional(self._weight_subscope):  # '<scope>/<name>' its path
            weight = Weight(name, shape, dtype, init(shape, dtype=dtype),
                            trainable=trainable, owner=self,
                            regularizer=_regularizers.get(regularizer),
                            constraint=_constraints.get(constraint))
        weight.autocast = bool(autocast)
        self._own_weights.append(weight)
        if self._backend_name is not None:  # created after binding: bind it now
            self._backend().bind_weight(weight, self._device)
        return weight

    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True,
                     regularizer=None, constraint=None, name=None):
        """Keras 3's alias of ``add_weight`` with ``shape`` and ``initializer`` required."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, autocast=autocast,
                               regularizer=regularizer, constraint=constraint, name=name)

    def _layers(self):
        """Layers assigned as attributes (directly or in lists/dicts), in order."""
        found = []
        for value in self.__dict__.values():
            if isinstance(value, Layer):
                found.append(value)
            elif isinstance(value, (list, tuple, dict)):
                found.extend(v for v in tree.flatten(value) if isinstance(v, Layer))
        return found

    # A SeedGenerator's state is a variable of its owner but not a weight (Keras 3): it is
    # in ``variables`` / ``non_trainable_variables``, not ``weights`` / ``get_weights``;
    # so is a weight marked ``_is_state`` (a stateful RNN's states).
    _holds_random_state = False

    def _keras_own_weights(self):
        """The variables Keras 3 saves for this layer itself, in its files' order: the
        trainable ones first (whether the layer is frozen or not), then the others. A
        layer Keras numbers differently (a quantized Dense, a wrapper holding its inner
        layer's kernel) overrides this."""
        return trainable_first(self._own_weights)

    def _collect(self, with_seeds):
        """Own weights, then (with_seeds) the owned generators' states, then the other
        sub-layers' in attribute order, each once: Keras 3's order."""
        subs = self._layers()
        found = [] if self._holds_random_state and not with_seeds else \
            [w for w in self._own_weights if with_seeds or not w._is_state]
        if with_seeds:
            found += [w for l in subs if l._holds_random_state for w in l._own_weights]
        found += [w for l in subs if not l._holds_random_state
                  for w in l._collect(with_seeds)]
        seen, out = set(), []
        for w in found:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    def _all_weights(self):
        return self._collect(False)

    @property
    def weights(self):
        """Every weight of this layer and its sub-layers (not random-seed state)."""
        return self._all_weights()

    @property
    def trainable_weights(self):
        return [w for w in self._all_weights() if w.trainable]

    @property
    def non_trainable_weights(self):
        return [w for w in self._all_weights() if not w.trainable]

    @property
    def variables(self):
        """``weights`` plus the state of the ``SeedGenerator``s the layers own: all the
        state a call reads (what ``stateless_call`` and a pure engine substitute)."""
        return self._collect(True)

    @property
    def trainable_variables(self):
        return [v for v in self.variables if v.trainable]

    @property
    def non_trainable_variables(self):
        """Non-trainable weights and random-seed state (Keras 3)."""
        return [v for v in self.variables if not v.trainable]

    def get_weights(self):
        """Weights as numpy arrays in Keras layout."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Set every weight from numpy arrays; all shapes are checked before any change."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"Layer {self.name!r} expects {len(own)} weights "
                f"({', '.join(w.name for w in own) or 'none'}), but received {len(weights)}.")
        arrays = []
        for w, value in zip(own, weights):
            arr = np.asarray(value)
            if arr.shape != w.shape:
                owner = w.owner.name if w.owner is not None else self.name
                where = "" if owner == self.name else f" (weight {len(arrays)} of {self.name!r})"
                raise ValueError(
                    f"Layer {owner!r} weight {w.name!r}{where} has shape {w.shape}, but the "
                    f"value given has shape {arr.shape}. No weight was changed.")
            arrays.append(arr.astype(w.dtype, copy=False))
        for w, arr in zip(own, arrays):
            w.assign(arr)

    def count_params(self):
        if not self.built:
            raise ValueError(f"Layer {self.name!r} is not built yet, so its weights do not "
                             "exist. Call it on an input (or build it) first.")
        return int(sum(np.prod(w.shape, dtype=np.int64) for w in self.weights))

    # ---- building and shapes -------------------------------------------------
    def build(self, input_shape):
        """Create weights for inputs of ``input_shape``; the default creates none."""
        self.built = True

    # A scope of add_weight's weights under the layer's (a recurrent layer's cell name,
    # which Keras 3's paths hold: 'lstm/lstm_cell/kernel'), while it builds them.
    _weight_subscope = None

    def _open_name_scope(self):
        """This layer's name scope (Keras 3's): weights made and layers first called
        inside get paths under it. The first opening fixes where it sits."""
        if self._parent_path is None:
            self._parent_path = _name_scope.current_path()
        return _name_scope.name_scope(self.name, caller=self)

    def __init_subclass__(cls, **kwargs):
        """Each ``build`` a subclass defines runs inside the layer's name scope, as Keras
        3 wraps it (sublayers a build makes and builds get paths under the layer's)."""
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_in_name_scope", False):
            @functools.wraps(build)
            def scoped_build(self, *args, **kwargs):
                with self._open_name_scope():
                    return build(self, *args, **kwargs)
            scoped_build._in_name_scope = True
            cls.build = scoped_build

    def _maybe_build(self, input_shape):
        if not self.built:
            self.build(input_shape)
            self.built = True
            self._build_input_shape = input_shape
            if self._initial_weights is not None:
                self.set_weights(self._initial_weights)
                self._initial_weights = None

    _build_input_shape = None  # the shape the layer was built for (get_build_config)

    def get_build_config(self):
        """Keras 3's build config: ``{"input_shape": shape}`` for the input shape the
        layer was built with, or None before it is built. Saved beside the layer's
        config so that ``build_from_config`` creates its weights before they load."""
        if self._build_input_shape is None:
            return None
        return {"input_shape": shape_to_json(self._build_input_shape)}

    def build_from_config(self, config):
        """Build from ``get_build_config()``'s output (Keras 3): ``build(input_shape)``,
        or ``build(**shapes_dict)`` for a Keras layer built from several arguments."""
        if not config:
            return
        if "input_shape" in config:
            self._maybe_build(shape_from_json(config["input_shape"]))
        elif "shapes_dict" in config:
            self.build(**{k: shape_from_json(v) for k, v in config["shapes_dict"].items()})
            self.built = True

    def _saved_variables(self):
        return [w for w in self._keras_own_weights() if not w._is_state]

    def save_own_variables(self, store):
        """Put this layer's own variables in ``store`` (a dict: key -> array), as Keras 3
        saves them: ``"0"``, ``"1"``, ... in ``_keras_own_weights`` order. Override it
        (with ``load_own_variables``) to choose what a ``.keras`` / ``.weights.h5`` file
        holds for the layer; ``store`` becomes the layer's ``vars`` group."""
        for i, weight in enumerate(self._saved_variables()):
            store[str(i)] = weight.numpy()

    def load_own_variables(self, store):
        """Set this layer's own variables from ``store`` (a mapping key -> array: the
        layer's ``vars`` group of the file), the inverse of ``save_own_variables``."""
        weights = self._saved_variables()
        if len(store) != len(weights):
            raise ValueError(f"Layer {self.name!r} expected {len(weights)} variables, but "
                             f"received {len(store)} variables during loading. Expected: "
                             f"{[w.name for w in weights]}")
        arrays = [np.asarray(store[str(i)]) for i in range(len(weights))]
        for weight, array in zip(weights, arrays):
            if tuple(array.shape) != tuple(weight.shape):
                raise ValueError(f"Layer {self.name!r}: variable {weight.name!r} has shape "
                                 f"{weight.shape}, the stored value {tuple(array.shape)}.")
        for weight, array in zip(weights, arrays):
            weight.assign(array)

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape``; by default found by running ``call`` on
        small arrays of that shape (unknown dimensions tried as 1 and 2)."""
        from keras_bridge.layers.shape_inference import infer_output_shape
        return infer_output_shape(self, input_shape)

    def compute_mask(self, inputs, mask=None):
        """The mask of the output (True for real steps), from the input's mask: passed
        through when ``supports_masking``, else dropped. Layers that make masks
        (``Embedding(mask_zero=True)``, ``Masking``) override this."""
        return mask if self.supports_masking else None

    # True for layers that make masks from nothing (Embedding(mask_zero=True)), False
    # for layers that only transform masks they are given (merges); None: decided by
    # whether the class overrides compute_mask. A class or an instance may set it.
    _mask_source = None

    def _makes_masks(self):
        """Whether this layer can start a mask (so a graph must track masks)."""
        if self._mask_source is not None:
            return self._mask_source
        return type(self).compute_mask is not Layer.compute_mask

    def compute_output_dtype(self, input_dtype):
        compute = _autocast.compute_dtype(self)
        return compute if compute in _autocast.FLOATS else input_dtype

    def _check_inputs(self, shapes):
        if self.input_spec is None:
            return
        specs = self.input_spec if isinstance(self.input_spec, (list, tuple)) \
            else [self.input_spec]
        flat = shapes if isinstance(shapes, list) else [shapes]
        for i, (spec, shape) in enumerate(zip(specs, flat)):
            if spec is not None:
                spec.check(self, shape, i)

    # ---- calling ---------------------------------------------------------------
    def call(self, inputs, *args, **kwargs):
        return inputs

    def __call__(self, inputs, *args, **kwargs):
        with self._open_name_scope():  # what it builds and calls takes paths under it
            if any(is_symbolic(x) for x in tree.flatten(inputs)) or \
                    symbolic_in_arguments(args, kwargs):
                return self._symbolic_call(inputs, args, kwargs)
            return self._eager_call(inputs, args, kwargs)

    def _symbolic_call(self, inputs, args, kwargs):
        shapes = tree.map_structure(lambda t: t.shape, inputs)
        shapes = list(shapes) if isinstance(inputs, tuple) else shapes
        self._check_inputs(shapes)  # before building: a bad call changes nothing
        if not self.built:
            self._maybe_build(shapes)
            self._check_inputs(shapes)
        mask = tensor_masks.masks_of(inputs)
        if mask is not None and self._call_has_mask and "mask" not in kwargs:
            # the call sees the mask while its shape is inferred, as it will at run time
            out_shapes = self._output_shape_with_tensor_arguments(
                shapes, args, dict(kwargs, mask=mask))
        elif symbolic_in_arguments(args, kwargs):
            out_shapes = self._output_shape_with_tensor_arguments(shapes, args, kwargs)
        else:
            out_shapes = self.compute_output_shape(shapes)
        first = tree.flatten(inputs)[0]
        dtype = self.compute_output_dtype(first.dtype)
        node = Node(self, inputs, args, kwargs)
        if isinstance(out_shapes, list):
            outputs = [KerasTensor(s, dtype, node, i) for i, s in enumerate(out_shapes)]
        else:
            outputs = KerasTensor(out_shapes, dtype, node, 0)
        node.set_outputs(outputs)
        self._inbound_nodes.append(node)
        if mask is not None or self._makes_masks():
            self._attach_symbolic_mask(inputs, mask, outputs)
        return outputs

    def _attach_symbolic_mask(self, inputs, mask, outputs):
        """``outputs._keras_mask``: ``compute_mask`` on the symbolic inputs (Keras 3). The
        model computes masks again when it runs, so a ``compute_mask`` that cannot take
        symbolic tensors only leaves the symbolic mask unknown (None)."""
        try:
            out_mask = self.compute_mask(inputs, mask)
        except Exception:  # noqa: BLE001 - informative only, see the docstring
            return
        if out_mask is not None:
            tensor_masks.attach(outputs, out_mask)

    def _output_shape_with_tensor_arguments(self, shapes, args, kwargs):
        """Output shape of a call given symbolic tensors beyond ``inputs``
        (``Endpoint()(targets, logits)``): a ``compute_output_shape`` of the layer gets
        the shapes of the positional tensors (Keras 3 passes every tensor's shape), else
        ``call`` runs on zero arrays of all of them."""
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            extra = [a.shape for a in args if isinstance(a, KerasTensor)]
            try:
                inspect.signature(self.compute_output_shape).bind(shapes, *extra)
            except TypeError:
                return self.compute_output_shape(shapes)
            return self.compute_output_shape(shapes, *extra)
        from keras_bridge.layers.shape_inference import infer_output_shape
        return infer_output_shape(self, shapes, args=args, kwargs=kwargs)

    def _eager_call(self, inputs, args, kwargs):
        from keras_bridge import backends
        from keras_bridge import ops
        name = ops.engine_name_of(inputs) or self._preferred_backend()
        backend = backends.get(name) if name else context.active_backend()
        inputs = tree.map_structure(
            lambda x: x if backend.is_tensor(x) else backend.ops.convert_to_tensor(x), inputs)
        shapes = tree.map_structure(_shape_of, inputs)
        shapes = list(shapes) if isinstance(inputs, tuple) else shapes
        self._check_inputs(shapes)
        if not self.built:
            self._maybe_build(shapes)
            self._check_inputs(shapes)
        self.bind(backend.NAME)
        if self._default_training is not None and "training" not in kwargs:
            kwargs = {**kwargs, "training": self._default_training}
        mask = tensor_masks.masks_of(inputs)
        if mask is not None and self._call_has_mask and "mask" not in kwargs:
            kwargs = dict(kwargs, mask=mask)  # the mask the inputs carry, as Keras 3
        inputs = _autocast.cast_inputs(self, inputs, backend.ops.cast)
        with context.running(backend.NAME), layer_losses.eager_call(self), \
                _autocast.scope_for(self):
            outputs = backend.call_layer(self, inputs, args, kwargs)
            if self.activity_regularizer is not None:
                layer_losses.add_activity_losses(self, tree.flatten(outputs))
        if mask is not None or self._makes_masks():
            tensor_masks.attach(outputs, self.compute_mask(inputs, kwargs.get("mask", mask)))
        return outputs

    def stateless_call(self, trainable_variables, non_trainable_variables, *args,
                       return_losses=False, **kwargs):
        """Run ``call(*args, **kwargs)`` on the given variable values instead of the
        stored ones, changing nothing (Keras 3): returns ``(outputs,
        non_trainable_variables)`` with the new non-trainable values (moving
        statistics, seed state), plus the call's ``losses`` with ``return_losses``.
        The lists match ``trainable_variables`` / ``non_trainable_variables`` 1:1.
        Pure on JAX (``jax.jit`` / ``jax.grad`` trace it); eager on torch, where
        gradients flow to the given tensors."""
        from keras_bridge.layers.stateless import stateless_call
        return stateless_call(self, trainable_variables, non_trainable_variables, args,
                              kwargs, return_losses)

    def add_loss(self, loss):
        """Add a scalar tensor (a non-scalar is summed) to the loss of the training or
        test step running this call (``fit``, ``evaluate``, ``train_on_batch``,
        ``test_on_batch``); outside a step the layer keeps it in ``losses`` until its
        next top-level call."""
        for value in tree.flatten(loss):
            layer_losses.add(value, self)

    @property
    def losses(self):
        """The ``add_loss`` terms (and activity-regularizer terms) of this layer and its
        sub-layers from the last eager call, then the regularizer term of each trainable
        weight that has one (Keras 3)."""
        kept = [v for each in [self] + self._sublayers()
                for v in getattr(each, "_kept_losses", ())]
        return kept + [w.regularizer(w.value) for w in self.trainable_weights
                       if w.regularizer is not None]

    def _sublayers(self):
        """Every layer below this one (sub-layers of sub-layers too), each once."""
        found, seen, todo = [], {id(self)}, list(self._layers())
        while todo:
            layer = todo.pop(0)
            if id(layer) not in seen:
                seen.add(id(layer))
                found.append(layer)
                todo.extend(layer._layers())
        return found

    # ---- engines ---------------------------------------------------------------
    def _preferred_backend(self):
        """Engine for calls on numpy data: the bound one, if any."""
        return self._backend_name

    def _backend(self):
        from keras_bridge import backends
        return backends.get(self._backend_name)

    def bind(self, backend_name, device=None):
        """Give this layer's weights to an engine (once); numpy copies are dropped."""
        if self._backend_name == backend_name:
            return
        with guards.engine_lock:  # another thread may be binding it right now
            self._bind_once(backend_name, device)

    def _bind_once(self, backend_name, device):
        if self._backend_name == backend_name:
            return
        if self._backend_name is not None:
            raise RuntimeError(
                f"Layer {self.name!r} is bound to the {self._backend_name} backend and "
                f"cannot also run on {backend_name}. Use model.to_backend({backend_name!r}) "
                "to get a copy of the model on that engine.")
        from keras_bridge import backends
        backend = backends.get(backend_name)
        self._device = backend.resolve_device(device or context.requested_device())
        backend.bind_layer(self, self._device)
        self._backend_name = backend_name

    # ---- Keras 2 graph properties -------------------------------------------------
    def _node_attr(self, attr):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has never been called and thus has "
                                 f"no defined {attr}.")
        if len(self._inbound_nodes) > 1:
            raise AttributeError(f"Layer {self.name!r} has multiple inbound nodes, so its "
                                 f"{attr} is ambiguous.")
        return getattr(self._inbound_nodes[0], attr)

    @property
    def input(self):
        return self._node_attr("inputs")

    @property
    def output(self):
        return self._node_attr("outputs")

    def _node_shapes(self, attr):
        """The shapes of ``attr`` tensors: of the one node, or shared by every node
        (Keras 2: a shared layer called on same-shaped inputs has one input_shape)."""
        if len(self._inbound_nodes) > 1:
            shapes = [tree.map_structure(lambda t: t.shape, getattr(n, attr))
                      for n in self._inbound_nodes]
            if all(s == shapes[0] for s in shapes):
                return shapes[0]
            what = "input_shape" if attr == "inputs" else "output_shape"
            raise AttributeError(f"Layer {self.name!r} has multiple inbound nodes with "
                                 f"different shapes {shapes}, so its {what} is ambiguous.")
        return tree.map_structure(lambda t: t.shape, self._node_attr(attr))

    @property
    def input_shape(self):
        return self._node_shapes("inputs")

    @property
    def output_shape(self):
        return self._node_shapes("outputs")

    # ---- config ------------------------------------------------------------------
    def get_config(self):
        """Plain values that rebuild this layer with ``from_config``."""
        cfg = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        # Keras 3 writes the policy itself; a quantized or mixed one needs it.
        if self._quantization_mode is not None or (
                self._dtype_policy is not None and self._dtype_policy.is_mixed):
            cfg["dtype"] = _dtype_policies.serialize(self.dtype_policy)
        if self._batch_input_shape is not None:
            cfg["batch_input_shape"] = self._batch_input_shape
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        batch_input_shape = config.pop("batch_input_shape", None)
        if batch_input_shape is not None:
            config["input_shape"] = tuple(batch_input_shape[1:])
            config["batch_size"] = batch_input_shape[0]
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
