"""Between the front end and an engine's distributed runtime.

An engine supports distribution by shipping a ``distribution`` submodule
(keras_bridge/backends/<engine>/distribution.py; see backends/contract.py
``DISTRIBUTION``). This module asks it for devices and processes, and hooks the model's
life: ``bind_program`` when a model is bound (weights placed), ``wrap_trainer`` when its
train step is made (batches split, results reduced), ``check_model`` on each later use,
and the loop's ``is_chief`` / ``barrier`` / ``sync_generator``.
"""

import importlib
import os

from keras_bridge import backends, config
from keras_bridge.distribution.distributions import distribution


def engine_distribution(engine_name=None):
    """The engine's ``distribution`` module; ValueError when it has none."""
    engine_name = engine_name or config.backend()
    package = backends.get(engine_name).__name__
    try:
        return importlib.import_module(package + ".distribution")
    except ModuleNotFoundError as error:
        if error.name != package + ".distribution":
            raise
        raise ValueError(f"The {engine_name} backend does not support "
                         f"keras_bridge.distribution.") from None


def list_devices(device_type=None):
    """Device names (``"cpu:0"``, ``"gpu:1"``) a distribution can use, of one type:
    ``device_type`` ('cpu', 'gpu'), default the accelerator when there is one. On torch,
    one device per process (DDP's model): launch more processes for more devices."""
    if device_type is not None and device_type.lower() not in ("cpu", "gpu", "cuda", "tpu"):
        raise ValueError(f"list_devices(): device_type must be 'cpu', 'gpu' or 'tpu'; "
                         f"received {device_type!r}.")
    return engine_distribution().list_devices(device_type and device_type.lower())


def get_device_count(device_type=None):
    return len(list_devices(device_type))


def _env_int(name):
    value = os.environ.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"Environment variable {name}={value!r} must be an integer.") \
            from None


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Start the engine's multi-process runtime (call before building models).

    Arguments default to ``KERAS_DISTRIBUTION_JOB_ADDRESSES`` (comma-separated
    ``host:port``, the first is the coordinator), ``KERAS_DISTRIBUTION_NUM_PROCESSES``
    and ``KERAS_DISTRIBUTION_PROCESS_ID``; on torch, a ``torchrun`` launch's environment
    (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``) is used when those are
    absent. With one process and no launcher it does nothing.
    """
    if job_addresses is None:
        job_addresses = os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    if num_processes is None:
        num_processes = _env_int("KERAS_DISTRIBUTION_NUM_PROCESSES")
    if process_id is None:
        process_id = _env_int("KERAS_DISTRIBUTION_PROCESS_ID")
    given = {"job_addresses": job_addresses, "num_processes": num_processes,
             "process_id": process_id}
    if any(v is not None for v in given.values()) and \
            not (num_processes == 1 and job_addresses is None):
        missing = [k for k, v in given.items() if v is None]
        if missing:
            raise ValueError(f"initialize(): {missing} missing; a multi-process job needs "
                             f"job_addresses, num_processes and process_id (arguments or "
                             f"KERAS_DISTRIBUTION_JOB_ADDRESSES / _NUM_PROCESSES / "
                             f"_PROCESS_ID).")
        if not 0 <= process_id < num_processes:
            raise ValueError(f"initialize(): process_id must be in [0, {num_processes}); "
                             f"received {process_id}.")
    engine_distribution().initialize(job_addresses, num_processes, process_id)


def num_processes(engine_name=None):
    return engine_distribution(engine_name).num_processes()


def process_id(engine_name=None):
    return engine_distribution(engine_name).process_id()


# ---- a model's life under a distribution ---------------------------------------------
def bind_program(model, program):
    """Called once the model's program exists: the distribution in effect applies to
    the model from now on; the engine places the weights."""
    chosen = distribution()
    model._distribution = chosen
    if chosen is not None:
        engine_distribution(model.backend_name).distribute(program, chosen)
    return program


def check_model(model):
    """A bound model runs under the distribution it was bound with; a different one set
    since is an error (its weights are placed for the old one)."""
    chosen = distribution()
    bound = getattr(model, "_distribution", None)
    if chosen is not None and chosen is not bound:
        raise RuntimeError(
            f"Model {model.name!r} was bound to its engine under distribution {bound}; "
            f"set_distribution({chosen}) came after. Set the distribution before the model "
            f"is first used (compile/fit/predict), or build a new model under it.")


def wrap_trainer(model, trainer):
    chosen = getattr(model, "_distribution", None)
    if chosen is None:
        return trainer
    return engine_distribution(model.backend_name).distribute_trainer(trainer, chosen)


def check_batches(model, batch_size, n):
    """Training under a distribution splits every batch into equal parts: the global
    ``batch_size`` and a last partial batch of ``n`` samples must divide by them."""
    chosen = getattr(model, "_distribution", None)
    if chosen is None:
        return
    parts = chosen.num_model_replicas
    last = n % batch_size
    bad = [s for s in (min(batch_size, n), last) if s and s % parts]
    if bad:
        raise ValueError(
            f"fit(): under {type(chosen).__name__} each batch is split over {parts} "
            f"devices/processes, so the global batch size must divide by {parts}; batch_size="
            f"{batch_size} with {n} samples gives batches of {bad[0]}. Choose a batch_size "
            f"(and a sample count) divisible by {parts}.")


def _engine_of(model):
    if getattr(model, "_distribution", None) is None:
        return None
    return engine_distribution(model.backend_name)


def is_chief(model=None):
    """Whether this process writes files and prints progress: the first process, or the
    only one."""
    engine = (model is not None and _engine_of(model)) or _engine_if_running()
    return not engine or engine.process_id() == 0


def barrier(model=None):
    """Wait until every process got here (no-op with one process)."""
    engine = (model is not None and _engine_of(model)) or _engine_if_running()
    if engine and engine.num_processes() > 1:
        engine.barrier()


def write_once(model, write):
    """``write()`` on the first process only; every process waits until it is done
    (then reads the same file)."""
    try:
        if is_chief(model):
            write()
    finally:
        barrier(model)


def _engine_if_running():
    return engine_distribution() if distribution() is not None else None


def sync_generator(model, rng):
    """Every process shuffles as the first one does: its generator's state is copied."""
    engine = _engine_of(model)
    if engine is not None and engine.num_processes() > 1:
        rng.bit_generator.state = engine.broadcast_object(rng.bit_generator.state)
    return rng
