"""Keras 3's asset hooks: ``save_assets(dir_path)`` / ``load_assets(dir_path)``.

A layer that defines them keeps files (a lookup's ``vocabulary.txt``) in the ``.keras``
archive under ``assets/<path>/``, where ``<path>`` is the layer's path in the weights
file (``keras3_layout``: ``assets/layers/string_lookup/vocabulary.txt``; the model
itself: ``assets/``). Saving calls each hook on an empty folder of a temporary
directory and stores what it wrote; loading unpacks the archive's ``assets/`` members
to a temporary directory and calls each hook with its folder, or None when the file
has none (as Keras does). Weights files (``.weights.h5``) hold no assets.
"""

import os
import tempfile

from keras_bridge.saving.keras3_layout import saveables
from keras_bridge.saving.npz import InvalidFileError

ASSETS = "assets"


def _owners(model, method):
    """(path, layer) of each layer with ``method``, at its first path, in walk order."""
    seen, out = set(), []
    for s in saveables(model):
        if id(s.owner) not in seen:
            seen.add(id(s.owner))
            if callable(getattr(s.owner, method, None)):
                out.append((s.path, s.owner))
    return out


def _folder(root, path):
    return os.path.join(root, *path.split("/")) if path else root


def collect(model):
    """``{zip member name: bytes}`` of every file the model's ``save_assets`` hooks
    write (empty when no layer has one)."""
    owners = _owners(model, "save_assets")
    if not owners:
        return {}
    members = {}
    with tempfile.TemporaryDirectory(prefix="keras_bridge_assets_") as tmp:
        root = os.path.join(tmp, ASSETS)
        for path, layer in owners:
            folder = _folder(root, path)
            os.makedirs(folder, exist_ok=True)
            layer.save_assets(folder)
        for base, _, files in os.walk(root):
            for name in sorted(files):
                full = os.path.join(base, name)
                rel = os.path.relpath(full, tmp).replace(os.sep, "/")
                with open(full, "rb") as f:
                    members[rel] = f.read()
    return members


def _safe_name(name, where):
    parts = name.split("/")
    if name.startswith("/") or "\\" in name or any(p in ("..", "") for p in parts[:-1]):
        raise InvalidFileError(f"{where}: asset member {name!r} points outside the "
                               "archive's assets folder; refused.")
    return parts


def restore(model, members, where):
    """Call the model's ``load_assets`` hooks with the archive's ``assets/`` members
    (``{name: bytes}``) unpacked to a temporary directory."""
    owners = _owners(model, "load_assets")
    if not owners:
        return
    files = {n: data for n, data in members.items()
             if n.startswith(ASSETS + "/") and not n.endswith("/")}
    with tempfile.TemporaryDirectory(prefix="keras_bridge_assets_") as tmp:
        for name, data in files.items():
            full = os.path.join(tmp, *_safe_name(name, where))
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(data)
        root = os.path.join(tmp, ASSETS)
        for path, layer in owners:
            folder = _folder(root, path)
            layer.load_assets(folder if os.path.isdir(folder) else None)
