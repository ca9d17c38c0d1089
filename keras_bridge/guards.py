"""What keeps a model whole under threads and Ctrl-C.

``engine_lock``: binding a model to an engine and making its program or train step
happen once, under this lock (checked again inside it), so two threads that use a
fresh model together do not both bind it (the second would read weights the first had
already handed to the engine). Binding is rare, so one reentrant lock for every model
is enough and cannot deadlock between models that share layers.

``uninterrupted()``: a step that changes a model's state (weights, optimizer state, metrics,
a stateful layer's carry) is committed whole or not at all with respect to Ctrl-C.
Python raises ``KeyboardInterrupt`` between any two bytecodes: landing between a JAX
step that donated the old weights and the assignment of the new ones, it left the
model holding deleted arrays; inside a torch optimizer's ``step`` it left some weights
or moments updated and others not. A SIGINT during a step is only noted and handed to
the handler that was in place once the step has committed (by default:
``KeyboardInterrupt``, with the model holding the weights after that step). Deferring
keeps each engine's step as it is, where "commit before donate" would copy the weights
every step. A second SIGINT during one step is delivered at once: the way out of a
step that hangs, at the cost of that guarantee.

The handler is installed for a whole ``fit`` / ``evaluate`` / ``predict`` call
(``handles_interrupts``) and each step only flips a flag: ``signal.signal`` costs tens
of microseconds, too much per batch. A block outside such a call (``train_on_batch``, a
save) installs it for itself. Only the main thread receives signals, so in other threads
both do nothing.
"""

import functools
import signal
import threading

try:  # the C functions signal.py wraps; its wrappers convert to enums (~2 us a call)
    import _signal as _raw_signal
except ImportError:  # not CPython
    _raw_signal = signal

engine_lock = threading.RLock()


class _State:
    installed = False  # our handler holds SIGINT (main thread)
    previous = None  # the handler it replaced, given every SIGINT outside a step
    in_step = False
    pending = False


_state = _State()


def _on_sigint(signum, frame):
    if _state.in_step and not _state.pending:
        _state.pending = True
        return
    _deliver(signum, frame)


def _deliver(signum, frame):
    previous = _state.previous
    if callable(previous):  # signal.default_int_handler raises KeyboardInterrupt
        previous(signum, frame)
    elif previous == signal.SIG_DFL:  # what the process asked for: be terminated
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.raise_signal(signal.SIGINT)
    # SIG_IGN: nothing


def _main_thread():
    return threading.current_thread() is threading.main_thread()


def _install():
    """Our handler in place of the one there: that one, or None when it was set outside
    Python (it could not be put back) and nothing was done."""
    previous = _raw_signal.getsignal(signal.SIGINT)
    if previous is not None:
        _state.previous = previous
        _raw_signal.signal(signal.SIGINT, _on_sigint)
        _state.installed = True
    return previous


def _uninstall(previous):
    _raw_signal.signal(signal.SIGINT, previous)
    _state.installed = False


class _Installed:
    """Our SIGINT handler in place for the block (nothing to do when it already is, or
    in another thread). A class rather than a generator: it runs on every predict."""

    __slots__ = ("previous",)

    def __enter__(self):
        self.previous = None if _state.installed or not _main_thread() else _install()

    def __exit__(self, *exc):
        if self.previous is not None:
            _uninstall(self.previous)


def handles_interrupts(method):
    """Decorate a public method whose loop runs ``uninterrupted()`` blocks: the SIGINT handler
    is installed once for the whole call."""
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with _Installed():
            return method(*args, **kwargs)
    return wrapper


class uninterrupted:  # noqa: N801 (used as a function: ``with guards.uninterrupted():``)
    """A block that Ctrl-C does not split (a step committing a model's new state, a
    temporary file made and registered for its cleanup): SIGINT waits until it ends."""

    __slots__ = ("previous", "guarding")

    def __enter__(self):
        self.previous, self.guarding = None, False
        if _state.in_step or not _main_thread():
            return
        if not _state.installed:
            self.previous = _install()
            if self.previous is None:  # no Python handler to defer to
                return
        self.guarding = True
        _state.pending = False  # one left by a SIGINT racing a step's end
        _state.in_step = True

    def __exit__(self, *exc):
        try:
            if self.guarding:
                _state.in_step = False
                if _state.pending:
                    _state.pending = False
                    _deliver(signal.SIGINT, None)
        finally:
            if self.previous is not None:
                _uninstall(self.previous)
