"""What one training or test step computes, written once for every engine.

An engine's trainer only differentiates and applies: it hands ``StepPolicy.loss`` a
forward callable and differentiates the total it returns (torch ``backward``, JAX
``value_and_grad``), steps its optimizer, writes back ``constrain``'s values and calls
``update_metrics``. Everything that decides the numbers is here, so an engine cannot
leave one out:

- the logits scope (``logits.recording``): crossentropy of a softmax/sigmoid output is
  computed from its logits, as Keras 2 does, which differs when probabilities saturate;
- the layer-loss scope (``layer_losses.collecting``): activity regularizers and
  ``add_loss`` terms made during the forward pass join the total once;
- weight regularization, the compiled (weighted, per-output) loss;
- the constraints applied after the optimizer update;
- the loss trackers and metrics.

The code is written with ``keras_bridge.ops``, so it runs on eager torch tensors and on
JAX tracers alike. A pure engine passes the values it traces (``weight_values``,
``metric_values``); they are substituted for the stored ones while the regularizers and
metrics read and assign them.
"""

from keras_bridge import config, layer_losses, logits, ops
from keras_bridge.autocast import dtype_name
from keras_bridge.training.compile_utils import regularization_loss
from keras_bridge.variables import substitute


def _widened(output):
    """A 16-bit float output (a mixed precision model's) as floatx: losses and metrics
    compute in float32 as Keras 3's do (their dtype is floatx's). A softmax or sigmoid
    output keeps its logits, widened as well (``logits.widened``)."""
    if dtype_name(output) in ("float16", "bfloat16"):
        def cast(x):
            return ops.cast(x, config.floatx())
        return logits.widened(output, cast(output), cast)
    return output


class StepPolicy:
    """The step of ``model`` compiled with ``compiled`` (loss, metrics, optimizer).

    Attributes:
        compiled: the model's ``Compiled`` (``optimizer``: the engine optimizer).
        regularized: weights with a regularizer (trainable or not, as Keras).
        constrained: trainable weights with a constraint, in ``constrain``'s order.
        metric_variables: every metric weight, in ``update_metrics``' order.
        jit: whether the engine compiles the step (``compile``'s ``jit_compile`` and
            ``run_eagerly`` resolved for it: ``training/execution.py``).
    """

    def __init__(self, model, compiled, jit=False):
        self.compiled = compiled
        self.jit = jit
        self.regularized = [w for w in model.weights if w.regularizer is not None]
        self.constrained = [w for w in model.trainable_weights if w.constraint is not None]
        self.metric_variables = compiled.metrics.variables()

    @property
    def optimizer(self):
        return self.compiled.engine_optimizer

    def loss(self, forward, ys, sample_weight, weight_values=None):
        """Run ``forward()`` (-> list of outputs) and the loss inside the step's scopes.

        Returns ``(outputs, total, per_output)``: the total adds weight regularization
        and the losses layers added while ``forward`` ran. ``weight_values``
        (``{id(weight): value}``, a pure engine's traced values) is what the
        regularizers read instead of the stored weights.
        """
        with logits.recording(), layer_losses.collecting() as added:
            outputs = [_widened(o) for o in forward()]
            extra = None
            if self.regularized:
                if weight_values is None:
                    extra = regularization_loss(self.regularized)
                else:
                    with substitute(weight_values):
                        extra = regularization_loss(self.regularized)
            if added:
                extra = layer_losses.total([extra, *added])
            total, per_output = self.compiled.loss(ys, outputs, sample_weight, extra)
        return outputs, total, per_output

    def constrain(self, values):
        """New values for ``self.constrained`` given their values after the update; pure
        (no weight is written), so torch can assign them under ``no_grad`` and JAX can
        return them from its step."""
        return [w.constraint(v) for w, v in zip(self.constrained, values)]

    def update_metrics(self, ys, outputs, sample_weight, total, per_output,
                       metric_values=None):
        """Update the loss trackers and metrics for one batch.

        Eager engines leave ``metric_values`` None: the metric weights are assigned in
        place and None is returned. A pure engine passes the current values (aligned with
        ``metric_variables``) and gets their new values back; nothing is stored.
        """
        metrics = self.compiled.metrics
        if metric_values is None:
            metrics.update(ys, outputs, sample_weight, total, per_output)
            return None
        with substitute({id(v): a for v, a in zip(self.metric_variables, metric_values)}) \
                as scope:
            metrics.update(ys, outputs, sample_weight, total, per_output)
        return [scope.updates.get(id(v), a) for v, a in zip(self.metric_variables,
                                                            metric_values)]
