"""Engine rules apply to subclasses of built-in layers whose math is unchanged
(keras_bridge/backends/rules.py), and a subclass that changes the math runs its own code."""

import numpy as np
import pytest

from keras_bridge import backends, layers, ops
from keras_bridge.backends.rules import rule_for


# ---- the lookup on a toy table ---------------------------------------------------------
class Base:
    def call(self, x):
        return x


class Ruled(Base):
    pass


class Nearer(Ruled):
    pass


class Plain(Nearer):  # only configuration: the nearest ruled base's rule
    def __init__(self, extra=1):
        self.extra = extra

    def get_config(self):
        return {"extra": self.extra}


class OwnMath(Nearer):
    def call(self, x):
        return -x


class CallMixin:
    def call(self, x):
        return 2 * x


class Mixed(CallMixin, Ruled):  # the mixin's call comes first on the MRO
    pass


class Listed(Ruled):  # on the engine's "runs its own call" list
    pass


class BelowListed(Listed):
    pass


TABLE = {Ruled: "ruled rule", Nearer: "nearer rule"}
OWN = frozenset({Listed})


@pytest.mark.parametrize("cls, expected", [
    (Ruled, "ruled rule"), (Nearer, "nearer rule"), (Plain, "nearer rule"),
    (OwnMath, None), (Mixed, None), (Listed, None), (BelowListed, None), (Base, None)])
def test_lookup_on_a_toy_table(cls, expected):
    assert rule_for(cls(), TABLE, OWN) == expected


def test_overrides_below_the_ruled_class_block_only_there():
    class Build(Ruled):
        def build(self, shape):
            pass

    class Deeper(Build):  # a blocking override anywhere between still blocks
        pass

    assert rule_for(Build(), TABLE) is None
    assert rule_for(Deeper(), TABLE) is None
    assert rule_for(Plain(), {Base: "base rule"}) == "base rule"  # Base's own call is fine


# ---- both engines: the rule runs for a subclass, and the math is the base's ------------
def _spy_rule(monkeypatch, backend, cls):
    """Record the layers the engine's rule for ``cls`` is applied to."""
    table = backends.get(backend).LOWERING
    seen, original = [], table[cls]

    def spy(layer, *args, **kwargs):
        seen.append(layer)
        return original(layer, *args, **kwargs)

    monkeypatch.setitem(table, cls, spy)
    return seen


def _count_kernel(monkeypatch, kind):
    """torch only: count the calls of a fused RNN kernel ('lstm', 'gru')."""
    from keras_bridge.backends.torch import rnn_rules
    calls, kernel = [], rnn_rules._KERNELS[kind]

    def counted(*args):
        calls.append(kind)
        return kernel(*args)

    monkeypatch.setitem(rnn_rules._KERNELS, kind, counted)
    return calls


def _copy_weights(source, target, rng):
    weights = [rng.normal(size=w.shape).astype("float32") for w in source.get_weights()]
    source.set_weights(weights)
    target.set_weights(weights)


class TaggedConv2D(layers.Conv2D):
    """A user's Conv2D with one more constructor argument; the math is Conv2D's."""

    def __init__(self, *args, tag="x", **kwargs):
        super().__init__(*args, **kwargs)
        self.tag = tag

    def get_config(self):
        return {**super().get_config(), "tag": self.tag}


class DoubledConv2D(layers.Conv2D):
    def call(self, inputs):
        return 2.0 * super().call(inputs)


def test_conv_subclass_uses_the_conv_rule(backend, monkeypatch):
    seen = _spy_rule(monkeypatch, backend, layers.Conv2D)
    x = np.random.default_rng(0).normal(size=(2, 5, 5, 3)).astype("float32")
    base = layers.Conv2D(4, 3, padding="same", activation="relu")
    sub = TaggedConv2D(4, 3, padding="same", activation="relu", tag="mine")
    base(x), sub(x)
    _copy_weights(base, sub, np.random.default_rng(1))
    np.testing.assert_allclose(ops.convert_to_numpy(sub(x)), ops.convert_to_numpy(base(x)),
                               rtol=1e-5, atol=1e-6)
    assert any(layer is sub for layer in seen)
    if backend == "torch":  # the bound module is the rule's, as for the base class
        from keras_bridge.backends.torch.lowering import CallModule
        assert type(sub._binding) is type(base._binding)
        assert not isinstance(sub._binding, CallModule)


def test_subclass_overriding_call_runs_its_own_call(backend, monkeypatch):
    seen = _spy_rule(monkeypatch, backend, layers.Conv2D)
    x = np.random.default_rng(0).normal(size=(2, 5, 5, 3)).astype("float32")
    base, sub = layers.Conv2D(4, 3), DoubledConv2D(4, 3)
    base(x), sub(x)
    _copy_weights(base, sub, np.random.default_rng(1))
    np.testing.assert_allclose(ops.convert_to_numpy(sub(x)),
                               2.0 * ops.convert_to_numpy(base(x)), rtol=1e-5, atol=1e-5)
    assert not any(layer is sub for layer in seen)
    if backend == "torch":
        from keras_bridge.backends.torch.lowering import CallModule
        assert isinstance(sub._binding, CallModule)


def _tagged(cls):
    class Tagged(cls):
        def __init__(self, *args, tag="x", **kwargs):
            super().__init__(*args, **kwargs)
            self.tag = tag

        def get_config(self):
            return {**super().get_config(), "tag": self.tag}

    Tagged.__name__ = f"Tagged{cls.__name__}"
    return Tagged


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_recurrent_subclass_uses_the_rule(backend, monkeypatch, name):
    cls = getattr(layers, name)
    # JAX has no recurrent rule (the reference call's ops.scan is lax.scan): base and
    # subclass run the same call there.
    ruled = cls in backends.get(backend).LOWERING
    seen = _spy_rule(monkeypatch, backend, cls) if ruled else []
    kernel_calls = _count_kernel(monkeypatch, name.lower()) if backend == "torch" else []
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    base = cls(5, return_sequences=True)
    sub = _tagged(cls)(5, return_sequences=True, tag="mine")
    base(x), sub(x)
    _copy_weights(base, sub, np.random.default_rng(1))
    del kernel_calls[:]
    np.testing.assert_allclose(ops.convert_to_numpy(sub(x)), ops.convert_to_numpy(base(x)),
                               rtol=1e-5, atol=1e-6)
    assert any(layer is sub for layer in seen) == ruled
    if backend == "torch":  # the fused kernel ran for both layers, no Python loop
        assert kernel_calls == [name.lower()] * 2
        assert type(sub._binding) is type(base._binding) and sub._binding.fused


def test_bidirectional_of_an_lstm_subclass(backend, monkeypatch):
    kernel_calls = _count_kernel(monkeypatch, "lstm") if backend == "torch" else []
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    base = layers.Bidirectional(layers.LSTM(5))
    sub = layers.Bidirectional(_tagged(layers.LSTM)(5, tag="mine"))
    base(x), sub(x)
    _copy_weights(base, sub, np.random.default_rng(1))
    del kernel_calls[:]
    np.testing.assert_allclose(ops.convert_to_numpy(sub(x)), ops.convert_to_numpy(base(x)),
                               rtol=1e-5, atol=1e-6)
    if backend == "torch":  # both directions of both layers on the fused kernel
        assert kernel_calls == ["lstm"] * 4


class NegatedOutputLSTM(layers.LSTM):
    """Changes the step math (each step's output negated; the states as LSTM's), without
    overriding ``call``: the fused kernel would skip it."""

    def _recur(self, z, states, recurrent_mask):
        out, new_states = super()._recur(z, states, recurrent_mask)
        return ops.negative(out), new_states


def test_lstm_subclass_changing_its_step_runs_its_own_math(backend, monkeypatch):
    ruled = layers.LSTM in backends.get(backend).LOWERING  # torch: fused; JAX: no rule
    seen = _spy_rule(monkeypatch, backend, layers.LSTM) if ruled else []
    kernel_calls = _count_kernel(monkeypatch, "lstm") if backend == "torch" else []
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    base = layers.LSTM(5, return_sequences=True)
    sub = NegatedOutputLSTM(5, return_sequences=True)
    base(x), sub(x)
    _copy_weights(base, sub, np.random.default_rng(1))
    del kernel_calls[:]
    np.testing.assert_allclose(ops.convert_to_numpy(sub(x)), -ops.convert_to_numpy(base(x)),
                               rtol=1e-5, atol=1e-6)
    assert not any(layer is sub for layer in seen)
    assert kernel_calls == (["lstm"] if backend == "torch" else [])  # the base's call only
