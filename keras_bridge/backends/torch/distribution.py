"""keras_bridge.distribution on torch: ``torch.distributed`` and DDP, one process per
device (``torchrun``), gloo on CPU and NCCL on CUDA.

Every process runs the same loop over the same global batches (the shuffling
generator is process 0's, ``runtime.sync_generator``); the train step takes its rank's
equal slice of each batch and runs the module through ``DistributedDataParallel``,
whose backward all-reduces the gradients (their mean over ranks: the gradient of the
global batch's mean loss). BatchNormalization uses the moments of the global batch
(a differentiable all-reduce, as SyncBatchNorm, which has no CPU kernel). The compiled
metrics are updated with the gathered global batch's outputs and the rank-averaged
loss, so every rank holds one process's numbers and decides callbacks
(EarlyStopping) alike. evaluate and predict run the whole data on every rank: full
results everywhere, no communication.
"""

import contextlib
import os

import torch
import torch.distributed as dist

_TORCHRUN = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
_global_moments = [False]


def _running():
    return dist.is_available() and dist.is_initialized()


def num_processes():
    return dist.get_world_size() if _running() else 1


def process_id():
    return dist.get_rank() if _running() else 0


def _kind(device_type):
    if device_type in (None, "gpu", "cuda") and torch.cuda.is_available():
        return "gpu"
    if device_type in ("gpu", "cuda", "tpu"):
        return None
    return "cpu"


def list_devices(device_type=None):
    """One device per process: DDP's model (more devices are more processes)."""
    kind = _kind(device_type)
    return [] if kind is None else [f"{kind}:{r}" for r in range(num_processes())]


def initialize(job_addresses, num_processes, process_id):
    """The process group from the arguments, else from torchrun's environment; nothing
    for one process."""
    if _running():
        return
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if job_addresses is not None or (num_processes or 1) > 1:
        if (num_processes or 1) == 1:
            return
        address = job_addresses.split(",")[0]
        dist.init_process_group(backend, init_method=f"tcp://{address}",
                                world_size=num_processes, rank=process_id)
    else:
        present = [k for k in _TORCHRUN if k in os.environ]
        if not present:
            return
        missing = [k for k in _TORCHRUN if k not in os.environ]
        if missing:
            raise ValueError(f"initialize(): the launcher's environment is incomplete: "
                             f"{present} set but {missing} missing. Launch with "
                             f"`torchrun --nproc_per_node=N script.py`, or pass "
                             f"job_addresses, num_processes and process_id.")
        if int(os.environ["WORLD_SIZE"]) == 1:
            return
        dist.init_process_group(backend)
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", process_id or 0)))


def barrier():
    dist.barrier()


def broadcast_object(obj):
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def _check(distribution):
    from keras_bridge.distribution import ModelParallel
    if isinstance(distribution, ModelParallel) and any(
            a is not None for key in distribution.layout_map
            for a in distribution.layout_map[key].axes):
        raise NotImplementedError(
            "ModelParallel with split weights is not supported on the torch backend "
            "(weights are whole on every process); use DataParallel, or the jax backend "
            "for ModelParallel.")
    parts = distribution.num_model_replicas
    if parts != num_processes():
        raise ValueError(
            f"{type(distribution).__name__} splits batches over {parts} devices, but this "
            f"torch job has {num_processes()} process(es). On torch each device is one "
            f"process: launch with `torchrun --nproc_per_node={parts} script.py` and call "
            f"keras_bridge.distribution.initialize() first.")


def distribute(program, distribution):
    """Wrap the bound module in DistributedDataParallel (with more than one process)."""
    _check(distribution)
    program.ddp = None
    if num_processes() > 1:
        ids = [program.device.index] if program.device.type == "cuda" else None
        # Buffers (BatchNorm's moving statistics) are equal on every rank by
        # construction: no per-step broadcast.
        program.ddp = torch.nn.parallel.DistributedDataParallel(
            program.module, device_ids=ids, broadcast_buffers=False)


def distribute_trainer(trainer, distribution):
    if num_processes() == 1:
        return trainer
    return ShardedTrainer(trainer)


@contextlib.contextmanager
def global_moments():
    """BatchNormalization in training mode uses the global batch's moments inside."""
    _global_moments[0] = True
    try:
        yield
    finally:
        _global_moments[0] = False


def uses_global_moments():
    return _global_moments[0]


def global_mean(x, dims, count):
    """Mean over ``dims`` of every rank's ``x`` (``count`` values per rank each),
    differentiable: backward all-reduces the cotangents, as SyncBatchNorm does."""
    from torch.distributed.nn import functional as dist_nn
    total = dist_nn.all_reduce(x.sum(dim=dims))
    return total / (count * dist.get_world_size())


class _GatheredPolicy:
    """The step policy with ``update_metrics`` fed the global batch: outputs, targets
    and weights gathered from every rank, losses averaged over them."""

    def __init__(self, policy):
        self._policy = policy

    def __getattr__(self, name):
        return getattr(self._policy, name)

    def update_metrics(self, ys, outputs, sw, total, per_output, *rest):
        gather = lambda t: None if t is None else _gather(t)  # noqa: E731
        sw = [gather(w) for w in sw] if isinstance(sw, list) else gather(sw)
        return self._policy.update_metrics(
            [gather(y) for y in ys], [gather(o) for o in outputs], sw, _mean(total),
            [None if v is None else _mean(v) for v in per_output], *rest)


def _gather(t):
    parts = [torch.empty_like(t) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, t.contiguous())
    return torch.cat(parts)


def _mean(t):
    t = t.detach().clone()
    dist.all_reduce(t)
    return t / dist.get_world_size()


class ShardedTrainer:
    """Each rank trains on its slice of the global batch through DDP."""

    def __init__(self, trainer):
        self.inner = trainer
        program = trainer.program
        self.rank, self.size = dist.get_rank(), dist.get_world_size()
        trainer.policy = _GatheredPolicy(trainer.policy)
        run = program.ddp
        trainer._forward = lambda xs, training: _run(run, xs, training)

    def _shard(self, arrays):
        if arrays is None:
            return None
        if not isinstance(arrays, list):
            return self._shard([arrays])[0]
        n = len(arrays[0]) if arrays else 0
        if n % self.size:
            raise ValueError(f"fit(): a batch of {n} samples cannot be split equally over "
                             f"{self.size} processes; the global batch size must divide by "
                             f"{self.size}.")
        part = n // self.size
        return [a[self.rank * part:(self.rank + 1) * part] for a in arrays]

    def train_step(self, xs, ys, sample_weight):
        with global_moments():
            self.inner.train_step(self._shard(xs), self._shard(ys),
                                  self._shard(sample_weight))

    def test_step(self, xs, ys, sample_weight):
        self.inner.test_step(xs, ys, sample_weight)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _run(ddp, tensors, training):
    from keras_bridge.utils import tree
    inputs = tensors if len(tensors) > 1 else tensors[0]
    return tree.flatten(ddp(inputs, training=training))
