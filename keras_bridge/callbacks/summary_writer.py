"""One TensorBoard event file writer, behind the few calls the TensorBoard callback
makes (scalars, histograms, images, the model's config).

The event files are written by a maintained library, never by hand: tensorboardX (the
``tensorboard`` extra), or, when it is missing, ``torch.utils.tensorboard`` where torch
and the ``tensorboard`` package are installed. Both share the ``SummaryWriter`` API.
tensorboardX imports torch when torch is installed (to accept torch tensors), also under
the JAX engine.
"""

import importlib

from keras_bridge.utils.optional import require

_PURPOSE = "callbacks.TensorBoard"


def library():
    """``(SummaryWriter class, summary_pb2, tensor_pb2)`` of the first library found;
    an ImportError naming tensorboardX and the ``tensorboard`` extra when none is."""
    try:
        tbx = importlib.import_module("tensorboardX")
        proto = "tensorboardX.proto"
    except ImportError:
        try:
            tbx = importlib.import_module("torch.utils.tensorboard")
            proto = "tensorboard.compat.proto"
        except ImportError:
            require("tensorboardX", _PURPOSE, "tensorboard")  # raises, with the hint
            raise
    return (tbx.SummaryWriter, importlib.import_module(f"{proto}.summary_pb2"),
            importlib.import_module(f"{proto}.tensor_pb2"))


class EventWriter:
    """Events of one run (a folder such as ``logs/train``), created on first write."""

    def __init__(self, logdir, lib):
        self.logdir = logdir
        self._lib = lib
        self._writer = None

    @property
    def writer(self):
        if self._writer is None:
            self._writer = self._lib[0](self.logdir)
        return self._writer

    def scalar(self, tag, value, step):
        self.writer.add_scalar(tag, float(value), global_step=int(step))

    def histogram(self, tag, values, step):
        self.writer.add_histogram(tag, values, global_step=int(step))

    def images(self, tag, images, step):
        """``images`` of shape ``(n, height, width, channels)``, floats in [0, 1]."""
        self.writer.add_images(tag, images, global_step=int(step), dataformats="NHWC")

    def keras_model(self, tag, json_config, step):
        """The model's JSON config as TensorBoard's ``graph_keras_model`` summary, from
        which its Graphs tab draws the layers (what Keras writes with write_graph)."""
        summary_pb2, tensor_pb2 = self._lib[1], self._lib[2]
        metadata = summary_pb2.SummaryMetadata()
        metadata.plugin_data.plugin_name = "graph_keras_model"
        metadata.plugin_data.content = b"1"
        tensor = tensor_pb2.TensorProto(dtype=7, string_val=[json_config.encode()])  # DT_STRING
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(
            tag=tag, metadata=metadata, tensor=tensor)])
        self.writer._get_file_writer().add_summary(summary, int(step))

    def flush(self):
        if self._writer is not None:
            self._writer.flush()

    def close(self):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
