"""Regenerate tests/support/keras3_layers.txt: every public class of Keras 3's
``keras.layers``, one name a line, under a header naming the Keras version.

Run with the Keras 3 oracle environment (it imports keras):

    KERAS_HOME=$(mktemp -d) KERAS_BACKEND=jax /work/k3/bin/python \\
        tests/support/make_keras3_layers.py
"""

import inspect
import os


def main():
    import keras
    names = sorted(n for n, obj in vars(keras.layers).items()
                   if not n.startswith("_") and inspect.isclass(obj))
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras3_layers.txt")
    with open(out, "w") as f:
        f.write(f"# keras.layers classes of Keras {keras.__version__} "
                "(tests/support/make_keras3_layers.py)\n")
        f.write("\n".join(names) + "\n")
    print(f"{len(names)} names -> {out}")


if __name__ == "__main__":
    main()
