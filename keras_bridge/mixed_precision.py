"""``keras.mixed_precision`` (Keras 3's legacy names for the dtype policies).

``set_global_policy("mixed_bfloat16")`` makes layers created afterwards compute in
bfloat16 while their weights stay float32 (``"mixed_float16"``: float16). Give the
output layer ``dtype="float32"`` (``Activation("softmax", dtype="float32")``) for a
float32 softmax, as Keras's guide says; losses and metrics compute in float32 anyway.
Under ``mixed_float16``, ``compile`` wraps the optimizer in a ``LossScaleOptimizer``
(dynamic loss scaling, ``keras_bridge/optimizers/loss_scale.py``), as Keras 3 does.
"""

from keras_bridge.dtype_policies import DTypePolicy, global_policy, set_global_policy
from keras_bridge.optimizers import LossScaleOptimizer

Policy = DTypePolicy  # Keras 2's name, kept by Keras 3

__all__ = ["DTypePolicy", "LossScaleOptimizer", "Policy", "global_policy", "set_global_policy", "dtype_policy",
           "set_dtype_policy"]

dtype_policy = global_policy
set_dtype_policy = set_global_policy
