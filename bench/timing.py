"""Timing shared by the benchmarks: configurations take turns on short chunks.

The development machine is shared and its speed drifts from minute to minute. Timing one
configuration for a whole run and then the next compares different minutes; here every
configuration trains on the same chunk of samples in turn, chunk after chunk, so load
from other processes falls on all of them alike. Each configuration's best chunk (least
disturbed) and median chunk are reported, in wall-clock samples/s and in samples per
CPU-second of this process (steadier when other processes share the cores), and the
seconds of its first epoch (a fresh model, compilation included).

The training benchmarks build their configurations from the runners here
(``fit_runner``, ``torch_loop_runner``, ``jitted_step_runner`` with ``jax_train_step``),
time them with ``measure`` and print them with ``print_header`` / ``print_rows``.
"""

import contextlib
import statistics
import time

import numpy as np


class Runner:
    """One configuration: ``train(lo, hi)`` makes one shuffled pass over samples
    ``lo:hi`` of its data (and waits for the engine to finish)."""

    def __init__(self, train):
        self.train, self.rates, self.cpu_rates = train, [], []
        self.warmup_s = None

    def timed(self, lo, hi):
        wall, cpu = time.perf_counter(), time.process_time()
        self.train(lo, hi)
        self.rates.append((hi - lo) / (time.perf_counter() - wall))
        self.cpu_rates.append((hi - lo) / (time.process_time() - cpu))

    def summary(self):
        """{'best', 'median', 'best_cpu', 'median_cpu'} in samples per second, and
        'warmup_s', the seconds of the warm-up pass (the first epoch, compilation
        included, unless ``measure`` was given a shorter warm-up)."""
        return {"best": max(self.rates), "median": statistics.median(self.rates),
                "best_cpu": max(self.cpu_rates), "median_cpu": statistics.median(self.cpu_rates),
                "warmup_s": self.warmup_s}


def keras_bridge_configs(engine):
    """``(label, compile arguments, dtype policy)`` of the keras_bridge configurations the
    training benchmarks run: default settings, ``steps_per_execution=8``,
    ``jit_compile=True`` (torch: ``torch.compile``; on JAX it is the default) and the
    ``mixed_bfloat16`` policy."""
    configs = [("keras_bridge default", {}, None),
               ("keras_bridge steps_per_execution=8", {"steps_per_execution": 8}, None)]
    if engine == "torch":
        configs.append(("keras_bridge jit_compile=True", {"jit_compile": True}, None))
    return configs + [("keras_bridge mixed_bfloat16", {}, "mixed_bfloat16")]


@contextlib.contextmanager
def dtype_policy(name):
    """Layers made inside compute under the global dtype policy ``name`` (None: the one
    in effect); the policy in effect before is put back afterwards."""
    from keras_bridge import mixed_precision
    previous = mixed_precision.global_policy()
    mixed_precision.set_global_policy(name or previous)
    try:
        yield
    finally:
        mixed_precision.set_global_policy(previous)


def fit_runner(model, x, y, batch):
    """A Runner for keras_bridge: one quiet ``model.fit`` epoch over the chunk."""
    return Runner(lambda lo, hi: model.fit(x[lo:hi], y[lo:hi], batch_size=batch, epochs=1,
                                           verbose=0))


def torch_loop_runner(net, opt, loss_fn, x, y, batch, view=None, autocast=None, logs=None):
    """A Runner for a hand-written torch loop over tensors ``x``, ``y``: shuffled batches,
    forward, ``loss_fn(outputs, targets)``, ``zero_grad``, backward, ``opt.step()``.
    ``view``: applied to each input batch (a layout change); ``autocast``: a torch dtype
    the forward pass and loss run under ``torch.autocast`` in (what a hand-written
    mixed-precision loop does); ``logs``: ``(outputs, targets) -> correct predictions``,
    given to keep what ``fit`` reports: the pass's running loss and accuracy, summed on
    the device and read once at its end."""
    import torch

    def precision():
        if autocast is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=x.device.type, dtype=autocast)

    def train(lo, hi):
        net.train()
        order = torch.randperm(hi - lo) + lo
        totals = torch.zeros(3, device=x.device) if logs is not None else None
        for i in range(0, hi - lo, batch):
            idx = order[i:i + batch]
            xb = x[idx] if view is None else view(x[idx])
            yb = y[idx]
            with precision():
                outputs = net(xb)
                loss = loss_fn(outputs, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if totals is not None:
                with torch.no_grad():
                    totals += torch.stack([loss.detach().float() * len(idx),
                                           logs(outputs.detach(), yb).float(),
                                           torch.tensor(float(len(idx)))])
        if totals is not None:
            loss_sum, correct, count = totals.tolist()
            train.logs = {"loss": loss_sum / count, "accuracy": correct / count}

    return Runner(train)


def torch_correct(outputs, targets):
    """Correct predictions of class ``targets`` (``torch_loop_runner``'s ``logs=``)."""
    return (outputs.argmax(1) == targets).sum()


def jax_correct(outputs, yb):
    """Correct predictions of one-hot ``yb`` (``jax_train_step``'s ``logs=``)."""
    import jax.numpy as jnp
    return jnp.sum(jnp.argmax(outputs, -1) == jnp.argmax(yb, -1))


def jax_train_step(forward, loss, opt, bfloat16=False, donate=True, logs=None):
    """The jitted step ``(params, opt_state, xb, yb, *extra) -> (params, opt_state)`` of a
    hand-written JAX + optax loop: gradients of ``loss(forward(params, xb, *extra), yb)``.
    ``bfloat16``: the forward pass runs on bfloat16 copies of the params and floating
    inputs, its outputs back in float32 for the loss (float32 variables, as mixed
    precision keeps them). ``logs``: ``(outputs, yb) -> correct predictions``, given to
    keep what ``fit`` reports: the step is then ``(params, opt_state, totals, xb, yb,
    *extra) -> (params, opt_state, totals)``, ``totals`` the running [loss sum, correct,
    samples] of the pass."""
    import jax
    import jax.numpy as jnp
    import optax

    def low(a):
        return a.astype(jnp.bfloat16) if jnp.issubdtype(a.dtype, jnp.floating) else a

    def loss_fn(p, xb, yb, *extra):
        if bfloat16:
            out = forward(jax.tree_util.tree_map(low, p), low(xb), *extra)
            out = out.astype(jnp.float32)
        else:
            out = forward(p, xb, *extra)
        return loss(out, yb), out

    def step(params, opt_state, xb, yb, *extra):
        grads, _ = jax.grad(loss_fn, has_aux=True)(params, xb, yb, *extra)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    def logged_step(params, opt_state, totals, xb, yb, *extra):
        (value, out), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, xb, yb,
                                                                         *extra)
        updates, opt_state = opt.update(grads, opt_state, params)
        n = xb.shape[0]
        totals = totals + jnp.stack([value * n, logs(out, yb).astype(jnp.float32),
                                     jnp.float32(n)])
        return optax.apply_updates(params, updates), opt_state, totals

    if logs is not None:
        return jax.jit(logged_step, donate_argnums=(0, 1, 2) if donate else ())
    return jax.jit(step, donate_argnums=(0, 1) if donate else ())


def jitted_step_runner(step, params, opt_state, x, y, batch, key=None, logs=False):
    """A Runner for a hand-written JAX loop: ``step(params, opt_state, xb, yb)`` (jitted)
    on shuffled batches of ``x``/``y``, waiting for the engine at the end of each pass.
    With a PRNG ``key``, each step gets a fresh subkey as a fifth argument (dropout).
    ``logs``: the step is ``jax_train_step(..., logs=...)``'s, carrying the pass's
    running loss and accuracy (zeros at the start, read to the host at the end)."""
    import jax
    import jax.numpy as jnp
    state = [params, opt_state, key]

    def train(lo, hi):
        order = np.random.permutation(hi - lo) + lo
        p, s, k = state
        totals = jnp.zeros(3, jnp.float32) if logs else None
        for i in range(0, hi - lo, batch):
            idx = order[i:i + batch]
            if k is None:
                args = (x[idx], y[idx])
            else:
                k, sub = jax.random.split(k)
                args = (x[idx], y[idx], sub)
            if logs:
                p, s, totals = step(p, s, totals, *args)
            else:
                p, s = step(p, s, *args)
        if logs:
            loss_sum, correct, count = np.asarray(totals).tolist()
            train.logs = {"loss": loss_sum / count, "accuracy": correct / count}
        jax.block_until_ready(p)
        state[:] = [p, s, k]

    runner = Runner(train)
    runner.state = state  # [params, opt_state, key] now (a predict call reads the params)
    return runner


def measure(runners, samples, epochs, chunk, warmup=None):
    """Warm every runner up, then time ``epochs`` passes over the data in chunks of
    ``chunk`` samples, the runners taking turns chunk by chunk. The warm-up is one whole
    epoch (``warmup=None``: the first-epoch time, compilation included) or the first
    ``warmup`` samples. Returns each runner's ``summary()``."""
    for runner in runners:
        start = time.perf_counter()
        runner.train(0, samples if warmup is None else warmup)
        runner.warmup_s = time.perf_counter() - start
    for _ in range(epochs):
        for lo in range(0, samples, chunk):
            for runner in runners:
                runner.timed(lo, min(lo + chunk, samples))
    return [runner.summary() for runner in runners]


_WIDTH = 44


def print_header(extra=(), over="hand"):
    """The column names of ``print_rows`` (``extra``: names of added columns; ``over``: a
    short name of what the ratios divide by)."""
    ratio = f"/ {over}"
    print(f"{'engine':7} {'configuration':{_WIDTH}} {'best/s':>7} {ratio:>6} "
          f"{'median/s':>8} {ratio:>6} {'per CPU-s':>9} {ratio:>6} "
          f"{'1st epoch s':>11}" + "".join(f" {name:>10}" for name in extra))


def print_rows(engine, rows, hand):
    """One line per ``(label, summary)`` or ``(label, summary, [extra cells])`` in ``rows``:
    best and median chunk (samples/s of wall clock), median samples per CPU-second, each
    with its ratio to the ``hand`` summary, and the warm-up seconds."""
    for label, r, *extra in rows:
        cells = "".join(f" {cell:>10}" for cell in (extra[0] if extra else ()))
        print(f"{engine:7} {label:{_WIDTH}} {r['best']:7.0f} {r['best'] / hand['best']:6.2f} "
              f"{r['median']:8.0f} {r['median'] / hand['median']:6.2f} "
              f"{r['median_cpu']:9.0f} {r['median_cpu'] / hand['median_cpu']:6.2f} "
              f"{r['warmup_s']:11.2f}{cells}", flush=True)


LEGEND = ("best/s, median/s: best and median chunk, samples per second of wall clock; per "
          "CPU-s: median chunk, samples per second of this process's CPU time (all "
          "threads), steadier when other processes share the cores. / hand: over the "
          "engine's hand-written loop in float32. 1st epoch s: the first pass over the data "
          "of a fresh model, compilation included (bench/first_epoch.py times it in fresh "
          "processes, cold and warm JAX cache).")


def latencies(calls, rounds=10, per_round=50, warmup=20):
    """Median seconds per call of each function in ``calls``, the functions taking turns
    in blocks of ``per_round`` calls."""
    for fn in calls:
        for _ in range(warmup):
            fn()
    times = [[] for _ in calls]
    for _ in range(rounds):
        for fn, out in zip(calls, times):
            for _ in range(per_round):
                start = time.perf_counter()
                fn()
                out.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]
