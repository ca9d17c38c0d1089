"""Which engine and device are in effect right now.

A running program marks its engine active so that ops called with no engine tensor
(``ops.ones((3,))`` inside a custom layer) make tensors for that engine; outside any
program the configured default backend is used. ``device(name)`` is Keras's scope for
choosing where models bound inside it are placed.
"""

import contextlib
import contextvars

from keras_bridge import backends
from keras_bridge import config

_active = contextvars.ContextVar("keras_bridge_active_backend", default=None)
_device = contextvars.ContextVar("keras_bridge_device", default=None)


def active_backend():
    """The backend module of the running program, else the configured default."""
    name = _active.get()
    return backends.get(name if name is not None else config.backend())


@contextlib.contextmanager
def running(name):
    token = _active.set(name)
    try:
        yield
    finally:
        _active.reset(token)


@contextlib.contextmanager
def device(name):
    """Place models bound inside this scope on ``name`` ('cpu', 'cuda:0', 'gpu:0', ...).

    Example:
        with keras_bridge.device("cpu"):
            model.predict(x)   # binds (first use) on the CPU
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"Expected a device name such as 'cpu' or 'cuda:0'. Received: {name!r}")
    token = _device.set(name)
    try:
        yield
    finally:
        _device.reset(token)


def requested_device():
    """The device named by the innermost ``device`` scope, or None."""
    return _device.get()
