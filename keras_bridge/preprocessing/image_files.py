"""Iterators over image files: ``DirectoryIterator`` (``flow_from_directory``) and
``DataFrameIterator`` (``flow_from_dataframe``), sharing how files become batches.

Each file is read with ``load_img`` (resized to ``target_size``), transformed by the
``ImageDataGenerator``, and its label given by ``class_mode``: ``'categorical'``
(one-hot), ``'binary'`` (the class index as a float), ``'sparse'`` (the class index),
``'input'`` (the image itself, for autoencoders) or None (images only).
"""

import os

import numpy as np

from keras_bridge.preprocessing.image_io import (check_color_mode, check_data_format,
                                                 img_to_array, load_img)
from keras_bridge.preprocessing.image_iterators import Iterator, validation_split_range

__all__ = ["DirectoryIterator", "DataFrameIterator", "WHITE_LIST_FORMATS"]

WHITE_LIST_FORMATS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")
CLASS_MODES = ("categorical", "binary", "sparse", "input", None)
_CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}


def _is_image(name):
    return name.lower().endswith(tuple("." + ext for ext in WHITE_LIST_FORMATS))


def _files_under(folder, follow_links):
    """Image file paths under ``folder``, relative to it, in sorted walk order."""
    found = [os.path.relpath(os.path.join(root, name), folder)
             for root, _, files in os.walk(folder, followlinks=follow_links)
             for name in files if _is_image(name)]
    return sorted(found, key=lambda path: (os.path.dirname(path), os.path.basename(path)))


def _part(items, split):
    if split is None:
        return items
    return items[int(split[0] * len(items)):int(split[1] * len(items))]


class FileIterator(Iterator):
    """Batches from ``self.filenames`` (relative to ``self.directory``) and their
    integer ``self.classes``; subclasses fill those, then call ``_start``."""

    allowed_class_modes = CLASS_MODES

    def _configure(self, image_data_generator, target_size, color_mode, class_mode,
                   data_format, save_to_dir, save_prefix, save_format, subset,
                   interpolation, dtype):
        if class_mode not in self.allowed_class_modes:
            raise ValueError(f"Expected class_mode one of {list(self.allowed_class_modes)}."
                             f" Received: class_mode={class_mode!r}")
        self.image_data_generator = image_data_generator
        self.target_size = tuple(int(s) for s in target_size)
        self.color_mode = check_color_mode(color_mode)
        self.data_format = check_data_format(data_format)
        channels = _CHANNELS[color_mode]
        self.image_shape = self.target_size + (channels,) \
            if self.data_format == "channels_last" else (channels,) + self.target_size
        self.class_mode = class_mode
        self.save_to_dir, self.save_prefix = save_to_dir, save_prefix
        self.save_format = save_format
        self.split = validation_split_range(image_data_generator, subset)
        self.subset = subset
        self.interpolation = interpolation
        self.dtype = dtype

    def _start(self, batch_size, shuffle, seed):
        self.samples = len(self.filenames)
        self.classes = np.asarray(self.classes, dtype="int32")
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def filepaths(self):
        return [os.path.join(self.directory, name) for name in self.filenames]

    @property
    def labels(self):
        return self.classes

    def _labels_of(self, index_array, batch_x):
        if self.class_mode == "input":
            return batch_x.copy()
        if self.class_mode == "sparse":
            return self.classes[index_array]
        if self.class_mode == "binary":
            return self.classes[index_array].astype(self.dtype)
        one_hot = np.zeros((len(index_array), self.num_classes), dtype=self.dtype)
        one_hot[np.arange(len(index_array)), self.classes[index_array]] = 1
        return one_hot

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        for i, j in enumerate(index_array):
            img = load_img(os.path.join(self.directory, self.filenames[j]),
                           color_mode=self.color_mode, target_size=self.target_size,
                           interpolation=self.interpolation)
            batch_x[i] = self._transform(img_to_array(img, self.data_format, self.dtype))
            img.close()
        if self.save_to_dir:
            self._save(batch_x, index_array, 10 ** 7)
        if self.class_mode is None:
            return batch_x
        return batch_x, self._labels_of(index_array, batch_x)


class DirectoryIterator(FileIterator):
    """Images under ``directory/<class>/`` (any depth), one class per subdirectory.

    ``classes`` (default: the subdirectories, sorted) names the subdirectories to read
    and gives their indices (``class_indices``); ``filenames`` are paths relative to
    ``directory`` (``'cats/001.png'``), class by class, sorted; ``subset`` takes the
    first ``validation_split`` of each class's files for validation, the rest for
    training.
    """

    def __init__(self, directory, image_data_generator, target_size=(256, 256),
                 color_mode="rgb", classes=None, class_mode="categorical", batch_size=32,
                 shuffle=True, seed=None, data_format=None, save_to_dir=None,
                 save_prefix="", save_format="png", follow_links=False, subset=None,
                 interpolation="nearest", dtype="float32"):
        self._configure(image_data_generator, target_size, color_mode, class_mode,
                        data_format, save_to_dir, save_prefix, save_format, subset,
                        interpolation, dtype)
        if not os.path.isdir(directory):
            raise ValueError(f"Expected a directory of class subdirectories. Received: "
                             f"directory={directory!r}, which is not a directory.")
        self.directory = directory
        if not classes:
            classes = sorted(name for name in os.listdir(directory)
                             if os.path.isdir(os.path.join(directory, name)))
        self.num_classes = len(classes)
        self.class_indices = {name: index for index, name in enumerate(classes)}
        self.filenames, self.classes = [], []
        for name in classes:
            folder = os.path.join(directory, name)
            if not os.path.isdir(folder):
                raise ValueError(f"Class {name!r} has no subdirectory {folder!r}. Expected "
                                 "each name in `classes` to be a subdirectory of "
                                 "`directory`.")
            files = _part(_files_under(folder, follow_links), self.split)
            self.filenames += [os.path.join(name, f) for f in files]
            self.classes += [self.class_indices[name]] * len(files)
        print(f"Found {len(self.filenames)} images belonging to {self.num_classes} "
              "classes.")
        self._start(batch_size, shuffle, seed)


class DataFrameIterator(FileIterator):
    """Images named by a data frame's column ``x_col`` (relative to ``directory``),
    labelled by ``y_col``.

    The frame is read through ``frame[column]`` only (a pandas DataFrame, or a dict of
    lists). Rows whose file is missing are dropped, as are repeated file names;
    ``has_ext=False`` finds the file with any image extension. Classes default to the
    sorted distinct labels; ``class_mode='other'`` yields ``y_col``'s values as they
    are. ``subset`` splits the remaining rows in order (validation first).
    """

    allowed_class_modes = CLASS_MODES + ("other",)

    def __init__(self, dataframe, directory, image_data_generator, x_col="filename",
                 y_col="class", has_ext=True, target_size=(256, 256), color_mode="rgb",
                 classes=None, class_mode="categorical", batch_size=32, shuffle=True,
                 seed=None, data_format=None, save_to_dir=None, save_prefix="",
                 save_format="png", subset=None, interpolation="nearest",
                 dtype="float32"):
        self._configure(image_data_generator, target_size, color_mode, class_mode,
                        data_format, save_to_dir, save_prefix, save_format, subset,
                        interpolation, dtype)
        if not isinstance(x_col, str):
            raise ValueError(f"Expected x_col to be a column name (str). Received: "
                             f"x_col={x_col!r}")
        if classes and class_mode in ("other", "input", None):
            raise ValueError(f"classes cannot be set with class_mode={class_mode!r}.")
        self.directory = directory or ""
        names = [str(name) for name in list(dataframe[x_col])]
        labelled = class_mode not in ("input", None)
        labels = list(dataframe[y_col]) if labelled else [None] * len(names)
        on_disk = set(_files_under(self.directory, False))
        if not has_ext:
            stems = {}
            for path in sorted(on_disk):
                stems.setdefault(os.path.splitext(path)[0], path)
        rows, seen = [], set()
        for name, label in zip(names, labels):
            path = name if has_ext else stems.get(name)
            if path in on_disk and path not in seen:
                seen.add(path)
                rows.append((path, label))
        rows = _part(rows, self.split)
        self.filenames = [path for path, _ in rows]
        if class_mode == "other":
            self.data = np.asarray([label for _, label in rows])
            classes = []
        elif labelled and not classes:
            classes = sorted({label for _, label in rows})
        self.num_classes = len(classes or [])
        self.class_indices = {name: index for index, name in enumerate(classes or [])}
        if class_mode in ("categorical", "binary", "sparse"):
            unknown = [label for _, label in rows if label not in self.class_indices]
            if unknown:
                raise ValueError(f"Expected every label in classes={list(classes)}. "
                                 f"Received: labels {unknown}.")
            self.classes = [self.class_indices[label] for _, label in rows]
        else:
            self.classes = []
        print(f"Found {len(self.filenames)} images"
              + (f" belonging to {self.num_classes} classes." if self.num_classes else "."))
        self._start(batch_size, shuffle, seed)

    def _labels_of(self, index_array, batch_x):
        if self.class_mode == "other":
            return self.data[index_array]
        return super()._labels_of(index_array, batch_x)
