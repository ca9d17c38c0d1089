"""Callbacks that write files while training: model checkpoints and a CSV log."""

import csv
import os
import warnings

from keras_bridge.callbacks.base import Callback
from keras_bridge.distribution import runtime as distribution_runtime
from keras_bridge.callbacks.monitor import Monitor, with_accuracy_aliases


class ModelCheckpoint(Callback):
    """Save the model (``.keras``, Keras 2's ``.h5``) or its weights (``.weights.h5``,
    ``.weights.npz``) during training.

    ``filepath`` may hold ``str.format`` fields filled from the epoch (from 1), the batch
    (with an integer ``save_freq``) and the logs: ``'ckpt-{epoch:02d}-{val_loss:.2f}.keras'``.

    Args:
        filepath: where to save; ends in ``.keras`` or ``.h5``, or ``.weights.h5`` /
            ``.weights.npz`` with ``save_weights_only`` (as Keras 3).
        monitor: logs key compared with ``save_best_only``.
        verbose: 1 prints each save.
        save_best_only: save only when ``monitor`` improves on the best so far.
        save_weights_only: ``model.save_weights`` instead of ``model.save``.
        mode: 'auto', 'min' or 'max'.
        save_freq: 'epoch', or save every that many batches.
        initial_value_threshold: with ``save_best_only``, the value to beat first.
        period: Keras 2's "every that many epochs" (deprecated).
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None, **kwargs):
        super().__init__()
        self.period = 1
        if "period" in kwargs:
            warnings.warn("ModelCheckpoint(period=...) is deprecated; use save_freq (in "
                          "batches) or 'epoch'.", DeprecationWarning, stacklevel=2)
            self.period = int(kwargs.pop("period"))
        if kwargs:
            raise TypeError(f"ModelCheckpoint got unexpected arguments {sorted(kwargs)}.")
        self.filepath = os.fspath(filepath)
        suffixes = (".weights.h5", ".weights.npz") if save_weights_only else (".keras", ".h5")
        if not self.filepath.endswith(suffixes):
            what = "weights (save_weights_only=True)" if save_weights_only else "models"
            raise ValueError(f"ModelCheckpoint saves {what} to paths ending in "
                             f"{' or '.join(repr(s) for s in suffixes)}. "
                             f"Received: filepath={self.filepath!r}.")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or
                                     not isinstance(save_freq, int) or save_freq <= 0):
            raise ValueError(f"save_freq must be 'epoch' or a positive number of batches. "
                             f"Received: save_freq={save_freq!r}")
        self.watch = Monitor(monitor, mode, 0.0, "ModelCheckpoint")
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.best = self.watch.worst if initial_value_threshold is None \
            else float(initial_value_threshold)
        if save_freq != "epoch":
            self.on_train_batch_end = self._on_batch_end

    def on_train_begin(self, logs=None):
        self._epoch = 0
        self._batches = 0
        self._epochs_since_save = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def _on_batch_end(self, batch, logs=None):
        # Installed as on_train_batch_end only for a save_freq in batches, so that with
        # 'epoch' the training loop need not read per-batch values.
        self._batches += 1
        if self._batches % self.save_freq == 0:
            self._save(self._epoch, logs, batch)

    def on_epoch_end(self, epoch, logs=None):
        self._epochs_since_save += 1
        if self.save_freq == "epoch" and self._epochs_since_save >= self.period:
            self._epochs_since_save = 0
            self._save(epoch, logs)

    def _path(self, epoch, logs, batch):
        fields = with_accuracy_aliases(logs)  # '{val_acc:.2f}' works with 'val_accuracy'
        fields["epoch"] = epoch + 1
        if batch is not None:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except (KeyError, IndexError) as e:
            raise KeyError(f"ModelCheckpoint cannot fill in filepath {self.filepath!r}: no "
                           f"value for {e}. Available: {sorted(fields)}.") from None

    def _save(self, epoch, logs, batch=None):
        path = self._path(epoch, logs, batch)
        if self.save_best_only:
            current = self.watch.value(logs, "saving the best model")
            if current is None:
                return
            if not self.watch.improved(current, self.best):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from "
                          f"{self.best:.5f}")
                return
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} "
                      f"to {current:.5f}, saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)


class CSVLogger(Callback):
    """Write each epoch's logs as a CSV row: ``epoch`` (from 0), then the logs' keys in
    sorted order.

    Args:
        filename: the CSV file.
        separator: the field separator.
        append: add to an existing file (without repeating its header) instead of
            replacing it.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = append
        self._file = self._writer = None

    def on_train_begin(self, logs=None):
        if not distribution_runtime.is_chief(self.model):
            return  # one process writes the log
        has_rows = self.append and os.path.exists(self.filename) and \
            os.path.getsize(self.filename) > 0
        self._write_header = not has_rows
        self._file = open(self.filename, "a" if self.append else "w", newline="",
                          encoding="utf-8")
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._file is None:  # not the first process: wait for its row
            distribution_runtime.barrier(self.model)
            return
        if self._writer is None:
            self._writer = csv.DictWriter(self._file, ["epoch"] + sorted(logs),
                                          delimiter=self.separator, restval="NA",
                                          extrasaction="ignore")
            if self._write_header:
                self._writer.writeheader()
        self._writer.writerow({"epoch": epoch, **logs})
        self._file.flush()
        distribution_runtime.barrier(self.model)

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
        self._file = self._writer = None
