"""JAX's persistent compilation cache in ``$KERAS_HOME/jax_cache``.

Compiling a model's train step is most of a JAX first epoch. With the cache on disk, a
later process that compiles the same step (same model, batch shape, JAX version and
device) loads the executable instead. The user's own JAX cache settings win: a cache
folder they chose, JAX's cache turned off, or thresholds they set.
"""

import importlib.util
import os

import jax

FOLDER = "jax_cache"
# JAX's default (1 s) would skip the steps of small models, whose compile is still a
# visible wait; below a tenth of a second, reading the entry saves little.
MIN_COMPILE_SECS = 0.1
# A bound on the folder (least recently used entries go first); JAX needs filelock for it.
MAX_BYTES = 2 * 1024 ** 3
# The options read, with JAX's defaults: one still at its default was not set by the user.
_DEFAULTS = {"jax_compilation_cache_dir": None, "jax_enable_compilation_cache": True,
             "jax_persistent_cache_min_compile_time_secs": 1.0,
             "jax_compilation_cache_max_size": -1}


def settings(current, environ, switch_on, keras_home, bounded=True):
    """The JAX options to set (a dict, empty for none) given the ``current`` values of
    ``_DEFAULTS``' options, the environment, keras_bridge's switch and $KERAS_HOME;
    ``bounded``: whether JAX can bound the folder's size (filelock is installed)."""
    def untouched(option):
        return option.upper() not in environ and current[option] == _DEFAULTS[option]

    if not switch_on or not untouched("jax_compilation_cache_dir") or \
            not current["jax_enable_compilation_cache"]:
        return {}
    chosen = {"jax_compilation_cache_dir": os.path.join(keras_home, FOLDER)}
    if untouched("jax_persistent_cache_min_compile_time_secs"):
        chosen["jax_persistent_cache_min_compile_time_secs"] = MIN_COMPILE_SECS
    if bounded and untouched("jax_compilation_cache_max_size"):
        chosen["jax_compilation_cache_max_size"] = MAX_BYTES
    return chosen


def use_persistent_cache():
    """Point JAX's cache at ``$KERAS_HOME/jax_cache`` unless keras_bridge's switch is
    off or the user configured JAX's cache; returns the folder used, or None."""
    from keras_bridge import config
    current = {option: getattr(jax.config, option) for option in _DEFAULTS}
    chosen = settings(current, os.environ, config.jax_compilation_cache(),
                      config.keras_home(), importlib.util.find_spec("filelock") is not None)
    for option, value in chosen.items():
        jax.config.update(option, value)
    return chosen.get("jax_compilation_cache_dir")
