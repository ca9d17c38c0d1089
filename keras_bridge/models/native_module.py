"""A model where torch code expects an ``nn.Module`` (Keras 3's torch guides rely on it):
``model.parameters()`` for a torch optimizer, ``state_dict``, ``train()`` / ``eval()``,
and a model set as an attribute of a user's ``nn.Module``.

The front end stays engine-free: each method binds the model on first use and calls
the engine's view of it, an ``nn.Module`` whose parameters are the engine's own storage
of the weights (the design is in keras_bridge/backends/torch/native.py). On JAX the
methods raise, naming torch.
"""

import sys

from keras_bridge import config
from keras_bridge.native import engine_native


class TorchModuleMethods:
    """``torch.nn.Module``'s methods on a model, delegated to its torch view."""

    _native_view = None  # the engine's view, made on first use

    def _torch_view(self, what):
        if not self.built:
            raise ValueError(f"Model {self.name!r} is not built yet, so it has no "
                             f"parameters for {what}(). Call it on data, or call "
                             "build(input_shape), first.")
        native = engine_native(self.backend_name, f"{what}() (torch.nn.Module's API)",
                               "torch")
        self.bind(self.backend_name)
        self._native_view = native.model_view(self, self._native_view)
        return self._native_view

    @property
    def __class__(self):
        """On torch, a class that is also an ``nn.Module``, so torch's ``Module.__setattr__``
        registers the model as a child (``type(model)`` is unchanged)."""
        cls = type(self)
        if "torch" not in sys.modules:
            return cls
        try:
            engine = self.__dict__.get("_backend_name") or \
                self.__dict__.get("_target_backend") or config.backend()
        except Exception:  # a bad configuration is reported where it is used
            return cls
        if engine != "torch":
            return cls
        return engine_native("torch", "nn.Module registration", "torch").facing_class(cls)

    @__class__.setter
    def __class__(self, cls):
        """``model.__class__ = Subclass`` still changes the real class."""
        object.__dict__["__class__"].__set__(self, cls)

    def __reduce_ex__(self, protocol):
        """Pickle and copy by the real class: pickle checks ``__class__``, which differs
        on torch."""
        return _new_instance, (type(self),), self.__getstate__()

    def parameters(self, recurse=True):
        """The weights' torch storage (trainable and frozen ``nn.Parameter``s), for a
        torch optimizer: stepping them changes the model."""
        return self._torch_view("parameters").parameters(recurse)

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(weight path, parameter) pairs."""
        return self._torch_view("named_parameters").named_parameters(
            prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """The weights that are state (BatchNorm statistics), as torch buffers."""
        return self._torch_view("buffers").buffers(recurse)

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._torch_view("named_buffers").named_buffers(prefix, recurse,
                                                               remove_duplicate)

    def children(self):
        return self._torch_view("children").children()

    def named_children(self):
        return self._torch_view("named_children").named_children()

    def modules(self):
        return self._torch_view("modules").modules()

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        return self._torch_view("named_modules").named_modules(memo, prefix,
                                                               remove_duplicate)

    def state_dict(self, *args, **kwargs):
        """Every weight's storage keyed by its path (torch layout: a Dense kernel is
        ``(out, in)``)."""
        return self._torch_view("state_dict").state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy ``state_dict`` (as ``state_dict()`` gives it) into the weights; torch's
        checks of keys and shapes apply."""
        if assign:
            raise ValueError("load_state_dict(assign=True) would replace the engine's "
                             "storage of the weights; keras_bridge copies values instead "
                             "(assign=False).")
        return self._torch_view("load_state_dict").load_state_dict(state_dict, strict)

    def train(self, mode=True):
        """Accepted for torch code; Keras layers take their mode from ``training=`` (as
        in Keras 3), so this changes no computation."""
        self._torch_view("train").train(mode)
        return self

    def eval(self):
        """``train(False)``."""
        return self.train(False)

    def apply(self, fn):
        self._torch_view("apply").apply(fn)
        return self

    def to(self, *args, **kwargs):
        """torch's ``Module.to``: moves (or casts) the weights' storage in place; the
        model itself is returned, as torch returns the module."""
        self._torch_view("to").to(*args, **kwargs)
        return self

    def cuda(self, device=None):
        return self.to("cuda" if device is None else device)

    def cpu(self):
        return self.to("cpu")

    # The rest of torch's recursion into a child module (load_state_dict, to / cuda).
    def _apply(self, fn, recurse=True):
        self._torch_view("_apply")._apply(fn, recurse)
        return self

    def _load_from_state_dict(self, *args, **kwargs):
        return self._torch_view("load_state_dict")._load_from_state_dict(*args, **kwargs)

    @property
    def _modules(self):
        return self._torch_view("load_state_dict")._modules

    @property
    def _load_state_dict_post_hooks(self):
        return self._torch_view("load_state_dict")._load_state_dict_post_hooks


def _new_instance(cls):
    return cls.__new__(cls)
