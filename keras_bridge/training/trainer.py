"""compile / fit / evaluate / train_on_batch / test_on_batch, for every engine.

The loop (epochs, batches, shuffling, validation, callbacks, History, progress bar) is
here and engine-neutral, and so is what one batch computes (``training/step.py``'s
``StepPolicy``); the engine only differentiates and applies it (``make_trainer`` in a
backend's ``training.py``). Loss and metric values stay on the engine in metric
weights and are read back only when the progress bar draws or an epoch ends.
"""

import warnings

import numpy as np

from keras_bridge import backends, config, guards
from keras_bridge import optimizers as optimizers_module
from keras_bridge import seeding as kb_random
from keras_bridge.callbacks import CallbackList, History
from keras_bridge.distribution import runtime as distribution_runtime
from keras_bridge.training import batches, data, execution
from keras_bridge.training.compile_utils import CompiledLoss, CompiledMetrics
from keras_bridge.training.custom_steps import CustomSteps, check_supported, \
    uses_custom_steps
from keras_bridge.training.progbar import Progbar
from keras_bridge.training.step import StepPolicy
from keras_bridge.training.step_methods import StepMethods, overridden


_UNCOMPILED = execution.Execution()  # how an uncompiled model predicts (never changed)


class Compiled:
    """What ``compile`` chose: optimizer, loss and metrics for one model."""

    def __init__(self, optimizer, loss, metrics, execution):
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.execution = execution  # steps_per_execution, jit_compile, run_eagerly
        self.engine_optimizer = None  # the engine's optimizer, once bound


def check_verbose(verbose, default=1):
    if verbose == "auto":
        return default
    if verbose not in (0, 1, 2):
        raise ValueError(f"Expected verbose to be 0, 1, 2 or 'auto'. Received: "
                         f"verbose={verbose!r}")
    return verbose


class Trainer(StepMethods):
    """Training methods mixed into ``Model`` (Keras 3's overridable steps: StepMethods)."""

    _compiled = None
    _trainer = None
    _trainer_program = None  # the program the trainer was made for, and its weights
    _trainer_weights = None

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, steps_per_execution=1, jit_compile="auto",
                run_eagerly=False, auto_scale_loss=True, **kwargs):
        """Configure training.

        Args:
            optimizer: name ('sgd', 'adam', ...) or optimizer instance.
            loss: name, function ``(y_true, y_pred)``, ``Loss`` instance, or a list / dict
                keyed by output name for several outputs.
            metrics: list of names, functions or metric instances (applied to every
                output), or a dict keyed by output name, or a list of lists; they
                ignore ``sample_weight`` / ``class_weight``.
            loss_weights: list or dict of per-output weights of the total loss.
            weighted_metrics: as ``metrics``, weighted by ``sample_weight`` /
                ``class_weight``.
            steps_per_execution: batches handed to the engine per call (JAX: one
                jitted ``lax.scan`` over them; torch: that many steps between host
                reads); batch-level callbacks run once per execution.
            jit_compile: True, False or "auto" (JAX jits, torch stays eager); True on
                torch compiles the steps with ``torch.compile``.
            run_eagerly: run every step uncompiled (debugging); wins over jit_compile.
            auto_scale_loss: with the model's dtype policy ``mixed_float16``, wrap the
                optimizer in a ``LossScaleOptimizer`` (dynamic loss scaling), as Keras 3.
        """
        if "sample_weight_mode" in kwargs:
            raise TypeError("compile() argument 'sample_weight_mode' is not supported by "
                            "keras_bridge.")
        if kwargs:
            raise TypeError(f"compile() got unexpected arguments {sorted(kwargs)}.")
        if not self.built or not getattr(self, "_functional", False):
            output_names = getattr(self, "output_names", None) or ["output_1"]
        else:
            output_names = self.output_names
        opt = optimizers_module.get(optimizer)
        if auto_scale_loss and getattr(self.dtype_policy, "name", None) == "mixed_float16" \
                and not isinstance(opt, optimizers_module.LossScaleOptimizer):
            opt = optimizers_module.LossScaleOptimizer(opt, name="loss_scale_optimizer")
        # An overridden train_step or test_step may compute its own loss (Keras 3's
        # guides compile with an optimizer only).
        own_losses = getattr(self, "_has_own_losses", lambda: False)() or \
            overridden(self, "train_step") or overridden(self, "test_step")
        compiled_loss = CompiledLoss(loss, loss_weights, output_names, own_losses)
        compiled_metrics = CompiledMetrics(metrics, output_names, compiled_loss,
                                           weighted_metrics)
        run = execution.Execution(steps_per_execution, jit_compile, run_eagerly)
        self._compiled = Compiled(opt, compiled_loss, compiled_metrics, run)
        self._trainer = None

    # Keras 3's attributes; setting one after compile takes effect at the next step.
    @property
    def steps_per_execution(self):
        return self._execution().steps_per_execution

    @steps_per_execution.setter
    def steps_per_execution(self, value):
        self._set_execution(steps_per_execution=value)

    @property
    def run_eagerly(self):
        return self._execution().run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._set_execution(run_eagerly=value)

    @property
    def jit_compile(self):
        """Whether this model's engine compiles its steps (compile's "auto" resolved)."""
        return self._execution().jit(self.backend_name)

    @jit_compile.setter
    def jit_compile(self, value):
        self._set_execution(jit_compile=value)

    def _execution(self):
        return self._compiled.execution if self._compiled else _UNCOMPILED

    def _set_execution(self, **change):
        self._require_compiled("setting how it executes")
        run = self._compiled.execution
        given = {"steps_per_execution": run.steps_per_execution,
                 "jit_compile": run.jit_compile, "run_eagerly": run.run_eagerly, **change}
        self._compiled.execution = execution.Execution(**given)
        self._trainer = None  # made again for the new choice (weights kept)

    @property
    def optimizer(self):
        return self._compiled.optimizer if self._compiled else None

    @property
    def metrics_names(self):
        """Names of the values ``evaluate`` returns, in order (Keras 2's names)."""
        if self._compiled is None:
            return []
        return self._compiled.metrics.names

    def _require_compiled(self, what):
        if self._compiled is None:
            raise RuntimeError(f"You must compile your model before {what}. Call "
                               f"model.compile(optimizer, loss).")

    def _get_trainer(self, xs, ys):
        """The engine's train/test steps, made on first use (and after a trainable flag
        changes, as Keras requires a recompile for), under the engine lock: two
        threads may fit a fresh model together. ``xs`` come checked
        (``data.standardize``)."""
        self._build_for(xs)
        with guards.engine_lock:
            if self._compiled.loss.output_names != list(self.output_names):
                self._compiled = _recompile_for(self._compiled, self.output_names)
            program = self._get_program()
            # Layer flags too: a frozen BatchNormalization changes its call, not its
            # weights. The weight list is the program's while the program stands (a
            # change of layers makes a new program): walking the layers for it costs
            # more than the rest of a short fit's setup.
            weights = self._trainer_weights if program is self._trainer_program \
                else self.weights
            flags = (tuple(w.trainable for w in weights),
                     tuple(w.owner.trainable for w in weights if w.owner is not None))
            if self._trainer is not None and self._trainer_flags == flags:
                return self._trainer
            check_supported(self)  # before anything is bound: an override we cannot run
            compiled = self._compiled
            preds = [tuple(t.shape) for t in self.outputs] \
                if getattr(self, "_functional", False) else _call_output_shapes(self, xs, ys)
            compiled.metrics.build([a.shape for a in ys], preds)
            for metric in compiled.metrics.all_metrics():
                metric.bind(self._backend_name, self._device)
            compiled.engine_optimizer = compiled.optimizer.bind(self._backend_name,
                                                                self.trainable_weights)
            backend = backends.get(self._backend_name)
            self._trainer = backend.make_trainer(
                program, StepPolicy(self, compiled, compiled.execution.jit(self._backend_name)))
            self._trainer = distribution_runtime.wrap_trainer(self, self._trainer)
            if uses_custom_steps(self):
                self._trainer = CustomSteps(self, self._trainer, program)
            self._trainer_flags = flags
            self._trainer_program, self._trainer_weights = program, weights
            return self._trainer

    def _log_source(self, trainer):
        """What the loop resets and reads the logs from: the compiled metrics, or the
        overridden steps' logs (``CustomSteps``)."""
        return trainer if isinstance(trainer, CustomSteps) else self._compiled.metrics

    def _warn_if_frozen(self, what):
        """After ``_get_trainer``: its trainable flags say whether anything trains."""
        if not any(self._trainer_flags[0]):
            warnings.warn(f"Model {self.name!r} has no trainable weights: {what}() reports "
                          f"the loss and metrics but changes nothing.", UserWarning,
                          stacklevel=3)

    @guards.handles_interrupts
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0,
            sample_weight=None, steps_per_epoch=None, validation_steps=None, class_weight=None,
            **kwargs):
        """Train for ``epochs`` passes over the data; returns a ``History``.

        ``x`` is arrays (with ``y``), or a ``keras_bridge.utils.Sequence``, generator or
        iterable of batches ``(x, y[, sample_weight])`` (then ``steps_per_epoch``
        batches per epoch: default a Sequence's ``len()``, else until it is exhausted).
        ``validation_data`` likewise, with ``validation_steps``. ``class_weight``
        (``{class id: weight}``, single-output models) weighs each training sample by
        its target's class instead of ``sample_weight``.
        """
        if "nb_epoch" in kwargs:
            warnings.warn("fit(nb_epoch=...) is deprecated; use fit(epochs=...).",
                          DeprecationWarning, stacklevel=2)
            epochs = kwargs.pop("nb_epoch")
        if kwargs:
            raise TypeError(f"fit() got unexpected arguments {sorted(kwargs)}.")
        self._require_compiled("training it")
        verbose = check_verbose(verbose)
        if class_weight is not None:
            class_weight = data.class_weights(class_weight)
            if sample_weight is not None:
                raise ValueError("fit(): class_weight and sample_weight cannot be used "
                                 "together; fold the class weights into sample_weight.")
        if batches.is_source(x):
            _refuse_with_source("fit", x, y=y, batch_size=batch_size,
                                sample_weight=sample_weight,
                                validation_split=validation_split or None)
            batches.warn_if_shuffle_ignored(x, shuffle)
            train = batches.BatchSource(x, self, steps_per_epoch, shuffle, self._targets(),
                                        what="fit", class_weight=class_weight)
        else:
            train = self._array_batches(x, y, sample_weight, batch_size, shuffle, "fit")
        val = None
        if validation_data is not None:
            val = self._validation_batches(validation_data, validation_steps,
                                           data.check_batch_size(batch_size))
        elif validation_split:
            val, train = self._split_for_validation(train, validation_split)
        if class_weight is not None and train.counts_samples:  # training samples only
            train.sample_weight = data.class_weight_to_sample_weight(train.ys, class_weight)
        trainer = self._get_trainer(*train.first())
        self._warn_if_frozen("fit")
        if train.counts_samples:
            distribution_runtime.check_batches(self, train.batch_size, train.n)
        if not distribution_runtime.is_chief(self):
            verbose = 0  # one process prints
        history = History()
        cbs = CallbackList(list(callbacks or []) + [history], self,
                           {"epochs": epochs, "steps": train.steps, "verbose": verbose})
        batch_logs = cbs.wants("on_train_batch_end")  # read values only for a user
        metrics = self._log_source(trainer)
        n = self._compiled.execution.steps_per_execution
        run = execution.runner(trainer, "train", n)
        rng = distribution_runtime.sync_generator(self, kb_random.generator())
        self.stop_training = False
        cbs.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            metrics.reset()
            cbs.on_epoch_begin(epoch)
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}")
            bar = Progbar(train.target, verbose=verbose) if verbose else None
            seen = step = 0
            for begin, step, group in execution.groups(train.epoch(rng, n), n):
                cbs.on_train_batch_begin(begin)
                with guards.uninterrupted():
                    run(group)
                seen += sum(b[3] for b in group)
                cbs.on_train_batch_end(step, metrics.results() if batch_logs else None)
                if bar is not None and (train.target is None or seen < train.target) \
                        and bar.wants_values(seen):
                    bar.update(seen, metrics.results(), steps=step + 1)
                if self.stop_training:
                    break
            if train.ran_out:
                train.warn_ran_out()
                self.stop_training = True
                if seen == 0:
                    break
            train.end_epoch()
            logs = metrics.results()
            if val is not None:
                val_logs = self._evaluate_batches(val, callbacks=cbs)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            if bar is not None:
                bar.update(seen, logs, finalize=True, steps=step + 1)
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cbs.on_train_end()
        return history

    def _array_batches(self, x, y, sample_weight, batch_size, shuffle, what):
        batch_size = data.check_batch_size(batch_size)
        return batches.ArrayBatches(*self._standardize_data(x, y, sample_weight, what),
                                    batch_size, shuffle)

    def _targets(self):
        """Whether batches from a source must hold targets (see batches.BatchSource)."""
        return "required" if self._compiled.loss.needs_targets else "optional"

    def _standardize_data(self, x, y, sample_weight, what):
        """``data.standardize``; with no ``y``, an empty target list when the compiled
        loss needs none (a model trained on its own ``add_loss`` losses)."""
        if y is None and self._compiled.loss.needs_targets:
            raise ValueError(f"{what}() needs targets y for the model's outputs.")
        xs, ys, sw = data.standardize(self, x, y, sample_weight)
        return xs, [] if ys is None else ys, sw

    def _split_for_validation(self, train, validation_split):
        """(validation batches, training batches): the last ``validation_split`` of the
        arrays is held out, before any shuffling (Keras's rule)."""
        if not 0 < validation_split < 1:
            raise ValueError(f"validation_split must be in [0, 1). Received: "
                             f"{validation_split}")
        n = train.n
        at = int(n * (1 - validation_split))
        if at == 0 or at == n:
            raise ValueError(f"validation_split={validation_split} leaves no samples for "
                             f"training or for validation ({n} samples).")
        (xs, ys, sw), (vx, vy, vsw) = data.split([train.xs, train.ys, train.sample_weight], at)
        return (batches.ArrayBatches(vx, vy, vsw, train.batch_size, False),
                batches.ArrayBatches(xs, ys, sw, train.batch_size, train.shuffle))

    def _validation_batches(self, validation_data, steps, batch_size):
        if batches.is_source(validation_data):
            return batches.BatchSource(validation_data, self, steps, targets=self._targets(),
                                       what="fit (validation)")
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) or "
                             "(x_val, y_val, val_sample_weight), or a Sequence or generator "
                             "of such batches.")
        vx, vy, vsw = (tuple(validation_data) + (None,))[:3]
        return batches.ArrayBatches(*self._standardize_data(vx, vy, vsw, "fit (validation)"),
                                    batch_size, False)

    def _evaluate_batches(self, source, bar=None, callbacks=None):
        trainer = self._get_trainer(*source.first())
        metrics = self._log_source(trainer)
        metrics.reset()
        cbs = callbacks or CallbackList([], self, {})
        batch_logs = cbs.wants("on_test_batch_end")
        cbs.on_test_begin()
        n = self._compiled.execution.steps_per_execution
        run = execution.runner(trainer, "test", n)
        seen = step = 0
        for begin, step, group in execution.groups(source.epoch(), n):
            cbs.on_test_batch_begin(begin)
            with guards.uninterrupted():
                run(group)
            cbs.on_test_batch_end(step, metrics.results() if batch_logs else None)
            seen += sum(b[3] for b in group)
            if bar is not None and (source.target is None or seen < source.target) \
                    and bar.wants_values(seen):
                bar.update(seen, metrics.results(), steps=step + 1)
        if source.ran_out:
            source.warn_ran_out()
        logs = metrics.results()
        cbs.on_test_end(logs)
        if bar is not None:
            bar.update(seen, logs, finalize=True, steps=step + 1)
        return logs

    @guards.handles_interrupts
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Loss (and metrics) on the data: a scalar when there are no metrics, else a list
        ordered as ``metrics_names``; a dict with ``return_dict=True``. ``x`` may be a
        Sequence, generator or iterable of batches (``steps`` of them)."""
        self._require_compiled("evaluating it")
        verbose = check_verbose(verbose)
        if batches.is_source(x):
            _refuse_with_source("evaluate", x, y=y, batch_size=batch_size,
                                sample_weight=sample_weight)
            source = batches.BatchSource(x, self, steps, targets=self._targets(),
                                         what="evaluate")
        else:
            source = self._array_batches(x, y, sample_weight, batch_size, False, "evaluate")
        source.first()  # a bad first batch fails before the bar is drawn
        if not distribution_runtime.is_chief(self):
            verbose = 0
        bar = Progbar(source.target, verbose=verbose) if verbose else None
        cbs = CallbackList(callbacks, self, {"steps": source.steps, "verbose": verbose})
        return self._format_logs(self._evaluate_batches(source, bar, cbs), return_dict)

    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1,
                      callbacks=None, validation_data=None, validation_steps=None,
                      class_weight=None, max_queue_size=10, workers=1,
                      use_multiprocessing=False, shuffle=True, initial_epoch=0):
        """Keras 2's spelling of ``fit(generator, ...)`` (deprecated); batches are read in
        this process (``max_queue_size``, ``workers``, ``use_multiprocessing`` unused)."""
        warnings.warn("fit_generator() is deprecated; fit() takes generators and "
                      "Sequences.", DeprecationWarning, stacklevel=2)
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs,
                        verbose=verbose, callbacks=callbacks, validation_data=validation_data,
                        validation_steps=validation_steps, shuffle=shuffle,
                        initial_epoch=initial_epoch, class_weight=class_weight)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                           workers=1, use_multiprocessing=False, verbose=0):
        """Keras 2's spelling of ``evaluate(generator, ...)`` (deprecated)."""
        warnings.warn("evaluate_generator() is deprecated; evaluate() takes generators and "
                      "Sequences.", DeprecationWarning, stacklevel=2)
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                          workers=1, use_multiprocessing=False, verbose=0):
        """Keras 2's spelling of ``predict(generator, ...)`` (deprecated)."""
        warnings.warn("predict_generator() is deprecated; predict() takes generators and "
                      "Sequences.", DeprecationWarning, stacklevel=2)
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def _format_logs(self, logs, return_dict):
        if return_dict:
            return logs
        names = self.metrics_names
        if set(names) != set(logs):  # an overridden step's own logs, in its order
            names = list(logs)
        values = [logs[name] for name in names]
        return values[0] if len(values) == 1 else values

    def train_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True,
                       return_dict=False):
        """One optimizer step on one batch; returns its loss (and metrics)."""
        self._require_compiled("training it")
        xs, ys, sw = self._standardize_data(x, y, sample_weight, "train_on_batch")
        trainer = self._get_trainer(xs, ys)
        self._warn_if_frozen("train_on_batch")
        metrics = self._log_source(trainer)
        if reset_metrics:
            metrics.reset()
        with guards.uninterrupted():
            trainer.train_step(xs, ys, sw)
        return self._format_logs(metrics.results(), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True,
                      return_dict=False):
        """Loss (and metrics) on one batch, without training."""
        self._require_compiled("evaluating it")
        xs, ys, sw = self._standardize_data(x, y, sample_weight, "test_on_batch")
        trainer = self._get_trainer(xs, ys)
        metrics = self._log_source(trainer)
        if reset_metrics:
            metrics.reset()
        with guards.uninterrupted():
            trainer.test_step(xs, ys, sw)
        return self._format_logs(metrics.results(), return_dict)


def _call_output_shapes(model, xs, ys):
    """Output shapes of a model without a graph (subclassed), as its metrics need them
    ('accuracy' is sparse, binary or categorical by the prediction's shape; Keras 3
    reads the first batch's predictions): inferred by running ``call`` without side
    effects. If that fails, or gives another number of outputs than targets, each
    target's shape stands in."""
    from keras_bridge.layers.shape_inference import infer_output_shape
    guess = [(None,) + tuple(y.shape[1:]) for y in ys]
    shapes = [(None,) + tuple(np.shape(x))[1:] for x in xs]
    try:
        out = infer_output_shape(model, shapes if len(shapes) > 1 else shapes[0],
                                 dtype=config.floatx())
    except ValueError:
        return guess
    flat = out if isinstance(out, list) else [out]
    if len(flat) != len(ys) or not all(isinstance(s, tuple) for s in flat):
        return guess
    return [(None,) + tuple(s[1:]) for s in flat]


def _recompile_for(compiled, output_names):
    """A model compiled before its graph existed (deferred Sequential) gets its outputs'
    real names once built."""
    loss = CompiledLoss(compiled.loss.spec, None, output_names, compiled.loss.model_losses)
    loss.loss_weights = compiled.loss.loss_weights
    return Compiled(compiled.optimizer, loss,
                    CompiledMetrics(compiled.metrics.spec, output_names, loss,
                                    compiled.metrics.weighted_spec),
                    compiled.execution)


def _refuse_with_source(what, x, **given):
    """Arguments that belong in the batches when ``x`` is a Sequence or generator; a
    ``batch_size`` given with a Keras 3 source is ignored, as Keras 3 does."""
    if batches.sizes_its_own_batches(x):
        given.pop("batch_size", None)
    for name, value in given.items():
        if value is not None:
            raise ValueError(f"{what}(): {name} must not be given when x is a Sequence, "
                             f"generator or dataset of batches; its batches hold (x, y) or "
                             f"(x, y, sample_weight), already batched.")

