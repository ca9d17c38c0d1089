"""``Model``: a functional graph of layers, or a subclass with its own ``call``.

A model is itself a layer, so it can be called on tensors inside another model. It
is bound to its engine on first use (``predict``, ``model(x)``, ``compile``); the
engine's program then owns the weights until ``to_backend`` makes a copy elsewhere.
"""

import copy
import inspect
import re
import warnings

import numpy as np

from keras_bridge import backends
from keras_bridge import config, guards
from keras_bridge.distribution import runtime as distribution_runtime
from keras_bridge.layers.base import Layer
from keras_bridge.layers.embedding import check_index_inputs
from keras_bridge.layers.preprocessing import host_stage
from keras_bridge.training import batches as batch_sources
from keras_bridge.training import data
from keras_bridge.training.data import expand_rank_1
from keras_bridge.training.trainer import Trainer, check_verbose
from keras_bridge.graph import KerasTensor, topological_nodes
from keras_bridge.models.native_module import TorchModuleMethods
from keras_bridge.models import quick_predict
from keras_bridge.models.plan import ExecutionPlan
from keras_bridge.utils import tree


class Model(TorchModuleMethods, Trainer, Layer):
    """Groups layers into an object with inference (and, once compiled, training).

    Functional use: ``Model(inputs, outputs)`` where ``inputs`` are ``Input`` tensors
    and ``outputs`` tensors computed from them, each given as a tensor, a list or a
    dict keyed by name. Subclass use: define layers in ``__init__`` and the forward
    pass in ``call(inputs, training=None)``.

    Example:
        inputs = Input(shape=(784,))
        outputs = Dense(10, activation="softmax")(Dense(64)(inputs))
        model = Model(inputs, outputs)
    """

    _quick_predict = None  # quick_predict.make's, once a predict call allows it
    _quick_refused = None  # the program whose graph quick_predict refused

    def __new__(cls, *args, **kwargs):
        # Keras 3's automatic config of a subclassed model: its constructor arguments,
        # when they are all plain values (get_config of a subclass without its own).
        obj = super().__new__(cls)
        if cls.__init__ is not Model.__init__:
            vars(obj)["_auto_config"] = auto_config(cls, args, kwargs)
        return obj

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        if "input" in kwargs or "output" in kwargs:
            warnings.warn("Model(input=..., output=...) is deprecated; use "
                          "Model(inputs=..., outputs=...).", DeprecationWarning, stacklevel=2)
            inputs = kwargs.pop("input", inputs)
            outputs = kwargs.pop("output", outputs)
        trainable = kwargs.pop("trainable", True)
        dtype = kwargs.pop("dtype", None)  # in a subclassed model's config (Keras 3)
        if kwargs:
            raise TypeError(f"Model() got unexpected arguments {sorted(kwargs)}")
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        self._functional = False
        self._execution_plan = self._executor = None
        self._program = None
        self._loss_tensors = []  # symbolic losses given to add_loss
        self._target_backend = None  # None: the default backend when first used
        self.output_names = ["output_1"]  # a subclass's single output, as Keras names it
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("A functional Model needs both inputs= and outputs=.")
            self._init_graph(inputs, outputs)

    # ---- functional graph ---------------------------------------------------------
    def _init_graph(self, inputs, outputs):
        for t in tree.flatten(inputs):
            if not isinstance(t, KerasTensor) or not getattr(t.node.layer, "_is_input_layer",
                                                             False):
                raise ValueError(f"Model inputs must be tensors made by Input(). Received: "
                                 f"{t!r}")
        for t in tree.flatten(outputs):
            if not isinstance(t, KerasTensor):
                raise ValueError(f"Model outputs must be symbolic tensors computed from the "
                                 f"inputs. Received: {t!r}")
        self._input_struct = inputs
        self._output_struct = outputs
        self.inputs = tree.flatten(inputs)
        self.outputs = tree.flatten(outputs)
        self._nodes = topological_nodes(self.inputs, self.outputs + self._loss_tensors)
        self._graph_layers = _layers_by_depth(self.inputs, self._nodes)
        self.input_names = list(inputs) if isinstance(inputs, dict) else \
            [t.node.layer.name for t in self.inputs]
        self.output_names = list(outputs) if isinstance(outputs, dict) else \
            _unique_names([t.node.layer.name for t in self.outputs])
        self._functional = True
        self._execution_plan = self._executor = None  # made on first use, from these nodes
        self.built = True

    def add_loss(self, losses):
        """Add a loss to the model's training and test loss.

        A symbolic tensor computed from the model's inputs (Keras 2's
        ``vae.add_loss(K.mean(xent + kl))``) becomes part of the graph: every training and
        test step adds its mean. Eager tensors, as a layer's ``add_loss`` inside ``call``,
        count for the running step only. A model whose only losses are symbolic ones
        compiles with no ``loss`` and trains without targets (``fit(x)``).

        Args:
            losses: a tensor or a list of tensors.
        """
        items = list(losses) if isinstance(losses, (list, tuple)) else [losses]
        symbolic = [t for t in items if isinstance(t, KerasTensor)]
        for item in items:
            if not isinstance(item, KerasTensor):
                super().add_loss(item)
        if not symbolic:
            return
        if not self._functional:
            raise ValueError(f"Model {self.name!r} is not a graph of layers, so a symbolic "
                             f"loss ({symbolic[0].name}) cannot be attached to it; call "
                             "add_loss on tensors inside call() instead.")
        topological_nodes(self.inputs, symbolic)  # a loss from elsewhere fails here
        self._loss_tensors = self._loss_tensors + symbolic
        self._init_graph(self._input_struct, self._output_struct)
        self._program = self._trainer = None  # the engine program is remade on next use
        bound, device = self._backend_name, self._device
        self._backend_name = self._binding = None
        if bound is not None:  # rebind the new graph where the model was
            self.bind(bound, device)

    @property
    def losses(self):
        """The symbolic losses given to ``add_loss``, then the layers' (see
        ``Layer.losses``)."""
        return list(self._loss_tensors) + super().losses

    def _has_own_losses(self):
        """Whether the model may bring a loss of its own, so compile() needs none: symbolic
        add_loss terms, or a call written by the user (the model's or a layer's in it),
        which may add_loss (checked per step)."""
        return bool(self._loss_tensors) or type(self).call is not Model.call or any(
            not type(layer).__module__.startswith("keras_bridge.") for layer in self._sublayers())

    @property
    def input(self):
        """The model's input tensor(s), as given to the constructor (Keras 2)."""
        self._require_graph("input")
        return self._input_struct

    @property
    def output(self):
        self._require_graph("output")
        return self._output_struct

    @property
    def input_shape(self):
        return tree.map_structure(lambda t: t.shape, self.input)

    @property
    def output_shape(self):
        return tree.map_structure(lambda t: t.shape, self.output)

    def _require_graph(self, what):
        if not self._functional:
            raise AttributeError(f"Model {self.name!r} has no {what} yet: it is not built "
                                 "as a graph of layers.")

    @property
    def layers(self):
        if self._functional:
            return list(self._graph_layers)
        return Layer._layers(self)

    def _layers(self):
        return self.layers

    def get_layer(self, name=None, index=None):
        """The layer called ``name``, or at position ``index`` in ``layers``."""
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model "
                                 f"{self.name!r} only has {len(layers)} layers.")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r}. Existing layers are: "
                         f"{[l.name for l in layers]}.")

    @property
    def _uses_masks(self):
        """Whether some layer of the graph makes masks, so they must be carried."""
        return any(l._makes_masks() for l in self.layers if not isinstance(l, Model))

    def _graph_plan(self):
        """The graph's ``ExecutionPlan`` (plan.py), made on first use: every engine
        runs the graph through it."""
        if self._execution_plan is None:
            self._execution_plan = ExecutionPlan(self)
        return self._execution_plan

    def call(self, inputs, training=None):
        """Forward pass. Functional models evaluate their graph; subclasses override."""
        if not self._functional:
            raise NotImplementedError(f"Model subclass {type(self).__name__} must define "
                                      "call(inputs, training=None).")
        if self._executor is None:  # each node through its layer's __call__
            plan = self._graph_plan()
            self._executor = plan.executor(plan.layers, adds_activity_losses=False)
        return tree.pack_like(self._output_struct,
                              self._executor.run(self._flatten_inputs(inputs), training))

    def compute_output_shape(self, input_shape):
        if not self._functional:
            return super().compute_output_shape(input_shape)
        shapes = [t.shape for t in self.outputs]
        return shapes if len(shapes) > 1 else shapes[0]

    def _check_inputs(self, shapes):
        if not self._functional:
            return
        flat = shapes if isinstance(shapes, list) else [shapes]
        if isinstance(flat, list) and flat and isinstance(flat[0], dict):
            flat = [flat[0][k] for k in self.input_names]
        if len(flat) != len(self.inputs):
            raise ValueError(f"Model {self.name!r} expects {len(self.inputs)} input(s) "
                             f"{self.input_names}, but it received {len(flat)} input "
                             f"tensors.")
        encoded = host_stage.encoded_positions(self)  # checked before their encoding
        for i, (name, t, shape) in enumerate(zip(self.input_names, self.inputs, flat)):
            if i not in encoded:
                _check_shape(self.name, name, t.shape, tuple(shape))

    def _flatten_inputs(self, inputs):
        if isinstance(inputs, dict):
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise ValueError(f"Model {self.name!r} is missing input(s) {missing}; it "
                                 f"expects {self.input_names}. Received keys: {list(inputs)}")
            return [inputs[n] for n in self.input_names]
        if isinstance(inputs, (list, tuple)):
            return list(inputs)
        return [inputs]

    # ---- engines ------------------------------------------------------------------
    @property
    def backend_name(self):
        """The engine this model runs on (bound, or the one it will bind to)."""
        return self._backend_name or self._target_backend or config.backend()

    def _preferred_backend(self):
        return self.backend_name

    def _ensure_built(self, sample_inputs):
        """Subclassed and deferred models build on first data; integer inputs of
        Embeddings are checked here, once per call on the host (see embedding.py)."""
        self._build_for(sample_inputs)
        check_index_inputs(self, sample_inputs)

    def _build_for(self, sample_inputs):
        """``_ensure_built`` without the index check, for data already checked (a pass
        over every index of a large dataset is worth doing once per call, not twice)."""
        if not self.built:
            with guards.engine_lock:  # two threads' first calls build it once
                if not self.built:
                    self.build_from_data(sample_inputs)

    def build_from_data(self, inputs):
        shapes = [(None,) + tuple(np.shape(x))[1:] for x in inputs]
        self.build(shapes if len(shapes) > 1 else shapes[0])

    def build(self, input_shape):
        """Subclassed models are built by running ``call`` once on zeros of this shape."""
        if self._functional:
            return
        self._build_input_shape = input_shape
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        zeros = [np.zeros(tuple(1 if d is None else d for d in s), config.floatx())
                 for s in shapes]
        self.built = True
        try:
            self(zeros if len(zeros) > 1 else zeros[0])
        except Exception:
            self.built = False
            raise

    def _get_program(self):
        if self._program is None:
            with guards.engine_lock:  # bound and compiled once, whichever thread is first
                if self._program is None:
                    self.bind(self.backend_name)
                    self._program = distribution_runtime.bind_program(
                        self, backends.get(self._backend_name).compile_program(
                            self, self._device))
        else:
            distribution_runtime.check_model(self)
        return self._program

    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        """Quantize the weights of every layer that can be (Dense, EinsumDense,
        Embedding) to ``mode`` (``"int8"``), as Keras 3's ``Model.quantize``. The model
        must be built. ``filters``: a regex (or list of them) matched against layer
        names, or a callable of the layer, choosing the layers to quantize. Other layers
        with weights are left as they are, with a warning (Keras 3's behaviour). The
        engine program, the train step and the optimizer's state are remade on next
        use (the trainable weights change)."""
        from keras_bridge.layers import quantized
        type_check = kwargs.pop("type_check", True)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to "
                             f"{type(self).__name__}: {kwargs}")
        if filters is not None and not isinstance(filters, (str, list, tuple)) and \
                not callable(filters):
            raise ValueError("The `filters` argument must be a regex string, a list of "
                             f"regex strings, or a callable. Received: {type(filters)}")
        mode = quantized.resolve_mode(mode, config)
        if mode not in quantized.QUANTIZATION_MODES or mode not in quantized.SUPPORTED_MODES:
            quantized.check_quantize_args(self, mode)  # the error for this mode
        if not self.built:
            raise ValueError(f"Cannot quantize model {self.name!r}: it is not built yet. "
                             "Build it (call it on data, or start it with an Input) first.")
        layers = [l for l in _walk_layers(self) if not l._layers() and l is not self]
        chosen = [l for l in layers if _matches(l, filters)]
        bound, device = self._backend_name, self._device
        for layer in _walk_layers(self):
            quantized.unbind(layer)
            if isinstance(layer, Model):
                layer._program = layer._trainer = None
        if self._compiled is not None:
            self._compiled.engine_optimizer = None
            self._compiled.optimizer._binding = None
        for layer in chosen:
            if isinstance(layer, quantized.Quantizable):
                try:
                    layer.quantize(mode, type_check=type_check)
                except NotImplementedError as error:  # a subclass, an ellipsis equation
                    warnings.warn(str(error), stacklevel=2)
            elif layer._own_weights:
                warnings.warn(f"Layer {type(layer).__name__} does not have a `quantize` "
                              "method implemented.", stacklevel=2)
        if bound is not None:
            self.bind(bound, device)

    def to_backend(self, name):
        """A copy of this model on engine ``name``, with the same graph and weights.

        The original stays usable on its own engine. Example:
            jax_model = model.to_backend("jax")
        """
        backend = backends.get(_checked_backend_name(name))
        weights = self.get_weights()
        clone = _clone_unbound(self)
        clone._target_backend = backend.NAME
        clone.set_weights(weights)
        return clone

    def reset_states(self):
        """Reset the carried states of the model's stateful layers (stateful RNNs)."""
        for layer in self.layers:
            if getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
                layer.reset_states()

    reset_state = reset_states

    # ---- inference -------------------------------------------------------------------
    def _standardize(self, x):
        """Flat list of numpy arrays in input order, each checked against its input."""
        if type(x) is np.ndarray and self._functional and len(self.inputs) == 1:
            return self._standardize_one(x)  # the general path's steps for this case
        if x is None:
            raise ValueError(f"Model {self.name!r} received no input data (x is None).")
        flat = self._flatten_inputs(x) if self._functional else \
            (list(x) if isinstance(x, (list, tuple)) else [x])
        arrays = [np.asarray(a) for a in flat]
        if self._functional:
            if len(arrays) != len(self.inputs):
                raise ValueError(
                    f"Model {self.name!r} expects {len(self.inputs)} input(s) "
                    f"{self.input_names}, but it received {len(arrays)} array(s).")
            arrays = [_checked_input(self.name, name, t, a)
                      for name, t, a in zip(self.input_names, self.inputs, arrays)]
        counts = {a.shape[0] if a.ndim else None for a in arrays}
        if len(counts) > 1:
            raise ValueError(f"All inputs of model {self.name!r} must have the same number "
                             f"of samples. Received sizes: {[a.shape[0] for a in arrays]}")
        dtypes = [t.dtype for t in self.inputs] if self._functional else \
            [config.floatx()] * len(arrays)
        arrays = [_cast_input(a, d) for a, d in zip(arrays, dtypes)]
        return host_stage.encode_inputs(self, arrays)  # strings to indices, on the host

    def _standardize_one(self, array):
        """``_standardize`` of one array for a one-input functional model (predict's
        one-sample latency is mostly such per-call steps)."""
        t = self.inputs[0]
        array = _checked_input(self.name, self.input_names[0], t, array)
        return host_stage.encode_inputs(self, [_cast_input(array, t.dtype)])

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
        """Outputs for ``x`` as numpy arrays, computed in batches of ``batch_size``
        (default 32); ``verbose=1`` shows a progress bar (Keras 2's default is 0). ``x``
        may be a Sequence, generator or iterable of batches (``x``, or tuples whose first
        element is ``x``), ``steps`` of them. ``callbacks`` get the predict hooks, each
        batch's end with ``logs={"outputs": ...}`` as in Keras 3."""
        quick = self._quick_predict
        if quick is not None and type(x) is np.ndarray and not verbose \
                and batch_size is None and steps is None and callbacks is None:
            outputs = quick(self, x, 32)
            if outputs is not None:
                return outputs
        return self._predict(x, batch_size, verbose, steps, callbacks)

    @guards.handles_interrupts
    def _predict(self, x, batch_size, verbose, steps, callbacks):
        verbose = check_verbose(verbose) if distribution_runtime.is_chief(self) else 0
        if batch_sources.is_source(x):
            if batch_size is not None and not batch_sources.sizes_its_own_batches(x):
                raise ValueError("predict(): batch_size must not be given when x is a "
                                 "Sequence, generator or dataset of batches.")
            source = batch_sources.BatchSource(x, self, steps, targets="ignored",
                                               what="predict")
            self._ensure_built(source.first()[0])
            batches = ((xs, None) for xs, _, _, _ in source.epoch())
            outputs = self._predict_batches(batches, source.target, source.steps, verbose,
                                            callbacks)
            if source.ran_out:
                source.warn_ran_out()
            return outputs
        arrays = self._standardize(x)
        batch_size = data.check_batch_size(batch_size)
        n = arrays[0].shape[0]
        if n == 0:
            raise ValueError(f"Model {self.name!r} received empty input data (0 samples).")
        self._ensure_built(arrays)
        if n <= batch_size and not verbose and not callbacks:
            return self._predict_one(arrays)  # one batch, no bar or hooks to run: no loop
        batches = (([a[i:i + batch_size] for a in arrays], min(i + batch_size, n))
                   for i in range(0, n, batch_size))
        return self._predict_batches(batches, n, -(-n // batch_size), verbose, callbacks)

    def _predict_batches(self, batches, target, steps, verbose, callbacks):
        """Run the predictor over ``(inputs, samples seen or None)`` pairs with the bar and
        the callbacks' predict hooks; the outputs concatenated and packed."""
        from keras_bridge.callbacks.base import CallbackList
        from keras_bridge.training.progbar import Progbar
        program = self._predictor()
        cbs = CallbackList(callbacks, self, {"steps": steps, "verbose": verbose})
        batch_logs = cbs.wants("on_predict_batch_end")
        bar = Progbar(target, verbose=verbose) if verbose else None
        from keras_bridge.training import execution
        n = self._execution().steps_per_execution
        parts = []
        step = -1
        cbs.on_predict_begin()
        for begin, step, group in execution.groups(batches, n):
            cbs.on_predict_batch_begin(begin)
            with guards.uninterrupted():  # a stateful layer's carry is committed whole
                parts.append(execution.predict(program, [xs for xs, _ in group], n))
            if batch_logs:
                cbs.on_predict_batch_end(step, {"outputs": self._pack_outputs(parts[-1],
                                                                              program)})
            if bar is not None:
                seen = group[-1][1]
                bar.update(step + 1 if seen is None else seen, steps=step + 1)
        if not parts:
            raise ValueError("predict(): the input yielded no batches.")
        if bar is not None and target is None:
            bar.update(step + 1, finalize=True, steps=step + 1)
        cbs.on_predict_end()
        outputs = parts[0] if len(parts) == 1 else \
            [np.concatenate(p, axis=0) for p in zip(*parts)]
        return self._pack_outputs(outputs, program)

    def _predictor(self):
        """The engine program, or an overridden ``predict_step`` run per batch."""
        program = self._get_program()
        if type(self).predict_step is Model.predict_step:
            program.set_jit(self._execution().jit(self.backend_name))
            return program
        from keras_bridge.training.custom_steps import PredictSteps
        return PredictSteps(self, program)

    def predict_on_batch(self, x):
        """Outputs for one batch ``x`` as numpy arrays."""
        quick = self._quick_predict
        if quick is not None and type(x) is np.ndarray:
            outputs = quick(self, x, np.inf)
            if outputs is not None:
                return outputs
        arrays = self._standardize(x)
        self._ensure_built(arrays)
        return self._predict_one(arrays)

    def _predict_one(self, arrays):
        """Outputs for one batch of standardized input arrays (what ``predict`` of data
        that fits one batch with no callbacks and no bar shares with
        ``predict_on_batch``: one-sample latency is this path)."""
        program = self._predictor()
        with guards.uninterrupted():
            outputs = program.predict_batch(arrays)
        if len(arrays) == 1:  # later calls like this one may take the short path
            self._quick_predict = quick_predict.make(self, program, arrays[0])
        return self._pack_outputs(outputs, program)

    def _pack_outputs(self, outputs, program=None):
        if program is not None and hasattr(program, "pack"):  # an overridden predict_step
            return program.pack(outputs)
        if self._functional:
            return tree.pack_like(self._output_struct, outputs)
        return outputs if len(outputs) > 1 else outputs[0]

    def __call__(self, inputs, *args, **kwargs):
        symbolic = any(isinstance(t, KerasTensor) for t in tree.flatten(inputs))
        if not self.built and not symbolic:
            self.built = True  # a subclass builds its layers while running call
            if self._build_input_shape is None:
                self._build_input_shape = tree.map_structure(
                    lambda t: (None,) + tuple(np.shape(t))[1:], inputs)
        if not symbolic and host_stage.has_host_stage(self):
            inputs = host_stage.encode_inputs(self, self._flatten_inputs(inputs))
        return super().__call__(inputs, *args, **kwargs)

    # ---- description ----------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None,
                show_trainable=False):
        """Print Keras's table of layers, output shapes and parameter counts
        (``show_trainable=True``: and whether each layer is trainable)."""
        from keras_bridge.models.summary import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      show_trainable=show_trainable)

    def count_params(self):
        if not self.built:
            raise ValueError(f"Model {self.name!r} is not built yet, so its weights do not "
                             "exist. Call it on data, or call build(input_shape), first.")
        return super().count_params()

    # ---- saving: thin methods; keras_bridge.saving (above models) does the work ---------
    def save(self, filepath, overwrite=True, include_optimizer=True, **kwargs):
        """Save the model to a ``.keras`` archive: architecture, weights and, when
        compiled, the training configuration and optimizer state.

        Args:
            filepath: Path ending in ``.keras``.
            overwrite: If False, an existing file is an error.
            include_optimizer: Whether to save the compile configuration and optimizer
                state (Keras 2's argument).
            **kwargs: ``save_format='keras'`` is accepted; other formats are errors.

        Example:
            model.save("my_model.keras")
            restored = keras_bridge.models.load_model("my_model.keras")
        """
        from keras_bridge.saving import model_methods
        model_methods.save(self, filepath, overwrite, include_optimizer, **kwargs)

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None,
               **kwargs):
        """Write the model's inference function to ``filepath``, runnable without the
        model's code, with the batch axis (every axis the model leaves None) dynamic.

        Args:
            filepath: The file to write.
            format: ``"onnx"`` or ``"torch"`` (a ``.pt2`` ExportedProgram) on the torch
                engine, ``"stablehlo"`` on JAX (see ``keras_bridge.export``). Keras 3's
                default ``"tf_saved_model"`` (and ``"openvino"``, ``"litert"``) needs a
                runtime keras_bridge does not run, so it raises naming the formats above.
            verbose: Print where the file went; None means True, as in Keras.
            input_signature: Shapes and dtypes to export for (InputSpecs, KerasTensors or
                arrays, one per input); by default the model's inputs.
            **kwargs: ``opset_version`` for ``"onnx"``.

        ``keras_bridge.export.load_exported(filepath)`` reads any of them back as a
        function of numpy arrays.
        """
        from keras_bridge.export import export_model
        return export_model(self, filepath, format=format, verbose=verbose,
                            input_signature=input_signature, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Write the weights (Keras layout, any engine) to a ``.weights.npz`` file.

        Example:
            model.save_weights("ckpt.weights.npz")
        """
        from keras_bridge.saving import model_methods
        model_methods.save_weights(self, filepath, overwrite)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False):
        """Load weights saved by ``save_weights`` (or from a ``.keras`` archive).

        Weights match by structure: layer order and weight order, as Keras 3. The whole
        file is checked first; a missing weight, a wrong shape or another architecture
        is an error naming the layer and both shapes, and no weight changes.

        Args:
            filepath: A ``.weights.npz`` or ``.keras`` path.
            skip_mismatch: Skip (with a warning) layers whose weights do not match,
                instead of raising.
            by_name: Keras 2's matching by layer name: layers whose name is in the file
                are loaded, the others are left as they are.
        """
        from keras_bridge.saving import model_methods
        model_methods.load_weights(self, filepath, skip_mismatch, by_name)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (``json.dumps`` keyword arguments such as
        ``indent=2`` are passed on); ``model_from_json`` rebuilds it."""
        from keras_bridge.saving import model_methods
        return model_methods.to_json(self, **kwargs)

    def to_yaml(self, **kwargs):
        """Removed (tf.keras 2.6+, Keras 3): raises, pointing at ``to_json``."""
        from keras_bridge.saving import model_methods
        model_methods.to_yaml()

    def get_config(self):
        """The architecture as plain values: a Sequential's layer configs, or a
        functional model's ``layers`` / ``input_layers`` / ``output_layers``."""
        from keras_bridge.saving import model_methods
        return model_methods.get_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new model of this class from ``get_config``'s output."""
        from keras_bridge.saving import model_methods
        return model_methods.from_config(cls, config, custom_objects)

    def get_build_config(self):
        """Keras 3's build config: a subclassed model's input shape once built; a
        functional model builds from its config, so its input shape is None."""
        if self._functional:
            return {"input_shape": None}
        return super().get_build_config()

    def build_from_config(self, config):
        """Build a subclassed (or deferred Sequential) model from ``get_build_config``'s
        output, so its weights exist before they load."""
        shape = (config or {}).get("input_shape")
        if shape is not None and not self.built:
            from keras_bridge.layers.base import shape_from_json
            self.build(shape_from_json(shape))

    def get_compile_config(self):
        """The arguments ``compile`` was called with, serialized as Keras 3 saves them
        in ``compile_config`` ({} when not compiled)."""
        from keras_bridge.saving import model_methods
        return model_methods.get_compile_config(self)

    def compile_from_config(self, config):
        """``compile`` with ``get_compile_config``'s output (custom objects come from the
        active ``custom_object_scope``). A subclass that overrides ``compile`` is left
        uncompiled with a warning, as in Keras 3."""
        from keras_bridge.saving import model_methods
        model_methods.compile_from_config(self, config)

    def _saved_entry(self):
        """(class name, config) of this model's saved entry (the layer codec's hook):
        a plain ``Model`` is saved as Keras's ``Functional``."""
        name = "Functional" if type(self) is Model else type(self).__name__
        return name, self.get_config()

    @classmethod
    def _from_saved_entry(cls, config, custom_objects, safe_mode):
        """A model of this class from its saved entry's config (the layer codec's hook)."""
        from keras_bridge.saving import model_methods
        return model_methods.from_saved_entry(cls, config, custom_objects, safe_mode)

def _layers_by_depth(inputs, nodes):
    """Layers ordered as Keras orders them: deepest (nearest the inputs) first, ties in
    graph order. A node's depth is its longest path to an output."""
    depth = {}
    for node in reversed(nodes):  # consumers come before producers here
        d = depth.setdefault(id(node), 0)
        for parent in node.parent_nodes:
            depth[id(parent)] = max(depth.get(id(parent), 0), d + 1)
    layer_depth, order = {}, []
    for t in inputs:
        layer = t.node.layer
        d = depth.get(id(t.node), 0)
        if id(layer) not in layer_depth:
            order.append(layer)
        layer_depth[id(layer)] = max(layer_depth.get(id(layer), -1), d)
    for node in nodes:
        if id(node.layer) not in layer_depth:
            order.append(node.layer)
        layer_depth[id(node.layer)] = max(layer_depth.get(id(node.layer), -1),
                                          depth[id(node)])
    input_depth = max(layer_depth.values()) + 1
    for t in inputs:
        layer_depth[id(t.node.layer)] = input_depth
    position = {id(l): i for i, l in enumerate(order)}
    return sorted(order, key=lambda l: (-layer_depth[id(l)], position[id(l)]))


def _unique_names(names):
    """Output names, one per output: an output layer that gives several outputs (a
    nested model, an RNN's states) names the first, then ``name_1``, ``name_2``, ... as
    tf.keras 2 does (Keras 2.2 left the names repeated, so its per-output loss names
    repeated too)."""
    taken, counts, out = set(), {}, []
    for name in names:
        proposal = name
        while proposal in taken:
            counts[name] = counts.get(name, 0) + 1
            proposal = f"{name}_{counts[name]}"
        taken.add(proposal)
        out.append(proposal)
    return out


def _checked_backend_name(name):
    if name not in backends.names():
        raise ValueError(f"Expected one of {set(backends.names())}. Received: "
                         f"backend={name!r}.")
    return name


def _checked_input(model_name, input_name, t, a):
    """Array ``a`` for the model input ``t`` (a KerasTensor): rank 1 data expanded as
    Keras does, then its shape checked."""
    a = expand_rank_1(a, t.shape)
    _check_shape(model_name, input_name, t.shape, a.shape)
    return a


def _cast_input(a, dtype):
    """Input ``a`` in its model input's ``dtype`` where either is floating (integers
    given to an integer input, strings, and a "string" input stay as they are)."""
    if a.dtype == dtype:
        return a
    if dtype == "string" or not (np.issubdtype(a.dtype, np.floating)
                                 or np.issubdtype(np.dtype(dtype), np.floating)):
        return a
    return a.astype(dtype, copy=False)


def _check_shape(model_name, input_name, expected, received):
    ok = len(expected) == len(received) and (expected[1:] == received[1:] or all(
        e is None or e == r for e, r in zip(expected[1:], received[1:])))
    if not ok:
        raise ValueError(f"Input {input_name!r} of model {model_name!r} is incompatible: "
                         f"expected shape {tuple(expected)}, received shape {tuple(received)}.")


def _clone_unbound(model):
    """Deep copy of the front-end objects with no engine state; weights (and metric
    state) stay numpy. A compiled model's clone gets an unbound copy of its optimizer,
    which takes over the original's state when it is bound."""
    layers = _walk_layers(model)
    compiled = model._compiled
    weights = [w for l in layers for w in l._own_weights]
    engine_state = []  # engine objects the copy must not share
    for layer in layers:
        engine_state.append(layer._binding)
        if isinstance(layer, Model):
            engine_state += [layer._program, layer._native_view,
                             getattr(layer, "_quick_refused", None)]
    if compiled is not None:
        weights += compiled.metrics.variables()
        engine_state += [model._trainer, compiled.engine_optimizer,
                         getattr(compiled.optimizer, "_binding", None)]
    bound = getattr(compiled.optimizer, "_binding", None) if compiled is not None else None
    state = None if bound is None else \
        (bound.weights, {k: np.array(v) for k, v in bound.state_dict().items()})
    memo = {id(obj): None for obj in engine_state if obj is not None}
    memo.update({id(w.slot): None for w in weights if w.slot is not None})
    with _numpy_weights(weights):
        clone = copy.deepcopy(model, memo)
    for layer in _walk_layers(clone):
        layer._backend_name = None
        layer._device = None
        layer._binding = None
        if isinstance(layer, Model):
            layer._program = None
            layer._trainer = None
            layer._quick_predict = layer._quick_refused = None
    if clone._compiled is not None:
        clone._compiled.engine_optimizer = None
        clone._compiled.optimizer._binding = None
        for metric in clone._compiled.metrics.all_metrics():
            metric._backend_name = None
        if state is not None:  # a restored state not yet bound is copied with its optimizer
            weights, arrays = state
            clone._compiled.optimizer.restore_state(
                [memo.get(id(w)) for w in weights], arrays, where=f"model {model.name!r}")
    return clone


def _matches(layer, filters):
    if filters is None:
        return True
    if callable(filters):
        return bool(filters(layer))
    patterns = [filters] if isinstance(filters, str) else list(filters)
    return any(re.search(p, layer.name) for p in patterns)


def _walk_layers(root):
    seen, stack, out = set(), [root], []
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        out.append(layer)
        stack.extend(layer._layers())
    return out


class _numpy_weights:
    """While copying, give bound weights a numpy value so the copy carries them."""

    def __init__(self, weights):
        self.weights = weights

    def __enter__(self):
        self.saved = [(w, w.slot, w.unbound_numpy()) for w in self.weights]
        for w, slot, _ in self.saved:
            if slot is not None:
                w._numpy = slot.read_numpy()
                w.slot = None

    def __exit__(self, *exc):
        for w, slot, value in self.saved:
            if slot is not None:
                w.slot = slot
                w._numpy = value


_PLAIN = (str, int, float, bool, type(None))


def auto_config(cls, args, kwargs):
    """``cls(*args, **kwargs)``'s arguments by name (defaults filled in, ``name`` left
    to get_config), or None when one is not a plain value or cannot be named."""
    try:
        signature = inspect.signature(cls.__init__)
        bound = signature.bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return None
    bound.apply_defaults()
    out = {}
    for name, value in list(bound.arguments.items())[1:]:
        kind = signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            if value:
                return None
        elif kind is inspect.Parameter.VAR_KEYWORD:
            out.update(value)
        elif kind is inspect.Parameter.POSITIONAL_ONLY:
            return None
        else:
            out[name] = value
    out.pop("name", None)
    try:
        plain = all(isinstance(v, _PLAIN) for v in tree.flatten(out))
    except TypeError:
        return None
    return out if plain else None
