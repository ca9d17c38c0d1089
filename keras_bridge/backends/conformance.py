"""The engine conformance suite: ``contract.py``'s obligations checked on a live engine.

Any engine runs it: ``check("myengine")`` raises ``AssertionError`` listing every failed
check, or returns the names of the checks that passed. Each check is a function of the
engine module, so a pytest file can run them one by one (``CHECKS``, as
``tests/engines/test_conformance.py`` does). Reference values come from numpy; models
are tiny, so the whole suite takes seconds.
"""

import inspect

import numpy as np

from keras_bridge.backends import contract


def _close(actual, expected, what, rtol=1e-5, atol=1e-6):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, expected " \
                                           f"{expected.shape}"
    assert np.allclose(actual, expected, rtol=rtol, atol=atol), \
        f"{what}: {actual.ravel()[:6]} ..., expected {expected.ravel()[:6]} ..."


def _params(fn, drop_self=False):
    names = [p.name for p in inspect.signature(fn).parameters.values()]
    return names[1:] if drop_self else names


def check_module_surface(engine):
    """Every Engine attribute and function, with the contract's parameter names."""
    assert isinstance(engine, contract.Engine), \
        f"lacks {[n for n in (*contract.ATTRIBUTES, *contract.FUNCTIONS) if not hasattr(engine, n)]}"
    for name in contract.FUNCTIONS:
        expected = _params(getattr(contract.Engine, name), drop_self=True)
        assert _params(getattr(engine, name)) == expected, \
            f"{name}{_params(getattr(engine, name))}: expected parameters {expected}"
    assert set(engine.CAPABILITIES) <= set(contract.CAPABILITY_NAMES), \
        f"unknown capabilities {set(engine.CAPABILITIES) - set(contract.CAPABILITY_NAMES)}"


def check_op_table(engine):
    """A function per OPS name, with the declared parameters."""
    missing = [n for n in contract.OPS if not callable(getattr(engine.ops, n, None))]
    assert not missing, f"ops lacks {missing}"
    for name, (signature, _) in contract.OPS.items():
        declared = [p.strip().split("=")[0].lstrip("*") for p in signature.strip("()").split(",")]
        assert _params(getattr(engine.ops, name)) == declared, \
            f"ops.{name}{_params(getattr(engine.ops, name))}: expected {declared}"


def check_identity_and_devices(engine):
    from keras_bridge import backends
    assert engine.NAME in backends.names(), f"NAME {engine.NAME!r} is not registered"
    assert isinstance(engine.version(), str) and engine.version()
    devices = engine.devices()
    assert "cpu" in devices and engine.default_device() in devices, devices
    assert engine.resolve_device(None) == engine.default_device()
    assert engine.resolve_device("cpu") == "cpu" and engine.resolve_device("CPU:0") == "cpu"
    try:
        engine.resolve_device("nowhere:7")
    except ValueError as e:
        assert "cpu" in str(e), f"the unknown-device error should list devices(): {e}"
    else:
        raise AssertionError("resolve_device('nowhere:7') did not raise ValueError")


def check_tensors_and_dtypes(engine):
    ops = engine.ops
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = ops.convert_to_tensor(x)
    assert engine.is_tensor(t) and not engine.is_tensor(x)
    assert ops.shape(t) == (2, 3) and ops.ndim(t) == 2
    _close(engine.to_numpy(t), x, "to_numpy(convert_to_tensor(x))")
    _close(ops.convert_to_numpy(ops.add(t, 1.0)), x + 1, "add")
    narrow = {"float64": "float32", "int64": "int32"}  # engines without 64-bit types
    for name in ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32",
                 "int64", "uint8", "bool"):
        out = engine.to_numpy(ops.cast(t, name))
        allowed = {name, narrow.get(name), "float32" if name == "bfloat16" else None}
        assert str(out.dtype) in allowed, f"cast to {name} came back as {out.dtype}"
        _close(out.astype(np.float32), x.astype(name).astype(np.float32), f"cast to {name}")


def check_op_values(engine):
    """A sample of the op table against numpy (the full table is the project's tests)."""
    ops, rng = engine.ops, np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3)).astype("float32"), rng.normal(size=(3, 4)).astype("float32")
    cases = {
        "matmul": (ops.matmul(a, b), a @ b),
        "sum": (ops.sum(a, axis=1, keepdims=True), a.sum(1, keepdims=True)),
        "softmax": (ops.softmax(a), np.exp(a) / np.exp(a).sum(-1, keepdims=True)),
        "where": (ops.where(a > 0, a, 0.0), np.where(a > 0, a, 0.0)),
        "concatenate": (ops.concatenate([a, a]), np.concatenate([a, a], -1)),
        "take": (ops.take(b, np.array([2, 0]), axis=1), b[:, [2, 0]]),
        "argmax": (ops.argmax(a, axis=-1), a.argmax(-1)),
        "transpose": (ops.transpose(b), b.T),
    }
    for name, (out, expected) in cases.items():
        _close(engine.to_numpy(ops.convert_to_tensor(out)), expected, f"ops.{name}")


def check_output_spec(engine):
    """compute_output_spec: the specs of one and of several outputs (or
    NotImplementedError, an engine that finds them by running on zeros)."""
    ops = engine.ops
    try:
        single = engine.compute_output_spec(lambda a: ops.add(a, 1.0), [((5,), "float32")])
    except NotImplementedError:
        return
    assert single == ((5,), "float32"), single
    pair = engine.compute_output_spec(
        lambda a, b: (ops.matmul(a, b), ops.cast(ops.sum(b, axis=0), "int32")),
        [((2, 3), "float32"), ((3, 4), "float32")])
    assert pair == [((2, 4), "float32"), ((4,), "int32")], pair


def _dense_model(engine, dropout=0.0):
    from keras_bridge import layers, models
    inputs = layers.Input((3,))
    x = layers.Dense(2, kernel_initializer="glorot_uniform", bias_initializer="ones")(inputs)
    if dropout:
        x = layers.Dropout(dropout)(x)
    model = models.Model(inputs, x)
    model.bind(engine.NAME, "cpu")
    return model


def check_weight_slot(engine):
    from keras_bridge import layers
    layer = layers.Dense(2)
    layer.build((None, 3))
    initial = [w.numpy() for w in layer.weights]
    layer.bind(engine.NAME, "cpu")
    for w, value in zip(layer.weights, initial):
        assert isinstance(w.slot, contract.Slot), f"{w.path}: slot {type(w.slot)}"
        assert w.slot.backend_name == engine.NAME
        _close(w.slot.read_numpy(), value, f"{w.path} after binding")
        assert engine.is_tensor(w.slot.read())
    new = np.arange(6, dtype="float32").reshape(3, 2)
    layer.kernel.slot.write(new)
    _close(layer.kernel.numpy(), new, "kernel after Slot.write")
    layer.kernel.assign(new * 2)
    _close(layer.kernel.slot.read_numpy(), new * 2, "kernel after Weight.assign")


def check_program(engine):
    model = _dense_model(engine)
    program = engine.compile_program(model, "cpu")
    assert isinstance(program, contract.Program), type(program)
    kernel, bias = (w.numpy() for w in model.weights)
    x = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    expected = x @ kernel + bias
    _close(program.predict_batch([x])[0], expected, "predict_batch")
    _close(program.run_batch([x], False)[0], expected, "run_batch")
    _close(engine.to_numpy(program.forward([engine.ops.convert_to_tensor(x)])[0]), expected,
           "forward")
    cot = np.ones((4, 2), "float32")
    outputs, grads = program.outputs_and_gradients([x], [cot])
    _close(outputs[0], expected, "outputs_and_gradients outputs")
    _close(grads[0], x.T @ cot, "gradient of the kernel")
    _close(grads[1], cot.sum(0), "gradient of the bias")


def check_training_mode(engine):
    model = _dense_model(engine, dropout=0.5)
    program = engine.compile_program(model, "cpu")
    kernel, bias = (w.numpy() for w in model.weights)
    x = np.ones((64, 3), "float32")
    clean = x @ kernel + bias
    dropped = program.run_batch([x], True)[0]
    kept = dropped != 0
    assert 0 < kept.mean() < 1, "training mode dropped nothing or everything"
    _close(dropped[kept], clean[kept] * 2, "kept values scaled by 1 / (1 - rate)")
    _close(program.run_batch([x], False)[0], clean, "inference mode ignores dropout")


def check_gradients(engine):
    from keras_bridge import layers
    layer = layers.Dense(1, use_bias=False)
    layer.build((None, 2))
    layer.bind(engine.NAME, "cpu")
    x = engine.ops.convert_to_tensor(np.array([[1.0, 2.0]], "float32"))
    w = layer.kernel.numpy()
    (gx,), (gw,) = engine.gradients(
        lambda t: engine.ops.square(engine.call_layer(layer, t, (), {})), [x], [layer.kernel])
    y = (np.array([[1.0, 2.0]]) @ w).item()
    _close(engine.to_numpy(gx), 2 * y * w.T, "gradient of the input")
    _close(engine.to_numpy(gw), 2 * y * np.array([[1.0], [2.0]]), "gradient of the weight")


def check_optimizer_state(engine):
    from keras_bridge import layers, optimizers
    specs = [optimizers.SGD(momentum=0.9), optimizers.Adam(amsgrad=True),
             optimizers.RMSprop(momentum=0.5, centered=True), optimizers.Adagrad(),
             optimizers.Adadelta(), optimizers.Adamax(), optimizers.Nadam()]
    for spec in specs:
        layer = layers.Dense(2)
        layer.build((None, 3))
        layer.bind(engine.NAME, "cpu")
        opt = engine.make_optimizer(spec, layer.trainable_weights)
        assert isinstance(opt, contract.EngineOptimizer), type(opt)
        assert opt.iterations == 0
        opt.learning_rate = 0.25
        assert opt.learning_rate == 0.25
        slots, globals_ = contract.optimizer_state_names(spec)
        expected = {"iterations", "learning_rate", *globals_,
                    *(f"{i}/{n}" for i in range(2) for n in slots)}
        state = opt.state_dict()
        assert set(state) == expected, f"{spec.algorithm}: keys {sorted(state)}, " \
                                       f"expected {sorted(expected)}"
        opt.load_state_dict(state)
        try:
            opt.load_state_dict({**state, "extra": np.zeros(())})
        except ValueError:
            pass
        else:
            raise AssertionError(f"{spec.algorithm}: an unexpected key was accepted")


def check_train_step(engine):
    """One SGD step through make_trainer, against numpy's gradient of the mse."""
    from keras_bridge import optimizers
    model = _dense_model(engine)
    model.compile(optimizers.SGD(learning_rate=0.1), "mse")
    kernel, bias = (w.numpy() for w in model.weights)
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 2)).astype("float32")
    loss = model.train_on_batch(x, y)
    err = x @ kernel + bias - y
    _close(loss, (err ** 2).mean(), "reported loss")
    grad_out = 2 * err / err.size
    _close(model.weights[0].numpy(), kernel - 0.1 * x.T @ grad_out, "kernel after a step")
    _close(model.weights[1].numpy(), bias - 0.1 * grad_out.sum(0), "bias after a step")


def check_rule_table(engine):
    from keras_bridge import layers
    for cls in layers.BUILTIN_LAYERS:
        assert (cls in engine.LOWERING) != (cls in engine.RUNS_OWN_CALL), \
            f"{cls.__name__} must be in exactly one of LOWERING and RUNS_OWN_CALL"


CHECKS = (check_module_surface, check_op_table, check_identity_and_devices,
          check_tensors_and_dtypes, check_op_values, check_output_spec, check_weight_slot,
          check_program, check_training_mode, check_gradients, check_optimizer_state,
          check_train_step, check_rule_table)


def check(name):
    """Run every check on engine ``name``; AssertionError naming each failure."""
    from keras_bridge import backends
    engine = backends.get(name)
    failures = []
    for fn in CHECKS:
        try:
            fn(engine)
        except Exception as e:  # noqa: BLE001 - every failure is reported together
            failures.append(f"{fn.__name__}: {type(e).__name__}: {e}")
    if failures:
        raise AssertionError(f"engine {name!r} fails {len(failures)} conformance "
                             "check(s):\n" + "\n".join(failures))
    return [fn.__name__ for fn in CHECKS]
