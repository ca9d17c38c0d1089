"""The callback protocol: the hooks the training loop calls at the start and end of
training, epochs and batches; ``History`` (always added by ``fit`` and returned by it),
``LambdaCallback``, and ``CallbackList``, which calls them."""


class Callback:
    """Base class; override the hooks you need. ``self.model`` and ``self.params``
    (epochs, steps, verbose) are set before training starts. ``on_batch_begin`` /
    ``on_batch_end`` are Keras 2's names of the training-batch hooks."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


class History(Callback):
    """Records the epoch-end logs: ``history.history['loss']`` is the per-epoch loss."""

    def __init__(self):
        super().__init__()
        self.epoch = []
        self.history = {}

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class LambdaCallback(Callback):
    """A callback from plain functions, e.g. ``LambdaCallback(on_epoch_end=print)``."""

    def __init__(self, **hooks):
        super().__init__()
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise TypeError(f"Unknown callback hook {name!r}.")
            setattr(self, name, fn)


class CallbackList:
    """Calls a hook on every callback in order (the ``History`` given last, as Keras
    does, so it records what the others add to the logs)."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"Expected Callback instances in callbacks. Received: {cb!r}")
            cb.set_model(model)
            cb.set_params(params)

    def wants(self, hook):
        """Whether any callback does something in ``hook`` (so that the loop reads
        per-batch values from the engine only when someone uses them)."""
        names = (hook,) + _ALIASES.get(hook, ())
        return any(name in vars(cb) or getattr(type(cb), name) is not getattr(Callback, name)
                   for cb in self.callbacks for name in names)

    def __getattr__(self, hook):
        """The caller of ``hook``, made on first use and kept: a no-op when no callback
        does anything in it (the per-batch hooks of a quiet ``fit``)."""
        if not hook.startswith("on_"):
            raise AttributeError(hook)
        if not self.wants(hook):
            self.__dict__[hook] = _nothing
            return _nothing

        indexed = "batch" in hook or "epoch" in hook  # (index, logs) or (logs)

        def call(*args, logs=None):
            if len(args) > indexed:
                args, logs = args[:indexed], args[indexed]
            logs = {} if logs is None else logs  # hooks always get a dict, as in Keras 3
            for cb in self.callbacks:
                getattr(cb, hook)(*args, logs)
        self.__dict__[hook] = call
        return call


def _nothing(*args, logs=None):
    pass


_ALIASES = {"on_train_batch_begin": ("on_batch_begin",),
            "on_train_batch_end": ("on_batch_end",)}

