"""``TensorBoard``: training curves, weight histograms and the model's graph in
TensorBoard's event files, with Keras 3's folders and tag names.

``log_dir/train`` holds ``epoch_<metric>`` (with ``epoch_learning_rate``) at each epoch,
``batch_<metric>`` every ``update_freq`` batches (step: the batch count since training
began, from 1), ``<weight path>/histogram`` every ``histogram_freq`` epochs and the
model's config (tag ``keras``); ``log_dir/validation`` holds the validation
``epoch_<metric>`` and ``evaluation_<metric>_vs_iterations`` (step: optimizer
iterations) after each evaluation. The files are written by tensorboardX (see
``summary_writer``); view them with ``tensorboard --logdir log_dir``.
"""

import os
import time
import warnings

import numpy as np

from keras_bridge import config
from keras_bridge.callbacks.base import Callback
from keras_bridge.callbacks import summary_writer

# Keras 2's arguments that tf.keras 2 and Keras 3 ignore or removed.
_KERAS2_IGNORED = ("batch_size", "write_grads", "embeddings_layer_names", "embeddings_data")


class TensorBoard(Callback):
    """Log training to TensorBoard.

    Args:
        log_dir: folder of the logs; runs go in its ``train`` and ``validation``
            subfolders. Use one folder per training run.
        histogram_freq: every that many epochs, log a histogram of each weight
            (0: never).
        write_graph: log the model's config, drawn by TensorBoard's Graphs tab
            (functional and Sequential models).
        write_images: with ``histogram_freq``, also log each weight as an image.
        write_steps_per_second: log training steps per second (per epoch, and per batch
            with ``update_freq``).
        update_freq: ``"epoch"``, ``"batch"`` (every batch) or a number of batches
            between batch-level scalars.
        profile_batch: not supported by keras_bridge: a non-zero value warns and is
            ignored (profile with ``jax.profiler`` or ``torch.profiler`` directly).
        embeddings_freq: every that many epochs, save the weights to
            ``log_dir/train/keras_embedding.ckpt-<epoch>.weights.h5`` (as Keras 3).
        embeddings_metadata: metadata file name for all ``Embedding`` layers, or a dict
            from layer name to file name, written into ``projector_config.pbtxt``.

    Raises:
        ImportError: tensorboardX is not installed (names the package to install).
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True,
                 write_images=False, write_steps_per_second=False, update_freq="epoch",
                 profile_batch=0, embeddings_freq=0, embeddings_metadata=None, **kwargs):
        super().__init__()
        for name in _KERAS2_IGNORED:
            if name in kwargs:
                kwargs.pop(name)
                warnings.warn(f"TensorBoard({name}=...) is a Keras 2 argument that tf.keras "
                              "2 and Keras 3 ignore; it is ignored.", DeprecationWarning,
                              stacklevel=2)
        if kwargs:
            raise TypeError(f"TensorBoard got unexpected arguments {sorted(kwargs)}.")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _check_count(histogram_freq, "histogram_freq")
        self.embeddings_freq = _check_count(embeddings_freq, "embeddings_freq")
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.embeddings_metadata = embeddings_metadata
        self.update_freq = 1 if update_freq == "batch" else update_freq
        if self.update_freq != "epoch" and (isinstance(self.update_freq, bool) or not
                                            isinstance(self.update_freq, int) or
                                            self.update_freq <= 0):
            raise ValueError(f"update_freq must be 'epoch', 'batch' or a positive number of "
                             f"batches. Received: update_freq={update_freq!r}")
        if _check_profile_batch(profile_batch) != (0, 0):
            warnings.warn(f"TensorBoard(profile_batch={profile_batch!r}): profiling is not "
                          "supported by keras_bridge and is skipped; profile the engine "
                          "directly (jax.profiler.trace or torch.profiler.profile).",
                          UserWarning, stacklevel=2)
        self.profile_batch = profile_batch
        self._library = summary_writer.library()  # fails here when nothing can write
        self._writers = {}
        self._global_train_batch = 0
        self._training = False
        if self.update_freq != "epoch":
            # Only then, so that with 'epoch' the loop need not read per-batch values.
            self.on_train_batch_end = self._on_train_batch_end

    # ---- runs ----------------------------------------------------------------------
    def _writer(self, run):
        if run not in self._writers:
            self._writers[run] = summary_writer.EventWriter(
                os.path.join(self.log_dir, run), self._library)
        return self._writers[run]

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def set_model(self, model):
        self._close_writers()
        super().set_model(model)
        if self.write_graph and getattr(model, "_functional", False):
            self._writer("train").keras_model("keras", model.to_json(), 0)
        if self.embeddings_freq:
            self._write_projector_config()

    # ---- hooks ---------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._training = True

    def on_train_end(self, logs=None):
        self._training = False
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start = (time.time(), self._iterations())

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start = time.time()

    def _on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if step % self.update_freq:
            return
        writer = self._writer("train")
        if self.write_steps_per_second:
            writer.scalar("batch_steps_per_second", 1.0 / (time.time() - self._batch_start),
                          step)
        for name, value in (logs or {}).items():
            writer.scalar(f"batch_{name}", value, step)

    def on_test_end(self, logs=None):
        if self.model.optimizer is None:
            return
        writer = self._writer("validation")
        for name, value in (logs or {}).items():
            writer.scalar(f"evaluation_{name}_vs_iterations", value, self._iterations())
        if not self._training:
            # evaluate() outside fit: no train end follows to close the file, and a
            # close is what writes tensorboardX's queued events.
            writer.close()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        if self.model.optimizer is not None:
            train["learning_rate"] = float(self.model.optimizer.learning_rate)
        if self.write_steps_per_second:
            start, iterations = self._epoch_start
            train["steps_per_second"] = (self._iterations() - iterations) / \
                (time.time() - start)
        for run, values in (("train", train), ("validation", {
                k[4:]: v for k, v in logs.items() if k.startswith("val_")})):
            for name, value in values.items():
                self._writer(run).scalar(f"epoch_{name}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self.model.save_weights(os.path.join(
                self.log_dir, "train", f"keras_embedding.ckpt-{epoch}.weights.h5"))
        for writer in self._writers.values():
            writer.flush()

    # ---- pieces --------------------------------------------------------------------
    def _iterations(self):
        return int(self.model.optimizer.iterations) if self.model.optimizer else 0

    def _log_weights(self, epoch):
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight, value in zip(layer.weights, layer.get_weights()):
                name = weight.path.replace(":", "_")
                writer.histogram(f"{name}/histogram", value, epoch)
                if self.write_images:
                    image = _weight_image(value)
                    if image is not None:
                        writer.images(f"{name}/image", image, epoch)

    def _write_projector_config(self):
        """Keras 3's projector config: one entry per Embedding layer, naming its
        metadata file (the projector reads TensorFlow checkpoints, which keras_bridge
        does not write: the saved weights are .weights.h5, as in Keras 3)."""
        metadata = self.embeddings_metadata
        if isinstance(metadata, dict):
            metadata = dict(metadata)
        entries = []
        for layer in self.model.layers:
            if type(layer).__name__ != "Embedding":
                continue
            entry = ('  tensor_name: "layer_with_weights-0/embeddings/.ATTRIBUTES/'
                     'VARIABLE_VALUE"\n')
            path = metadata if isinstance(metadata, str) else \
                (metadata or {}).pop(layer.name, None)
            if path is not None:
                entry += f'  metadata_path: "{path}"\n'
            entries.append("embeddings {\n" + entry + "}\n")
        if isinstance(metadata, dict) and metadata:
            raise ValueError(f"TensorBoard(embeddings_metadata=...) names layers that are "
                             f"not Embedding layers of the model: {sorted(metadata)}.")
        os.makedirs(self.log_dir, exist_ok=True)
        with open(os.path.join(self.log_dir, "projector_config.pbtxt"), "w") as f:
            f.write("".join(entries))


def _check_count(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative number of epochs. Received: "
                         f"{name}={value!r}")
    return int(value)


def _check_profile_batch(profile_batch):
    """(start, stop) from Keras's spellings: an int, a pair, or 'start,stop'."""
    message = (f"profile_batch must be a non-negative integer or a pair of positive "
               f"integers (start, stop) of batches. Received: profile_batch={profile_batch!r}")
    try:
        if isinstance(profile_batch, str):
            parts = [int(p) for p in profile_batch.split(",")]
            profile_batch = parts[0] if len(parts) == 1 else parts
        if isinstance(profile_batch, (list, tuple)) and len(profile_batch) == 2:
            start, stop = (int(p) for p in profile_batch)
        elif isinstance(profile_batch, (int, np.integer)) and not isinstance(profile_batch,
                                                                             bool):
            start = stop = int(profile_batch)
        else:
            raise ValueError(message)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if start < 0 or stop < start:
        raise ValueError(message)
    return start, stop


def _weight_image(value):
    """A weight as Keras 3 draws it: a bias as a column, a kernel as a matrix (wide
    side horizontal), a 3-d kernel as one image per channel; None for other shapes."""
    image = np.squeeze(value)
    if image.ndim == 1:
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.ndim == 3:
        if config.image_data_format() == "channels_last":
            image = np.transpose(image, (2, 0, 1))
        image = image.reshape(image.shape + (1,))
    if image.ndim == 4 and image.shape[-1] in (1, 3, 4):
        return image
    return None
