"""Hashing preprocessing (Keras 3's): Hashing, HashedCrossing.

The hashes run on the host (host_stage.py) with numpy ports of the TensorFlow functions
Keras 3 calls (hash_functions.py), so the bins are Keras 3's; the engine then encodes
the bin indices (one-hot, counts) as CategoryEncoding does. As with Keras 3, whose
layers call TensorFlow eagerly, they do not run inside a compiled program: in a model
they read model inputs, hashed before the engine runs.
"""

import numpy as np

from keras_bridge import config, ops
from keras_bridge.graph import KerasTensor
from keras_bridge.layers.base import Layer
from keras_bridge.layers.preprocessing.categorical import encode
from keras_bridge.layers.preprocessing.hash_functions import CROSS_HASH_KEY
from keras_bridge.layers.preprocessing.hash_functions import fingerprint64, fingerprint_cat64
from keras_bridge.layers.preprocessing.hash_functions import siphash64
from keras_bridge.layers.preprocessing.host_stage import HostLayer, is_text
from keras_bridge.utils import tree


def _host_array(x):
    """``x`` (host data or an eager engine tensor) as a numpy array."""
    if isinstance(x, (np.ndarray, str, bytes, int, float, list, tuple)) or np.isscalar(x):
        return np.asarray(x, dtype=object) if is_text(x) else np.asarray(x)
    return np.asarray(ops.convert_to_numpy(x))


def _as_bytes(values):
    """Each element as the bytes TensorFlow hashes: UTF-8 text, or the decimal form of
    an integer (``tf.as_string``)."""
    return [v if isinstance(v, bytes) else str(v).encode("utf-8") for v in values]


def _is_host(x):
    return not any(isinstance(t, KerasTensor) for t in tree.flatten(x)) and all(
        isinstance(t, (np.ndarray, str, bytes, int, float, np.generic, list, tuple))
        for t in tree.flatten(x))


def _sparse(sparse):
    if sparse:
        raise ValueError("sparse=True is not supported: keras_bridge has no sparse tensors "
                         "(Keras 3 allows it on the TensorFlow backend only).")
    return False


class Hashing(HostLayer, Layer):
    """Hashes strings or integers into ``num_bins`` bins, on the host.

    FarmHash64 (TensorFlow's Fingerprint64), or SipHash-2-4 keyed by ``salt``, of each
    value's string form (floats are cast to int64 first), modulo the bins. Eager calls
    take strings, numbers and engine tensors; in a model the layer reads a model input.

    Args:
        num_bins: the number of bins, the ``mask_value`` bin included.
        mask_value: inputs equal to it map to bin 0 (the others to 1..num_bins-1).
        salt: an int, or two ints (SipHash's key); None: FarmHash64.
        output_mode: 'int', 'one_hot', 'multi_hot' or 'count'.
        sparse: must be False.
    """

    _host_data = "strings or numbers"

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else config.floatx()
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError("The `num_bins` for `Hashing` cannot be `None` or non-positive "
                             f"values. Received: num_bins={num_bins}.")
        modes = ("int", "one_hot", "multi_hot", "count")
        if output_mode not in modes:
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of "
                             f"{modes}. Received: output_mode={output_mode}")
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError('When `output_mode="int"`, `dtype` should be an integer type, '
                             f"'int32' or 'int64'. Received: dtype={self.dtype}")
        if salt is not None and not (isinstance(salt, int) or (
                isinstance(salt, (list, tuple)) and len(salt) == 2
                and all(isinstance(s, int) for s in salt))):
            raise ValueError("The `salt` argument for `Hashing` can only be a tuple of size 2 "
                             f"integers, or a single integer. Received: salt={salt}.")
        self.num_bins, self.mask_value, self.output_mode = int(num_bins), mask_value, output_mode
        self.salt = None if salt is None else [salt, salt] if isinstance(salt, int) \
            else list(salt)
        self.strong_hash = self.salt is not None
        self.sparse = _sparse(sparse)

    def host_input(self, inputs):
        return _is_host(inputs) or not self._fed_by_host_stage

    def host_encode(self, inputs):
        """Inputs (strings or numbers, any shape) to their int64 bins."""
        values = _host_array(inputs)
        if values.dtype.kind not in "iuf" and not is_text(values):
            raise ValueError(f"Hashing {self.name!r} takes strings or numbers. Received "
                             f"values of dtype {values.dtype}.")
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = values == self.mask_value
        if values.dtype.kind == "f":
            values = values.astype("int64")
        flat = _as_bytes(values.reshape(-1).tolist())
        hashes = siphash64(flat, self.salt) if self.strong_hash else fingerprint64(flat)
        out = (hashes % np.uint64(bins)).astype("int64").reshape(values.shape)
        return out if mask is None else np.where(mask, 0, out + 1)

    def call(self, inputs):
        return encode(inputs, self.output_mode, self.num_bins, self.dtype)

    def compute_output_dtype(self, input_dtype):
        return self.dtype

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        if not shape:
            return (self.num_bins,)
        if self.output_mode == "one_hot" and shape[-1] != 1:
            return shape + (self.num_bins,)
        return shape[:-1] + (self.num_bins,)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode,
                "sparse": self.sparse}


class HashedCrossing(HostLayer, Layer):
    """Crosses two or more scalar features into ``num_bins`` bins (the hashing trick), on
    the host, as ``tf.sparse.cross_hashed`` does: strings are fingerprinted
    (FarmHash64), integers used as they are, the values chained with FingerprintCat64.

    Call it on a tuple of features of shape (), (batch,) or (batch, 1), all alike, of
    strings or integers.

    Args:
        num_bins: the number of bins.
        output_mode: 'int' or 'one_hot'.
        sparse: must be False.
    """

    _host_data = "a tuple of string or integer features"

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.sparse = _sparse(sparse)
        if output_mode not in ("int", "one_hot"):
            raise ValueError(f"The `output_mode` argument of HashedCrossing must be one of "
                             f"'int', 'one_hot'. Received: output_mode={output_mode!r}")
        self.num_bins, self.output_mode = int(num_bins), output_mode

    def _check_features(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError("`HashedCrossing` should be called on a list or tuple of "
                             f"inputs. Received: inputs={inputs}")
        if len(inputs) < 2:
            raise ValueError("`HashedCrossing` should be called on at least two inputs. "
                             f"Received: inputs={inputs}")

    def host_input(self, inputs):
        self._check_features(inputs)
        return _is_host(inputs) or not self._fed_by_host_stage

    def host_encode(self, inputs):
        """The features to their crossed int64 bins, returned in the place of each
        feature (the engine's ``call`` reads the first)."""
        self._check_features(inputs)
        features = [_host_array(x) for x in inputs]
        shape = features[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError("All `HashedCrossing` inputs should have shape `()`, "
                             f"`(batch_size)` or `(batch_size, 1)`. Received shapes: "
                             f"{[f.shape for f in features]}")
        if any(f.shape != shape for f in features):
            raise ValueError("All `HashedCrossing` inputs should have equal shape. Received "
                             f"shapes: {[f.shape for f in features]}")
        crossed = np.full(int(np.prod(shape)), CROSS_HASH_KEY, np.uint64)
        for f in features:
            if is_text(f):
                hashes = fingerprint64(_as_bytes(f.reshape(-1).tolist()))
            elif f.dtype.kind in "iu":
                hashes = f.reshape(-1).astype("int64").view(np.uint64)
            else:
                raise ValueError("All `HashedCrossing` inputs should have an integer or "
                                 f"string dtype. Received dtypes: "
                                 f"{[str(f.dtype) for f in features]}")
            crossed = fingerprint_cat64(crossed, hashes)
        bins = (crossed % np.uint64(self.num_bins)).astype("int64").reshape(shape)
        return type(inputs)(bins for _ in inputs)

    def call(self, inputs):
        return encode(inputs[0], self.output_mode, self.num_bins, self.compute_dtype
                      if self.output_mode != "int" else self.dtype)

    def compute_output_dtype(self, input_dtype):
        return self.dtype if self.output_mode == "int" else self.compute_dtype

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 2 or \
                not all(isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError("Expected as input a list/tuple of 2 or more tensors. "
                             f"Received input_shape={input_shape}")
        shape = tuple(input_shape[0])
        if self.output_mode == "int":
            return shape
        if shape and shape[-1] == 1:
            return shape[:-1] + (self.num_bins,)
        return shape + (self.num_bins,)

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype}
