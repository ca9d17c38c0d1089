"""Keras's progress bar.

``96/1000 [==>...........................] - ETA: 3s - loss: 0.6931 - accuracy: 0.5000``
while running, and at the end of an epoch the total time and the time per step (one
step is one batch). On a terminal the line is redrawn in place at most every
``interval`` seconds; elsewhere (a log file, CI) only the final line is written, so the
log is not flooded. Values are read from the engine only when a line is drawn.
"""

import sys
import time


def _format_value(value):
    return f"{value:.4f}" if abs(value) > 1e-3 or value == 0 else f"{value:.4e}"


def format_eta(seconds):
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def format_step_time(seconds):
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class Progbar:
    """One bar for ``target`` samples (or steps).

    Args:
        target: total number of samples or steps; None when unknown (a generator without
            a step count): the line shows the count only.
        verbose: 1 for a live bar, 2 for one line at the end.
        width: bar width in characters.
        interval: least seconds between redraws on a terminal.
        stream: where to write (default ``sys.stdout``).
    """

    def __init__(self, target, verbose=1, width=30, interval=0.05, stream=None):
        self.target = target
        self.verbose = verbose
        self.width = width
        self.interval = interval
        self.stream = stream or sys.stdout
        isatty = getattr(self.stream, "isatty", None)
        self.dynamic = bool(isatty and isatty())
        self.start = time.time()
        self.last_draw = 0.0
        self.steps = 0
        self.line_length = 0

    def wants_values(self, current):
        """Whether ``update(current, ...)`` will draw, so values are worth reading."""
        if self.target is not None and current >= self.target:
            return True
        return self.verbose == 1 and self.dynamic and \
            time.time() - self.last_draw >= self.interval

    def update(self, current, values=None, finalize=False, steps=None):
        """Record progress; draw when ``wants_values(current)`` or ``finalize``."""
        if steps is not None:
            self.steps = steps
        done = finalize or (self.target is not None and current >= self.target)
        if not done and not self.wants_values(current):
            return
        self.last_draw = time.time()
        elapsed = self.last_draw - self.start
        values = values or {}
        metrics = "".join(f" - {k}: {_format_value(v)}" for k, v in values.items())
        if self.verbose == 2:
            if done:
                self._write(f"{self._count(current)} - {elapsed:.0f}s{metrics}\n")
            return
        line = self._count(current) if self.target is None else \
            f"{self._count(current)} {self._bar(current)}"
        if done:
            per_step = elapsed / max(self.steps, 1)
            line += f" - {elapsed:.0f}s {format_step_time(per_step)}{metrics}"
        elif self.target is None:
            line += f" - {elapsed:.0f}s{metrics}"
        else:
            eta = elapsed / max(current, 1) * (self.target - current)
            line += f" - ETA: {format_eta(eta)}{metrics}"
        if self.dynamic:
            pad = max(self.line_length - len(line), 0)
            self.line_length = len(line)
            self._write("\r" + line + " " * pad + ("\n" if done else ""))
        elif done:
            self._write(line + "\n")

    def _count(self, current):
        if self.target is None:
            return f"{current}/Unknown"
        digits = len(str(self.target))
        return f"{current:>{digits}}/{self.target}"

    def _bar(self, current):
        filled = int(self.width * current / self.target) if self.target else self.width
        if 0 < filled < self.width:
            body = "=" * (filled - 1) + ">" + "." * (self.width - filled)
        else:
            body = "=" * filled + "." * (self.width - filled)
        return f"[{body}]"

    def _write(self, text):
        self.stream.write(text)
        self.stream.flush()
