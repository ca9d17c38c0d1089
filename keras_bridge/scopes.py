"""``StepScope``: the per-thread state the training and test steps' scopes hold (the
logits notes, the layer losses, the autocast dtype, the weight substitution).

It has ``contextvars.ContextVar``'s ``get`` / ``set`` / ``reset(token)``, but is kept in
a ``threading.local``: torch's dynamo (``compile(jit_compile=True)``) cannot trace
``ContextVar.get`` and breaks its graph at each read, which split one compiled step
into many small graphs; it traces attribute reads of a thread-local. The steps these
scopes serve run synchronously in one thread, so per-thread is the isolation needed.
"""

import threading


class StepScope(threading.local):
    """One scoped value per thread, ``default`` until ``set``."""

    def __init__(self, name, default=None):
        self.name = name
        self.value = default

    def get(self):
        return self.value

    def set(self, value):
        """Set the value; returns the token ``reset`` restores the previous one with."""
        token, self.value = self.value, value
        return token

    def reset(self, token):
        self.value = token

    def __repr__(self):
        return f"<StepScope {self.name}>"
