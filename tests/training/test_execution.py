"""compile(steps_per_execution=..., jit_compile=..., run_eagerly=...)."""

import warnings

import numpy as np
import pytest

from keras_bridge import backends, callbacks, config
from keras_bridge.layers import Dense
from keras_bridge.models import Sequential, load_model
from keras_bridge.saving.compile_config import compile_arguments


def _data(n=38):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, rng.integers(0, 3, n)


def _model(weights=None, optimizer="adam", **execution):
    model = Sequential([Dense(5, activation="relu", input_shape=(4,)),
                        Dense(3, activation="softmax")])
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"],
                  **execution)
    if weights is not None:
        model.set_weights(weights)
    return model


def _steps(log, kind):
    hooks = {f"on_{kind}_batch_begin": lambda batch, logs=None: log.append(("b", batch)),
             f"on_{kind}_batch_end": lambda batch, logs=None: log.append(("e", batch))}
    return callbacks.LambdaCallback(**hooks)


def _same_run(a, b, x, y, rtol=0.0, atol=0.0):
    """Two models fitted, evaluated and predicted alike give the same numbers."""
    ha = a.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    hb = b.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for key in ha.history:
        np.testing.assert_allclose(hb.history[key], ha.history[key], rtol=rtol, atol=atol)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wb, wa, rtol=rtol, atol=atol)
    x, y = x[:32], y[:32]  # whole batches only: fewer compiles to wait for
    np.testing.assert_allclose(b.evaluate(x, y, batch_size=8, verbose=0),
                               a.evaluate(x, y, batch_size=8, verbose=0), rtol=rtol, atol=atol)
    np.testing.assert_allclose(b.predict(x, batch_size=8), a.predict(x, batch_size=8),
                               rtol=rtol, atol=atol)


def test_steps_per_execution_matches_single_steps(backend, capsys):
    """38 samples in batches of 8: 4 full batches and one of 6. With 4 steps per
    execution: one full execution (one lax.scan on JAX) and the tail as a single step;
    the numbers are those of 5 single steps."""
    x, y = _data()
    a = _model()
    b = _model(a.get_weights(), steps_per_execution=4)
    assert b.steps_per_execution == 4
    _same_run(a, b, x, y)
    if backend == "jax":  # the scan and the partial batch's step; no retrace per epoch
        assert b._trainer.traces == 2
    log = []
    b.fit(x, y, batch_size=8, epochs=1, verbose=1, callbacks=[_steps(log, "train")])
    assert log == [("b", 0), ("e", 3), ("b", 4), ("e", 4)]  # Keras 3's indices
    assert "38/38" in capsys.readouterr().out  # the bar counts every sample
    log = []
    b.evaluate(x[:32], y[:32], batch_size=8, verbose=0, callbacks=[_steps(log, "test")])
    out = b.predict(x[:32], batch_size=8, callbacks=[_steps(log, "predict")])
    assert out.shape == (32, 3) and log == [("b", 0), ("e", 3)] * 2


def test_execution_argument_errors(backend):
    model = _model()
    for bad, match in [({"steps_per_execution": 0}, "steps_per_execution"),
                       ({"steps_per_execution": True}, "steps_per_execution"),
                       ({"steps_per_execution": "2"}, "steps_per_execution"),
                       ({"jit_compile": "xla"}, "jit_compile"),
                       ({"run_eagerly": "yes"}, "run_eagerly")]:
        with pytest.raises(ValueError, match=match):
            model.compile("sgd", "mse", **bad)
    assert model.steps_per_execution == 1 and model.optimizer.name == "adam"  # unchanged
    assert model.jit_compile is (backend == "jax")  # "auto": JAX jits, torch eager
    with pytest.warns(UserWarning, match="Disabling `jit_compile`"):
        model.compile("sgd", "mse", jit_compile=True, run_eagerly=True)
    assert model.jit_compile is False and model.run_eagerly is True


def test_saved_file_keeps_execution_arguments_as_given(backend, tmp_path):
    x, y = _data(16)
    model = _model(steps_per_execution=3)
    model.fit(x, y, batch_size=8, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.steps_per_execution == 3 and loaded.jit_compile is (backend == "jax")
    # Keras 3 writes its engine's resolved jit_compile (True from JAX): not restored.
    saved = {"optimizer": {"class_name": "SGD", "config": {}, "registered_name": None},
             "loss": "mse", "metrics": None, "loss_weights": None, "jit_compile": True,
             "steps_per_execution": 2, "run_eagerly": False}
    args = compile_arguments(saved)
    assert "jit_compile" not in args and args["steps_per_execution"] == 2


def _require(name):
    if not backends.is_available(name):
        pytest.skip(f"{name} is not installed")
    config.set_backend(name)


def test_jax_run_eagerly_matches_jit():
    """Op by op (no jax.jit) gives the jitted step's numbers up to XLA's fusion of the
    float32 arithmetic (a few ulp)."""
    _require("jax")
    x, y = _data(16)
    a = _model()
    b = _model(a.get_weights(), run_eagerly=True)
    _same_run(a, b, x, y, rtol=1e-5, atol=1e-6)
    assert b._trainer.traces == 4  # the step's Python ran for each of the 4 batches


def test_torch_compiled_step_matches_eager():
    """torch.compile (TorchInductor) fuses and reorders the float32 arithmetic of the
    update (and, off the CPU, of the forward and backward passes): equal to eager up to
    rounding."""
    _require("torch")
    from keras_bridge.backends.torch.training import compiles_forward
    x, y = _data(16)
    a = _model()
    b = _model(a.get_weights(), jit_compile=True)
    assert b.jit_compile is True
    _same_run(a, b, x, y, rtol=1e-5, atol=1e-6)
    trainer = b._trainer
    optimizer = trainer.optimizer
    assert optimizer._update != optimizer.torch_optimizer.step  # the update compiled
    assert (trainer._loss != trainer._forward_and_loss) == compiles_forward(trainer.device)


@pytest.mark.parametrize("name", ["adam", "sgd_schedule_clipnorm", "rmsprop"])
def test_torch_compiled_update_matches_eager_and_stops_recompiling(name):
    """The compiled update gets the learning rate, Adam's per-step epsilon and the
    clipping as dynamic inputs: a long run matches eager and compiles a bounded number
    of graphs (each float specialized once, then dynamic), not one per step."""
    _require("torch")
    import torch._dynamo
    from torch._dynamo.utils import counters
    from keras_bridge import optimizers

    def make():
        return {"adam": optimizers.Adam(0.01),
                "sgd_schedule_clipnorm": optimizers.SGD(
                    optimizers.schedules.ExponentialDecay(0.05, 4, 0.5), momentum=0.9,
                    clipnorm=0.5),
                "rmsprop": optimizers.RMSprop(0.01)}[name]
    x, y = _data(64)
    a = _model(optimizer=make())
    torch._dynamo.reset()
    counters.clear()
    b = _model(a.get_weights(), optimizer=make(), jit_compile=True)
    a.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    b.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)  # 16 steps
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wb, wa, rtol=1e-5, atol=1e-6)
    assert counters["stats"]["unique_graphs"] <= 6


def test_torch_compiled_loss_has_no_graph_breaks():
    """The compiled region (forward and loss: the logits scope of a softmax output, the
    sparse crossentropy, the sample weighting) traces into one dynamo graph: a break
    would cut the step into small graphs run from Python."""
    _require("torch")
    import torch
    x, y = _data(8)
    model = _model()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # binds the trainer
    trainer = model._trainer
    xs, ys = trainer.program.to_device([x]), trainer.program.to_device([y])
    sw = trainer.program.to_device([np.linspace(0.5, 1.5, 8, dtype=np.float32)])[0]
    torch._dynamo.reset()
    with warnings.catch_warnings():  # dynamo reads .grad of non-leaf tensors (harmless)
        warnings.filterwarnings("ignore", "The .grad attribute", UserWarning)
        report = torch._dynamo.explain(trainer._forward_and_loss)(xs, ys, sw, True)
    assert report.graph_break_count == 0, report.break_reasons
    assert report.graph_count == 1
