"""compile / fit / evaluate / train_on_batch / test_on_batch, for every engine.

The loop (epochs, batches, shuffling, validation, callbacks, History, progress bar) is
here and engine-neutral; one batch is the engine's work (``make_trainer`` in a
backend's ``training.py``). Loss and metric values stay on the engine in metric
weights and are read back only when the progress bar draws or an epoch ends.
"""

import warnings

import backends
from keras_bridge import optimizers as optimizers_module
from keras_bridge import random as kb_random
from keras_bridge.callbacks import CallbackList, History
from keras_bridge.saving.optimizer_state import apply_pending_optimizer_state
from keras_bridge.training import data
from keras_bridge.training.compile_utils import CompiledLoss, CompiledMetrics
from keras_bridge.training.progbar import Progbar


class Compiled:
    """What ``compile`` chose: optimizer, loss and metrics for one model."""

    def __init__(self, optimizer, loss, metrics):
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.engine_optimizer = None  # the engine's optimizer, once bound


def check_verbose(verbose, default=1):
    if verbose == "auto":
        return default
    if verbose not in (0, 1, 2):
        raise ValueError(f"Expected verbose to be 0, 1, 2 or 'auto'. Received: "
                         f"verbose={verbose!r}")
    return verbose


class Trainer:
    """Training methods mixed into ``Model``."""

    _compiled = None
    _trainer = None

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                **kwargs):
        """Configure training.

        Args:
            optimizer: name ('sgd', 'adam', ...) or optimizer instance.
            loss: name, function ``(y_true, y_pred)``, ``Loss`` instance, or a list / dict
                keyed by output name for several outputs.
            metrics: list of names, functions or metric instances (applied to every
                output), or a dict keyed by output name, or a list of lists.
            loss_weights: list or dict of per-output weights of the total loss.
        """
        for legacy in ("sample_weight_mode", "weighted_metrics", "run_eagerly",
                       "jit_compile", "steps_per_execution"):
            if legacy in kwargs:
                raise TypeError(f"compile() argument {legacy!r} is not supported by "
                                "keras_bridge.")
        if kwargs:
            raise TypeError(f"compile() got unexpected arguments {sorted(kwargs)}.")
        if not self.built or not getattr(self, "_functional", False):
            output_names = getattr(self, "output_names", None) or ["output_1"]
        else:
            output_names = self.output_names
        opt = optimizers_module.get(optimizer)
        compiled_loss = CompiledLoss(loss, loss_weights, output_names)
        compiled_metrics = CompiledMetrics(metrics, output_names, compiled_loss)
        self._compiled = Compiled(opt, compiled_loss, compiled_metrics)
        self._trainer = None

    @property
    def optimizer(self):
        return self._compiled.optimizer if self._compiled else None

    @property
    def metrics_names(self):
        """Names of the values ``evaluate`` returns, in order (Keras 2's names)."""
        if self._compiled is None:
            return []
        return self._compiled.metrics.names

    @property
    def metrics(self):
        if self._compiled is None or self._compiled.metrics.metrics is None:
            return []
        return self._compiled.metrics.all_metrics()

    def _require_compiled(self, what):
        if self._compiled is None:
            raise RuntimeError(f"You must compile your model before {what}. Call "
                               f"model.compile(optimizer, loss).")

    def _get_trainer(self, xs, ys):
        """The engine's train/test steps, made on first use (and after a trainable flag
        changes, as Keras requires a recompile for)."""
        self._ensure_built(xs)
        if self._compiled.loss.output_names != list(self.output_names):
            self._compiled = _recompile_for(self._compiled, self.output_names)
        program = self._get_program()
        # Layer flags too: a frozen BatchNormalization changes its call, not its weights.
        flags = (tuple(w.trainable for w in self.weights),
                 tuple(w.owner.trainable for w in self.weights if w.owner is not None))
        if self._trainer is not None and self._trainer_flags == flags:
            return self._trainer
        compiled = self._compiled
        preds = [tuple(t.shape) for t in self.outputs] if getattr(self, "_functional", False) \
            else [(None,) + tuple(ys[i].shape[1:]) for i in range(len(ys))]
        compiled.metrics.build([a.shape for a in ys], preds)
        for metric in compiled.metrics.all_metrics():
            metric.bind(self._backend_name, self._device)
        compiled.engine_optimizer = compiled.optimizer.bind(self._backend_name,
                                                            self.trainable_weights)
        apply_pending_optimizer_state(self)  # state loaded with the model, or copied
        backend = backends.get(self._backend_name)
        self._trainer = backend.make_trainer(program, compiled)
        self._trainer_flags = flags
        return self._trainer

    def _warn_if_frozen(self, what):
        if not self.trainable_weights:
            warnings.warn(f"Model {self.name!r} has no trainable weights: {what}() reports "
                          f"the loss and metrics but changes nothing.", UserWarning,
                          stacklevel=3)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0,
            sample_weight=None, **kwargs):
        """Train for ``epochs`` passes over the data; returns a ``History``."""
        if "nb_epoch" in kwargs:
            warnings.warn("fit(nb_epoch=...) is deprecated; use fit(epochs=...).",
                          DeprecationWarning, stacklevel=2)
            epochs = kwargs.pop("nb_epoch")
        if kwargs:
            raise TypeError(f"fit() got unexpected arguments {sorted(kwargs)}.")
        self._require_compiled("training it")
        verbose = check_verbose(verbose)
        batch_size = data.check_batch_size(batch_size)
        if y is None:
            raise ValueError("fit() needs targets y for the model's outputs.")
        xs, ys, sw = data.standardize(self, x, y, sample_weight)
        val = None
        if validation_data is not None:
            val = self._validation_arrays(validation_data)
        elif validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in [0, 1). Received: "
                                 f"{validation_split}")
            at = int(xs[0].shape[0] * (1 - validation_split))
            if at == 0 or at == xs[0].shape[0]:
                raise ValueError(f"validation_split={validation_split} leaves no samples for "
                                 f"training or for validation ({xs[0].shape[0]} samples).")
            (xs, ys, sw), val = data.split([xs, ys, sw], at)
        trainer = self._get_trainer(xs, ys)
        self._warn_if_frozen("fit")
        n = xs[0].shape[0]
        history = History()
        steps = -(-n // batch_size)
        cbs = CallbackList([history] + list(callbacks or []), self,
                           {"epochs": epochs, "steps": steps, "verbose": verbose})
        metrics = self._compiled.metrics
        rng = kb_random.generator()
        self.stop_training = False
        cbs.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            metrics.reset()
            cbs.on_epoch_begin(epoch)
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}")
            bar = Progbar(n, verbose=verbose) if verbose else None
            seen = 0
            for step, index in enumerate(data.batch_indices(n, batch_size, shuffle, rng)):
                cbs.on_train_batch_begin(step)
                trainer.train_step(data.take(xs, index), data.take(ys, index),
                                   None if sw is None else sw[index])
                seen += len(range(n)[index]) if isinstance(index, slice) else len(index)
                if cbs.callbacks[1:]:
                    cbs.on_train_batch_end(step, metrics.results())
                if bar is not None and seen < n and bar.wants_values(seen):
                    bar.update(seen, metrics.results(), steps=step + 1)
            logs = metrics.results()
            if val is not None:
                val_logs = self._evaluate_arrays(*val, batch_size=batch_size)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            if bar is not None:
                bar.update(n, logs, finalize=True, steps=steps)
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cbs.on_train_end()
        return history

    def _validation_arrays(self, validation_data):
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) or "
                             "(x_val, y_val, val_sample_weight).")
        return data.standardize(self, *validation_data)

    def _evaluate_arrays(self, xs, ys, sw, batch_size, bar=None):
        trainer = self._get_trainer(xs, ys)
        metrics = self._compiled.metrics
        metrics.reset()
        n, seen = xs[0].shape[0], 0
        for step, index in enumerate(data.batch_indices(n, batch_size, False, None)):
            trainer.test_step(data.take(xs, index), data.take(ys, index),
                              None if sw is None else sw[index])
            seen = index.stop
            if bar is not None and seen < n and bar.wants_values(seen):
                bar.update(seen, metrics.results(), steps=step + 1)
        logs = metrics.results()
        if bar is not None:
            bar.update(n, logs, finalize=True, steps=-(-n // batch_size))
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Loss (and metrics) on the data: a scalar when there are no metrics, else a list
        ordered as ``metrics_names``; a dict with ``return_dict=True``."""
        self._require_compiled("evaluating it")
        verbose = check_verbose(verbose)
        batch_size = data.check_batch_size(batch_size)
        if y is None:
            raise ValueError("evaluate() needs targets y for the model's outputs.")
        xs, ys, sw = data.standardize(self, x, y, sample_weight)
        bar = Progbar(xs[0].shape[0], verbose=verbose) if verbose else None
        logs = self._evaluate_arrays(xs, ys, sw, batch_size, bar)
        return self._format_logs(logs, return_dict)

    def _format_logs(self, logs, return_dict):
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def train_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True,
                       return_dict=False):
        """One optimizer step on one batch; returns its loss (and metrics)."""
        self._require_compiled("training it")
        xs, ys, sw = data.standardize(self, x, y, sample_weight)
        trainer = self._get_trainer(xs, ys)
        self._warn_if_frozen("train_on_batch")
        if reset_metrics:
            self._compiled.metrics.reset()
        trainer.train_step(xs, ys, sw)
        return self._format_logs(self._compiled.metrics.results(), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True,
                      return_dict=False):
        """Loss (and metrics) on one batch, without training."""
        self._require_compiled("evaluating it")
        xs, ys, sw = data.standardize(self, x, y, sample_weight)
        trainer = self._get_trainer(xs, ys)
        if reset_metrics:
            self._compiled.metrics.reset()
        trainer.test_step(xs, ys, sw)
        return self._format_logs(self._compiled.metrics.results(), return_dict)


def _recompile_for(compiled, output_names):
    """A model compiled before its graph existed (deferred Sequential) gets its outputs'
    real names once built."""
    loss = CompiledLoss(compiled.loss.spec, None, output_names)
    loss.loss_weights = compiled.loss.loss_weights
    return Compiled(compiled.optimizer, loss,
                    CompiledMetrics(compiled.metrics.spec, output_names, loss))
