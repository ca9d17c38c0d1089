"""``SavingMixin``: the saving methods of ``Model`` (save, save_weights, load_weights,
to_json, get_config, from_config). It holds no state but a loaded optimizer state
waiting for training to start (``_pending_optimizer_state``)."""

import json

from keras_bridge.saving.archive import save_model
from keras_bridge.saving.functional import graph_model_from_config, model_config, model_to_dict
from keras_bridge.saving.object_registration import scope_for
from keras_bridge.saving.optimizer_state import apply_pending_optimizer_state
from keras_bridge.saving.safe_mode import in_safe_mode, refuse_lambda
from keras_bridge.saving import weights_file


class SavingMixin:
    """Saving and loading methods mixed into ``Model`` (before ``Layer`` in its bases,
    so that ``get_config`` / ``from_config`` give the model's architecture)."""

    _pending_optimizer_state = None  # a PendingOptimizerState after load_model

    def save(self, filepath, overwrite=True, include_optimizer=True, **kwargs):
        """Save the model to a ``.keras`` archive: architecture, weights and, when
        compiled, the training configuration and optimizer state.

        Args:
            filepath: Path ending in ``.keras``.
            overwrite: If False, an existing file is an error.
            include_optimizer: Whether to save the compile configuration and optimizer
                state (Keras 2's argument).
            **kwargs: ``save_format='keras'`` is accepted; other formats are errors.

        Example:
            model.save("my_model.keras")
            restored = keras_bridge.models.load_model("my_model.keras")
        """
        save_format = kwargs.pop("save_format", None)
        if save_format not in (None, "keras"):
            raise ValueError(f"save_format={save_format!r} is not supported; keras_bridge "
                             "saves the .keras format (save_format='keras').")
        if kwargs:
            raise TypeError(f"save() got unexpected arguments {sorted(kwargs)}.")
        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """Write the weights (Keras layout, any engine) to a ``.weights.npz`` file.

        Example:
            model.save_weights("ckpt.weights.npz")
        """
        weights_file.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False):
        """Load weights saved by ``save_weights`` (or from a ``.keras`` archive).

        Weights match by structure: layer order and weight order, as Keras 3. The whole
        file is checked first; a missing weight, a wrong shape or another architecture
        is an error naming the layer and both shapes, and no weight changes.

        Args:
            filepath: A ``.weights.npz`` or ``.keras`` path.
            skip_mismatch: Skip (with a warning) layers whose weights do not match,
                instead of raising.
            by_name: Keras 2's matching by layer name: layers whose name is in the file
                are loaded, the others are left as they are.
        """
        weights_file.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (``json.dumps`` keyword arguments such as
        ``indent=2`` are passed on); ``model_from_json`` rebuilds it."""
        return json.dumps(model_to_dict(self), **kwargs)

    def to_yaml(self, **kwargs):
        """Removed (tf.keras 2.6+, Keras 3): raises, pointing at ``to_json``."""
        from keras_bridge.models.cloning import YAML_REMOVED
        raise RuntimeError(YAML_REMOVED.format(what="Model.to_yaml()"))

    def get_config(self):
        """The architecture as plain values: a Sequential's layer configs, or a
        functional model's ``layers`` / ``input_layers`` / ``output_layers``."""
        return model_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new model of this class from ``get_config``'s output."""
        safe_mode = in_safe_mode()
        with scope_for(custom_objects):
            if safe_mode:
                refuse_lambda(config)
            return graph_model_from_config(cls, config, custom_objects, safe_mode)


__all__ = ["SavingMixin", "apply_pending_optimizer_state"]
