"""Keras 2's ``keras.utils.multi_gpu_utils``. ``multi_gpu_model`` (removed in tf.keras 2.4
and Keras 3) is not provided: it raises, naming the engines' own data parallelism."""


def multi_gpu_model(model, gpus=None, cpu_merge=True, cpu_relocation=False):
    """Not supported: raises ``NotImplementedError`` (see the module docstring)."""
    raise NotImplementedError(
        "multi_gpu_model() is not supported (Keras removed it in tf.keras 2.4 and Keras 3). "
        "Train on several devices with the engine's own data parallelism instead: on "
        "torch, launch the script with torchrun (torch.distributed and "
        "DistributedDataParallel); on JAX, shard the batch over jax.devices() "
        "(jax.sharding).")


__all__ = ["multi_gpu_model"]
