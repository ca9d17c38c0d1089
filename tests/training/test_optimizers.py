"""Optimizers: Keras's update math on each engine against a numpy reference written
here from Keras 3's sources (keras/src/optimizers/*.py), torch against JAX, the
learning rate and step count, configs and errors."""

import numpy as np
import pytest

from keras_bridge import backends
from keras_bridge import config, optimizers
from keras_bridge.variables import Weight

from conftest import both_backends

RTOL, ATOL = 1e-5, 1e-6
SHAPES = [(3, 4), (4,), (2,)]  # the 2-D weight is stored transposed on torch (Dense layout)
_rng = np.random.default_rng(0)
INITIAL = [_rng.normal(size=s).astype("float32") for s in SHAPES]
GRADS = [[(_rng.normal(size=s) * 2).astype("float32") for s in SHAPES] for _ in range(6)]


# ---------------------------------------------------------------- numpy reference
class Reference:
    """Keras 3's optimizer step, transcribed to numpy (float64)."""

    def __init__(self, opt):
        self.c = opt.get_config()
        self.c["decay"] = opt.decay
        self.algorithm = opt.algorithm
        self.weights = [w.astype(np.float64) for w in INITIAL]
        self.iterations = 0
        self.slots = {}
        self.u_product = 1.0

    def slot(self, name, i, initial=0.0):
        return self.slots.setdefault((name, i), np.full(SHAPES[i], initial))

    def clip(self, grads):  # base_optimizer._clip_gradients
        c = self.c
        if c["clipnorm"]:
            return [g * c["clipnorm"] / max(np.sqrt(np.sum(g * g)), c["clipnorm"]) for g in grads]
        if c["global_clipnorm"]:
            n = np.sqrt(sum(np.sum(g * g) for g in grads))
            return [g * c["global_clipnorm"] * min(1 / n, 1 / c["global_clipnorm"]) for g in grads]
        if c["clipvalue"]:
            return [np.clip(g, -c["clipvalue"], c["clipvalue"]) for g in grads]
        return grads

    def step(self, grads, learning_rate=None):
        c = self.c
        lr = c["learning_rate"] if learning_rate is None else learning_rate
        lr = lr / (1 + c["decay"] * self.iterations)  # Keras 2 time-based decay
        grads = self.clip([g.astype(np.float64) for g in grads])
        if c["weight_decay"]:
            self.weights = [w - w * c["weight_decay"] * lr for w in self.weights]
        t = self.iterations + 1
        if self.algorithm == "nadam":
            self.u_product *= c["beta_1"] * (1 - 0.5 * 0.96 ** t)
        self.weights = [self.update(i, g, w, lr, t) for i, (g, w) in
                        enumerate(zip(grads, self.weights))]
        self.iterations += 1

    def update(self, i, g, w, lr, t):
        c, a = self.c, self.algorithm
        if a == "sgd":
            if not c["momentum"]:
                return w - lr * g
            m = self.slots[("momentum", i)] = c["momentum"] * self.slot("momentum", i) - lr * g
            return w + (c["momentum"] * m - lr * g if c["nesterov"] else m)
        if a == "adam":
            b1, b2 = c["beta_1"], c["beta_2"]
            m = self.slots[("momentum", i)] = self.slot("momentum", i) * b1 + (1 - b1) * g
            v = self.slots[("velocity", i)] = self.slot("velocity", i) * b2 + (1 - b2) * g * g
            if c["amsgrad"]:
                v = self.slots[("velocity_hat", i)] = np.maximum(self.slot("velocity_hat", i), v)
            alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            return w - m * alpha / (np.sqrt(v) + c["epsilon"])
        if a == "rmsprop":
            rho = c["rho"]
            v = self.slots[("velocity", i)] = rho * self.slot("velocity", i) + (1 - rho) * g * g
            if c["centered"]:
                avg = self.slots[("average_gradient", i)] = (
                    rho * self.slot("average_gradient", i) + (1 - rho) * g)
                denominator = v - avg ** 2 + c["epsilon"]
            else:
                denominator = v + c["epsilon"]
            increment = lr * g / np.sqrt(denominator)
            if c["momentum"] > 0:
                increment = self.slots[("momentum", i)] = (
                    c["momentum"] * self.slot("momentum", i) + increment)
            return w - increment
        if a == "adagrad":
            acc = self.slots[("accumulator", i)] = (
                self.slot("accumulator", i, c["initial_accumulator_value"]) + g * g)
            return w - lr * g / np.sqrt(acc + c["epsilon"])
        if a == "adadelta":
            rho, eps = c["rho"], c["epsilon"]
            ag = self.slots[("accumulated_grad", i)] = (
                rho * self.slot("accumulated_grad", i) + (1 - rho) * g * g)
            ad = self.slot("accumulated_delta_var", i)
            delta = -np.sqrt(ad + eps) * g / np.sqrt(ag + eps)
            self.slots[("accumulated_delta_var", i)] = rho * ad + (1 - rho) * delta ** 2
            return w + lr * delta
        if a == "adamax":
            b1, b2 = c["beta_1"], c["beta_2"]
            m = self.slots[("momentum", i)] = self.slot("momentum", i) * b1 + (1 - b1) * g
            u = self.slots[("norm", i)] = np.maximum(b2 * self.slot("norm", i), np.abs(g))
            return w - lr * m / ((1 - b1 ** t) * (u + c["epsilon"]))
        if a == "nadam":
            b1, b2 = c["beta_1"], c["beta_2"]
            u_t = b1 * (1 - 0.5 * 0.96 ** t)
            u_next = b1 * (1 - 0.5 * 0.96 ** (t + 1))
            u_product_next = self.u_product * u_next
            m = self.slots[("momentum", i)] = self.slot("momentum", i) * b1 + (1 - b1) * g
            v = self.slots[("velocity", i)] = self.slot("velocity", i) * b2 + (1 - b2) * g * g
            m_hat = u_next * m / (1 - u_product_next) + (1 - u_t) * g / (1 - self.u_product)
            v_hat = v / (1 - b2 ** t)
            return w - m_hat * lr / (np.sqrt(v_hat) + c["epsilon"])
        raise AssertionError(a)


# ---------------------------------------------------------------- engines
def bound_weights(backend_name):
    weights = [Weight(f"w{i}", s, "float32", v.copy()) for i, (s, v) in
               enumerate(zip(SHAPES, INITIAL))]
    if backend_name == "torch":
        from keras_bridge.backends.torch.storage import Slot, make_tensor
        transpose = lambda t: t.t()  # noqa: E731  (Dense kernels are stored (out, in))
        weights[0].bind(Slot(make_tensor(weights[0], "cpu", transpose), transpose))
        for w in weights[1:]:
            backends.get("torch").bind_weight(w, "cpu")
    else:
        for w in weights:
            backends.get(backend_name).bind_weight(w, "cpu")
    return weights


class Runner:
    """Drives an optimizer spec on one engine the way the training loops do."""

    def __init__(self, opt, backend_name):
        self.opt, self.backend_name = opt, backend_name
        self.weights = bound_weights(backend_name)
        self.engine = opt.bind(backend_name, self.weights)
        self.traces = 0
        if backend_name == "jax":
            import jax

            def update(grads, state, params):
                self.traces += 1  # runs at trace time only
                return self.engine.update(grads, state, params)

            self.params = [w.value for w in self.weights]
            self.engine.init(self.params)
            self.update = jax.jit(update)

    def step(self, grads):
        if self.backend_name == "torch":
            import torch
            for w, g in zip(self.weights, grads):
                w.slot.tensor.grad = torch.from_numpy(g.T.copy() if w.slot.layout else g.copy())
            self.engine.step()
        else:
            import jax.numpy as jnp
            self.params, self.engine.state = self.update(
                [jnp.asarray(g) for g in grads], self.engine.state, self.params)

    def values(self):
        if self.backend_name == "jax":
            for w, p in zip(self.weights, self.params):
                w.slot.array = p
        return [w.numpy() for w in self.weights]


CASES = {
    "sgd": lambda: optimizers.SGD(learning_rate=0.1),
    "sgd_momentum": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9),
    "sgd_nesterov": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.8, nesterov=True),
    "sgd_weight_decay": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, weight_decay=0.05),
    "adam": lambda: optimizers.Adam(learning_rate=0.05),
    "adam_amsgrad": lambda: optimizers.Adam(learning_rate=0.05, beta_2=0.9, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(learning_rate=0.05, weight_decay=0.1),
    "rmsprop": lambda: optimizers.RMSprop(learning_rate=0.01),
    "rmsprop_rho_momentum": lambda: optimizers.RMSprop(learning_rate=0.01, rho=0.5, momentum=0.7),
    "rmsprop_centered": lambda: optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    "adagrad": lambda: optimizers.Adagrad(learning_rate=0.1),
    "adagrad_zero_init": lambda: optimizers.Adagrad(learning_rate=0.1,
                                                    initial_accumulator_value=0.0),
    "adadelta": lambda: optimizers.Adadelta(learning_rate=1.0, rho=0.5, epsilon=1e-4),
    "adamax": lambda: optimizers.Adamax(learning_rate=0.05),
    "nadam": lambda: optimizers.Nadam(learning_rate=0.05),
    "clipnorm": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.5, clipnorm=1.0),
    "clipvalue": lambda: optimizers.Adam(learning_rate=0.05, clipvalue=0.5),
    "global_clipnorm": lambda: optimizers.RMSprop(learning_rate=0.01, global_clipnorm=2.0),
}

_runs = {}


def run_case(name, backend_name):
    """Final weights and optimizer state after all of GRADS (cached per engine)."""
    key = (name, backend_name)
    if key not in _runs:
        opt = CASES[name]()
        runner = Runner(opt, backend_name)
        for grads in GRADS:
            runner.step(grads)
        _runs[key] = (opt, runner.values(), runner.engine.state_dict())
    return _runs[key]


def reference_run(opt, lrs=None):
    ref = Reference(opt)
    for k, grads in enumerate(GRADS):
        ref.step(grads, None if lrs is None else lrs[k])
    return ref


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras_formula(backend, name):
    opt, values, state = run_case(name, backend)
    ref = reference_run(opt)
    for got, want in zip(values, ref.weights):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    assert opt.iterations == len(GRADS) and int(state["iterations"]) == len(GRADS)
    for (slot, i), want in ref.slots.items():  # the state, in Keras's names and layout
        np.testing.assert_allclose(state[f"{i}/{slot}"], want, rtol=RTOL, atol=ATOL)


@both_backends()
@pytest.mark.parametrize("name", sorted(CASES))
def test_torch_matches_jax(name):
    _, torch_values, torch_state = run_case(name, "torch")
    _, jax_values, jax_state = run_case(name, "jax")
    for a, b in zip(torch_values, jax_values):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    assert sorted(torch_state) == sorted(jax_state)
    for key in torch_state:
        np.testing.assert_allclose(torch_state[key], jax_state[key], rtol=RTOL, atol=ATOL)


def test_legacy_lr_and_decay(backend):
    with pytest.warns(DeprecationWarning, match="learning_rate"):
        with pytest.warns(DeprecationWarning, match="decay"):
            opt = optimizers.SGD(lr=0.2, momentum=0.5, decay=0.1)
    assert opt.learning_rate == 0.2 and opt.decay == 0.1
    runner = Runner(opt, backend)
    for grads in GRADS:
        runner.step(grads)
    assert opt.learning_rate == 0.2  # the base rate; decay applies per step
    for got, want in zip(runner.values(), reference_run(opt).weights):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_legacy_decay_adam_and_config(backend):
    with pytest.warns(DeprecationWarning, match="decay"):
        opt = optimizers.Adam(learning_rate=0.05, decay=0.5)
    runner = Runner(opt, backend)
    for grads in GRADS:
        runner.step(grads)
    for got, want in zip(runner.values(), reference_run(opt).weights):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    restored = optimizers.Adam.from_config(opt.get_config())  # no warning from a config
    assert restored.decay == 0.5


@pytest.mark.parametrize("name", ["sgd_momentum", "adam", "rmsprop_rho_momentum"])
def test_learning_rate_change_between_steps(backend, name):
    opt = CASES[name]()
    runner = Runner(opt, backend)
    lrs = []
    for k, grads in enumerate(GRADS):
        if k == 3:
            opt.learning_rate = opt.learning_rate / 4
        lrs.append(opt.learning_rate)
        runner.step(grads)
    assert lrs[2] != lrs[3]
    ref = Reference(CASES[name]())
    for grads, lr in zip(GRADS, lrs):
        ref.step(grads, lr)
    for got, want in zip(runner.values(), ref.weights):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    assert opt.iterations == len(GRADS)
    if backend == "jax":
        assert runner.traces == 1  # the rate is state, not a constant: no retrace


def test_learning_rate_set_before_binding(backend):
    opt = optimizers.Adam()
    opt.learning_rate = 0.05
    runner = Runner(opt, backend)
    assert opt.learning_rate == pytest.approx(0.05) and opt.iterations == 0
    for grads in GRADS:
        runner.step(grads)
    for got, want in zip(runner.values(), reference_run(optimizers.Adam(0.05)).weights):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    assert opt.get_config()["learning_rate"] == pytest.approx(0.05)


@both_backends()
def test_state_moves_between_engines():
    """Three steps on torch, the state loaded into JAX, three more: as six on torch."""
    opt = optimizers.Nadam(learning_rate=0.05)
    torch_runner = Runner(opt, "torch")
    for grads in GRADS[:3]:
        torch_runner.step(grads)
    jax_runner = Runner(optimizers.Nadam(learning_rate=0.05), "jax")
    jax_runner.params = [np.asarray(v) for v in torch_runner.values()]
    jax_runner.engine.load_state_dict(torch_runner.engine.state_dict())
    assert jax_runner.engine.iterations == 3
    for grads in GRADS[3:]:
        jax_runner.step(grads)
    _, values, _ = run_case("nadam", "torch")
    for a, b in zip(jax_runner.values(), values):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    back = Runner(optimizers.Nadam(learning_rate=0.05), "torch")
    back.engine.load_state_dict(jax_runner.engine.state_dict())
    assert back.engine.iterations == len(GRADS)
    with pytest.raises(ValueError, match="missing keys"):
        back.engine.load_state_dict({"iterations": np.asarray(0)})


def test_state_dict_round_trip_on_engine(backend):
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    runner = Runner(opt, backend)
    runner.step(GRADS[0])
    saved = runner.engine.state_dict()
    fresh = Runner(optimizers.SGD(learning_rate=0.3, momentum=0.9), backend)
    fresh.engine.load_state_dict(saved)
    assert fresh.opt.learning_rate == pytest.approx(0.1) and fresh.opt.iterations == 1
    for key, value in fresh.engine.state_dict().items():
        np.testing.assert_allclose(value, saved[key])
    bad = dict(saved, **{"0/momentum": np.zeros((4, 3))})
    with pytest.raises(ValueError, match="shape"):
        fresh.engine.load_state_dict(bad)



def test_restored_state_is_loaded_when_bound(backend):
    """A saved state waits on the optimizer and is loaded when it is bound, matched to
    the weights by identity, not by their order."""
    runner = Runner(optimizers.SGD(learning_rate=0.1, momentum=0.9), backend)
    runner.step(GRADS[0])
    saved = {k: np.asarray(v) for k, v in runner.engine.state_dict().items()}
    weights = bound_weights(backend)
    opt = optimizers.SGD(learning_rate=0.3, momentum=0.9)
    opt.restore_state(weights, saved, "a test state")
    # Before binding the optimizer reads the waiting state (what training starts from).
    assert opt.iterations == 1 and opt.learning_rate == pytest.approx(0.1)
    assert opt.state_for_saving() == (weights, saved)
    engine = opt.bind(backend, weights[::-1])
    assert opt.iterations == 1 and opt.learning_rate == pytest.approx(0.1)
    state = engine.state_dict()
    last = len(weights) - 1
    for j in range(len(weights)):
        np.testing.assert_allclose(state[f"{j}/momentum"], saved[f"{last - j}/momentum"])
    with pytest.raises(ValueError, match="already bound"):
        opt.restore_state(weights, saved, "a test state")
    later = optimizers.SGD(learning_rate=0.3, momentum=0.9)
    later.restore_state(weights, saved, "a test state")
    later.learning_rate = 0.05  # set before training: it is what training uses
    later.bind(backend, weights)
    assert later.learning_rate == pytest.approx(0.05) and later.iterations == 1
    assert saved["learning_rate"] == pytest.approx(0.1)  # the given arrays are not changed
    unknown = optimizers.SGD(momentum=0.9)
    unknown.restore_state([None] * len(weights), saved, "a test state")
    with pytest.raises(ValueError, match="a test state has no values for weight 'w"):
        unknown.bind(backend, bound_weights(backend))

# ---------------------------------------------------------------- binding
def test_bind_rules(backend):
    opt = optimizers.SGD()
    weights = bound_weights(backend)
    engine = opt.bind(backend, weights)
    assert opt.bind(backend, weights) is engine  # same weights: no-op
    with pytest.raises(ValueError, match="only update the weights it was first bound to"):
        opt.bind(backend, weights[:1])
    other = "jax" if backend == "torch" else "torch"
    with pytest.raises(ValueError, match="cannot be bound to"):
        opt.bind(other, weights)
    with pytest.raises(ValueError, match="bind its layer"):
        optimizers.Adam().bind(backend, [Weight("free", (2,), "float32", np.zeros(2))])
    with pytest.raises(TypeError, match="no update rule"):
        optimizers.Optimizer(0.1).bind(backend, weights)


def test_torch_step_without_gradients():
    pytest.importorskip("torch")
    runner = Runner(optimizers.SGD(), "torch")
    with pytest.raises(ValueError, match="No gradients"):
        runner.engine.step()


# ---------------------------------------------------------------- config and get
@pytest.mark.parametrize("identifier, cls", [
    ("sgd", optimizers.SGD), ("adam", optimizers.Adam), ("rmsprop", optimizers.RMSprop),
    ("adagrad", optimizers.Adagrad), ("adadelta", optimizers.Adadelta),
    ("adamax", optimizers.Adamax), ("nadam", optimizers.Nadam), ("adamw", optimizers.AdamW),
    ("RMSprop", optimizers.RMSprop), ("ADAM", optimizers.Adam), ("SGD", optimizers.SGD),
    ("AdamW", optimizers.AdamW), (optimizers.Nadam, optimizers.Nadam),
])
def test_get_names(identifier, cls):
    opt = optimizers.get(identifier)
    assert type(opt) is cls
    assert opt.get_config() == cls().get_config()


def test_defaults_follow_keras():
    assert optimizers.SGD().get_config() == {
        "name": "SGD", "learning_rate": 0.01, "weight_decay": None, "clipnorm": None,
        "global_clipnorm": None, "clipvalue": None, "momentum": 0.0, "nesterov": False}
    adam = optimizers.Adam()
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == \
        (0.001, 0.9, 0.999, 1e-7, False)
    rms = optimizers.RMSprop()
    assert (rms.learning_rate, rms.rho, rms.momentum, rms.epsilon, rms.centered) == \
        (0.001, 0.9, 0.0, 1e-7, False)
    ada = optimizers.Adagrad()
    assert (ada.learning_rate, ada.initial_accumulator_value, ada.epsilon) == (0.001, 0.1, 1e-7)
    assert (optimizers.Adadelta().rho, optimizers.Adadelta().learning_rate) == (0.95, 0.001)
    assert optimizers.AdamW().weight_decay == 0.004 and optimizers.AdamW().name == "adamw"


def test_config_round_trip():
    opts = [optimizers.SGD(0.3, momentum=0.2, nesterov=True, clipnorm=1.5, name="s"),
            optimizers.Adam(0.2, beta_1=0.8, amsgrad=True, global_clipnorm=3.0),
            optimizers.AdamW(0.1, weight_decay=0.01, clipvalue=0.5),
            optimizers.RMSprop(rho=0.8, momentum=0.1, centered=True, weight_decay=0.2),
            optimizers.Adagrad(initial_accumulator_value=0.3, epsilon=1e-5),
            optimizers.Adadelta(rho=0.9), optimizers.Adamax(beta_2=0.9), optimizers.Nadam(0.5)]
    for opt in opts:
        config = opt.get_config()
        assert type(opt).from_config(config).get_config() == config
        again = optimizers.deserialize(optimizers.serialize(opt))
        assert type(again) is type(opt) and again.get_config() == config
        assert optimizers.get(optimizers.serialize(opt)).get_config() == config
    assert optimizers.get(opts[0]) is opts[0]


def test_keras3_config_loads():
    config = {"name": "adam", "learning_rate": 0.01, "weight_decay": None, "clipnorm": None,
              "global_clipnorm": None, "clipvalue": None, "use_ema": False,
              "ema_momentum": 0.99, "ema_overwrite_frequency": None, "loss_scale_factor": None,
              "gradient_accumulation_steps": None, "beta_1": 0.9, "beta_2": 0.999,
              "epsilon": 1e-07, "amsgrad": False}
    opt = optimizers.get({"class_name": "Adam", "config": config})
    assert opt.learning_rate == 0.01
    with pytest.raises(ValueError, match=r"use_ema=True\) is not supported"):
        optimizers.Adam(use_ema=True)


def test_keras2_epsilon_none_uses_fuzz_factor():
    config.set_epsilon(1e-4)
    assert optimizers.Adam(epsilon=None).epsilon == 1e-4


def test_lr_property_is_deprecated():
    opt = optimizers.SGD()
    with pytest.warns(DeprecationWarning, match="learning_rate"):
        opt.lr = 0.5
    assert opt.learning_rate == 0.5


# ---------------------------------------------------------------- errors
def test_get_unknown_lists_names():
    with pytest.raises(ValueError, match=r"'adamw'.*") as info:
        optimizers.get("adamm")
    assert "'adamm'" in str(info.value) and "'rmsprop'" in str(info.value)
    for bad in (None, 3, {"class_name": "Lion", "config": {}}, optimizers.Optimizer):
        with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
            optimizers.get(bad)


@pytest.mark.parametrize("make, error, match", [
    (lambda: optimizers.SGD(learning_rate=-0.1), ValueError, "learning_rate=-0.1"),
    (lambda: optimizers.SGD(learning_rate="fast"), ValueError, "learning_rate='fast'"),
    (lambda: optimizers.SGD(learning_rate=lambda: 0.1), TypeError, "schedules"),
    (lambda: optimizers.SGD(momentum=1.5), ValueError, r"momentum=1.5"),
    (lambda: optimizers.RMSprop(momentum=-0.1), ValueError, "momentum"),
    (lambda: optimizers.Adam(beta_1=1.0), ValueError, r"\[0, 1\)"),
    (lambda: optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0), ValueError, "Only one of"),
    (lambda: optimizers.Adam(clipnorm=1.0, clipvalue=1.0), ValueError, "Only one of"),
    (lambda: optimizers.Adam(clipnorm=-1.0), ValueError, "clipnorm"),
    (lambda: optimizers.Adagrad(initial_accumulator_value=-1), ValueError, "initial_acc"),
    (lambda: optimizers.AdamW(weight_decay=None), ValueError, "weight_decay=None"),
    (lambda: optimizers.Adam(betas=(0.9, 0.99)), TypeError, "betas"),
    (lambda: optimizers.Nadam(schedule_decay=0.004), TypeError, "schedule_decay"),
])
def test_invalid_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_lr_and_learning_rate_together():
    with pytest.raises(TypeError, match="both learning_rate"):
        optimizers.SGD(learning_rate=0.1, lr=0.2)
    with pytest.warns(DeprecationWarning):
        assert optimizers.Adagrad(lr=0.5).learning_rate == 0.5


def test_setting_bad_learning_rate(backend):
    opt = optimizers.Adam()
    Runner(opt, backend)
    with pytest.raises(ValueError, match="learning_rate"):
        opt.learning_rate = -1.0
    assert opt.learning_rate == pytest.approx(0.001)


# ---- Keras 2.2's lower-case aliases -------------------------------------------------------
# (class, learning rate, Adagrad's starting accumulator) from Keras 2.2.4's
# keras/optimizers.py, where Adagrad's accumulators start at zeros.
KERAS2_ALIASES = {
    "sgd": (optimizers.SGD, 0.01), "rmsprop": (optimizers.RMSprop, 0.001),
    "adagrad": (optimizers.Adagrad, 0.01), "adadelta": (optimizers.Adadelta, 1.0),
    "adam": (optimizers.Adam, 0.001), "adamax": (optimizers.Adamax, 0.002),
    "nadam": (optimizers.Nadam, 0.002),
}


@pytest.mark.parametrize("name", sorted(KERAS2_ALIASES))
def test_keras2_lowercase_alias_has_keras2_defaults(backend, name):
    cls, lr = KERAS2_ALIASES[name]
    opt = getattr(optimizers, name)()
    assert type(opt) is cls and opt.learning_rate == lr
    if cls is optimizers.Adagrad:
        assert opt.initial_accumulator_value == 0.0
    runner = Runner(opt, backend)
    for grads in GRADS:
        runner.step(grads)
    for got, want in zip(runner.values(), reference_run(opt).weights):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_keras2_alias_legacy_arguments_warn_and_win():
    with pytest.warns(DeprecationWarning, match=r"Adadelta\(lr=...\)"):
        with pytest.warns(DeprecationWarning, match="decay"):
            opt = optimizers.adadelta(lr=0.5, decay=1e-3)
    assert opt.learning_rate == 0.5 and opt.decay == 1e-3 and opt.rho == 0.95
    assert optimizers.adam(0.01).learning_rate == 0.01  # positional: the learning rate
    assert optimizers.adagrad(initial_accumulator_value=0.2).initial_accumulator_value == 0.2
    with pytest.raises(TypeError, match="both learning_rate"):
        optimizers.nadam(learning_rate=0.1, lr=0.2)


def test_classes_and_names_keep_keras3_defaults():
    # Only the lower-case Keras 2.2 spellings change defaults.
    assert optimizers.Adadelta().learning_rate == 0.001
    assert optimizers.get("adadelta").learning_rate == 0.001
    assert optimizers.get("rmsprop").learning_rate == 0.001
    assert type(optimizers.get("rmsprop")) is optimizers.RMSprop
    opt = optimizers.adadelta()
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert type(again) is optimizers.Adadelta and again.learning_rate == 1.0
    assert optimizers.get(optimizers.serialize(opt)).get_config() == opt.get_config()
