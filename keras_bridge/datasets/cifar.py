"""Reading the CIFAR "python version" batches (shared by cifar10 and cifar100).

Each batch is a Python 2 pickle of a dict with ``b"data"`` (uint8, one row of
3 * 32 * 32 values per image, channels first) and the labels. It is read with the
restricted unpickler of ``_safe_load``, so a tampered file cannot run code.
"""

import os

import numpy as np

from keras_bridge import config
from keras_bridge.datasets._safe_load import load_pickle
from keras_bridge.utils.data_utils import get_file


def load_batch(fpath, label_key="labels"):
    """Parses one CIFAR batch file.

    Args:
        fpath: path of the batch file.
        label_key: the dict key of the labels (``"labels"``, ``"fine_labels"``,
            ``"coarse_labels"``).

    Returns:
        A tuple ``(data, labels)``: ``data`` of shape ``(num_samples, 3, 32, 32)``,
        ``labels`` as stored (a list of ints).
    """
    batch = load_pickle(fpath)
    if not isinstance(batch, dict):
        raise ValueError(f"{fpath} is not a CIFAR batch: expected a pickled dict, found "
                         f"{type(batch).__name__}.")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or label_key not in batch:
        raise ValueError(f"{fpath} is not a CIFAR batch: expected the keys 'data' and "
                         f"{label_key!r}, found {sorted(batch)}.")
    data, labels = batch["data"], batch[label_key]
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 \
            or len(labels) != data.shape[0]:
        raise ValueError(
            f"{fpath} is not a CIFAR batch: expected 'data' of shape (n, 3072) and n "
            f"labels, found {getattr(data, 'shape', type(data).__name__)} and "
            f"{len(labels)} labels.")
    return data.reshape(data.shape[0], 3, 32, 32), labels


def batches_folder(keras2_name, fname, origin, file_hash, inner_name, needed):
    """The folder holding the batch files, downloading and extracting if needed.

    A folder left by Keras 2 (``datasets/<keras2_name>/`` holding every file in
    ``needed``) is used as it is; otherwise the archive is fetched with Keras 3's names
    (``datasets/<fname>_archive``, extracted to ``datasets/<fname>/<inner_name>``).
    """
    keras2 = os.path.join(config.keras_home(), "datasets", keras2_name)
    if all(os.path.isfile(os.path.join(keras2, name)) for name in needed):
        return keras2
    path = get_file(fname=fname, origin=origin, extract=True, file_hash=file_hash)
    return os.path.join(path, inner_name)


def to_image_data_format(x):
    """Channels-first batches -> the configured ``image_data_format``."""
    if config.image_data_format() == "channels_last":
        return x.transpose(0, 2, 3, 1)
    return x
