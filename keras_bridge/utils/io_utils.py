"""Keras 2's ``keras.utils.io_utils``. keras_bridge reads no HDF5 files (see the
README, "Saving and loading"), so ``HDF5Matrix`` raises with the alternatives."""


class HDF5Matrix:
    """Not supported: raises ``NotImplementedError`` naming the alternatives."""

    def __init__(self, datapath, dataset, start=0, end=None, normalizer=None):
        raise NotImplementedError(
            f"HDF5Matrix({datapath!r}, {dataset!r}) is not supported: keras_bridge does not "
            "read HDF5 files. Load the dataset into a numpy array (with h5py: "
            "h5py.File(path, 'r')[dataset][start:end]) and pass that to fit(), or wrap "
            "the reads in a keras_bridge.utils.Sequence that returns one batch at a time.")


__all__ = ["HDF5Matrix"]
