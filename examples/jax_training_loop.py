"""Keras 3's guide "Writing a training loop from scratch in JAX", on keras_bridge.

The model, loss, optimizer and metric are Keras objects; the loop is plain JAX: one
``jax.jit``-compiled, pure ``train_step(state, data)`` built from ``stateless_call``
(the forward pass on given variable values), ``jax.value_and_grad``,
``optimizer.stateless_apply`` and ``metric.stateless_update_state``. The state lives in
the loop and is written back into the model at the end. The data are a synthetic
3-class problem (points around three centres), so the example runs offline. JAX only.

Run: KERAS_BACKEND=jax python examples/jax_training_loop.py [--steps 200]
"""

import argparse

import jax
import numpy as np

import keras_bridge as keras


def make_data(n=512, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]], "float32")
    labels = rng.integers(0, 3, n)
    x = centres[labels] + rng.normal(0, 0.5, (n, 2)).astype("float32")
    return x.astype("float32"), keras.utils.to_categorical(labels, 3).astype("float32")


def get_model():
    inputs = keras.Input(shape=(2,), name="points")
    x = keras.layers.Dense(16, activation="relu")(inputs)
    x = keras.layers.Dense(16, activation="relu")(x)
    outputs = keras.layers.Dense(3, name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def main(steps=200, batch_size=64, seed=1337):
    keras.config.set_backend("jax")
    keras.utils.set_random_seed(seed)
    x_train, y_train = make_data()
    model = get_model()
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.Adam(learning_rate=1e-2)
    train_acc_metric = keras.metrics.CategoricalAccuracy()
    model(x_train[:1])  # build and bind the model's variables
    optimizer.build(model.trainable_variables)

    def compute_loss_and_updates(trainable_variables, non_trainable_variables, x, y):
        y_pred, non_trainable_variables = model.stateless_call(
            trainable_variables, non_trainable_variables, x, training=True)
        loss = loss_fn(y, y_pred)
        return loss, (y_pred, non_trainable_variables)

    grad_fn = jax.value_and_grad(compute_loss_and_updates, has_aux=True)

    @jax.jit
    def train_step(state, data):
        (trainable_variables, non_trainable_variables, optimizer_variables,
         metric_variables) = state
        x, y = data
        (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
            trainable_variables, non_trainable_variables, x, y)
        trainable_variables, optimizer_variables = optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables)
        metric_variables = train_acc_metric.stateless_update_state(
            metric_variables, y, y_pred)
        return loss, (trainable_variables, non_trainable_variables, optimizer_variables,
                      metric_variables)

    state = ([v.numpy() for v in model.trainable_variables],
             [v.numpy() for v in model.non_trainable_variables],
             optimizer.variables,
             [v.numpy() for v in train_acc_metric.variables])
    losses = []
    n = len(x_train)
    for step in range(steps):
        start = (step * batch_size) % n
        batch = (x_train[start:start + batch_size], y_train[start:start + batch_size])
        loss, state = train_step(state, batch)
        losses.append(float(loss))
        if step % max(steps // 4, 1) == 0:
            acc = float(train_acc_metric.stateless_result(state[3]))
            print(f"step {step}: loss {losses[-1]:.4f}, accuracy so far {acc:.3f}")

    # Write the loop's state back into the model (until now it held the initial values).
    trainable_variables, non_trainable_variables, _, metric_variables = state
    for variable, value in zip(model.trainable_variables, trainable_variables):
        variable.assign(value)
    for variable, value in zip(model.non_trainable_variables, non_trainable_variables):
        variable.assign(value)
    accuracy = float(np.mean(np.argmax(model.predict(x_train, verbose=0), -1)
                             == np.argmax(y_train, -1)))
    print(f"accuracy after training: {accuracy:.3f}")
    return losses, accuracy, model, state


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    main(parser.parse_args().steps)
