"""Timing shared by the training benchmarks: configurations take turns on short chunks.

The development machine is shared and its speed drifts from minute to minute. Timing one
configuration for a whole run and then the next compares different minutes; here every
configuration trains on the same chunk of samples in turn, chunk after chunk, so load
from other processes falls on all of them alike. Each configuration's best chunk (least
disturbed) and median chunk are reported, in wall-clock samples/s and in samples per
CPU-second of this process (steadier when other processes share the cores).
"""

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
        'warmup_s', the seconds of the warm-up pass (compilation included)."""
        return {"best": max(self.rates), "median": statistics.median(self.rates),
                "best_cpu": max(self.cpu_rates), "median_cpu": statistics.median(self.cpu_rates),
                "warmup_s": self.warmup_s}


def jitted_step_runner(step, params, opt_state, x, y, batch):
    """A Runner for a hand-written JAX loop: ``step(params, opt_state, xb, yb)`` (jitted)
    on shuffled batches of ``x``/``y``, waiting for the engine at the end of each pass."""
    import jax
    state = [params, opt_state]

    def train(lo, hi):
        order = np.random.permutation(hi - lo) + lo
        p, s = state
        for i in range(0, hi - lo, batch):
            idx = order[i:i + batch]
            p, s = step(p, s, x[idx], y[idx])
        jax.block_until_ready(p)
        state[:] = [p, s]

    return Runner(train)


def measure(runners, samples, epochs, chunk, warmup):
    """Warm every runner up on ``warmup`` samples (JIT compilation, kernel selection),
    then time ``epochs`` passes over the data in chunks of ``chunk`` samples, the runners
    taking turns chunk by chunk. Returns each runner's ``summary()``."""
    for runner in runners:
        start = time.perf_counter()
        runner.train(0, warmup)
        runner.warmup_s = time.perf_counter() - start
    for _ in range(epochs):
        for lo in range(0, samples, chunk):
            for runner in runners:
                runner.timed(lo, min(lo + chunk, samples))
    return [runner.summary() for runner in runners]


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
