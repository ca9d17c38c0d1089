"""``python -m keras_bridge``: what this installation runs on.

Prints the keras_bridge version, the selected backend and where the choice came from,
each supported engine (installed version and devices, or the pip command to install
it) and the config values. A configuration that cannot be used (a broken keras.json,
an unknown KERAS_BACKEND) prints its message to stderr and exits with status 1.
"""

import os
import sys

from keras_bridge import backends
import keras_bridge
from keras_bridge import config


def _engine_line(name):
    if not backends.is_available(name):
        return f"  {name}: not installed (install with: {backends.install_hint(name)})"
    try:
        module = backends.get(name)  # imports the engine: fine in a diagnostic command
        version, devices = module.version(), module.devices()
    except Exception as e:  # a broken install is reported, not raised
        return f"  {name}: installed but failed to load: {type(e).__name__}: {e}"
    return f"  {name}: {version} (devices: {', '.join(devices)})"


def main():
    """Print the report; return the exit status."""
    try:
        name, source = config.backend(), config.backend_source()
    except config.ConfigError as e:
        print(f"keras_bridge: error: {e}", file=sys.stderr)
        return 1
    path = config.config_path()
    lines = [
        f"keras_bridge {keras_bridge.__version__}",
        f"backend: {name} (from {source})",
        "engines:",
        *(_engine_line(engine) for engine in backends.names()),
        "config:",
        f"  floatx: {config.floatx()}",
        f"  epsilon: {config.epsilon()}",
        f"  image_data_format: {config.image_data_format()}",
        "  jax_compilation_cache: " + (os.path.join(config.keras_home(), "jax_cache")
                                       if config.jax_compilation_cache() else "off"),
        f"  keras.json: {path} ({'exists' if os.path.exists(path) else 'not found'})",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
