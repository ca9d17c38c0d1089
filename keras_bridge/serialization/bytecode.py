"""Anonymous functions (``lambda``) in Keras 3's saved form: the function's code object
marshalled and base64-encoded, with its default values and closure values,
``{"code": str, "defaults": list or None, "closure": list or None}``.

This is the only place keras_bridge turns file content into code. Bytecode is tied to
one Python version (``marshal``), cannot be inspected, and runs whatever the file
holds, so callers load it only when safe_mode is off (``safe_mode.py``). As in Keras,
a loaded lambda sees the builtins and no module globals: a lambda that uses ``np`` or
``ops`` saves, but fails when called after loading (a warning says so at save time).
"""

import base64
import binascii
import builtins
import dis
import marshal
import sys
import types
import warnings

from keras_bridge.serialization.core import to_json_value


def is_anonymous(fn):
    """Whether Keras saves ``fn`` as bytecode: a ``lambda`` expression."""
    return isinstance(fn, types.FunctionType) and fn.__name__ == "<lambda>"


def _globals_used(code):
    names = {ins.argval for ins in dis.get_instructions(code)
             if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _globals_used(const)
    return names


def dump(fn, where):
    """``fn``'s saved form; ``where`` names it in errors ("The function of Lambda layer
    'x'")."""
    missing = sorted(n for n in _globals_used(fn.__code__) if not hasattr(builtins, n))
    if missing:
        warnings.warn(
            f"{where} is a lambda that uses the global name(s) {missing}. It is saved as "
            "Python bytecode without its module's globals (as Keras does), so the loaded "
            "model fails when it calls it. Use a function defined with `def` and registered "
            "with @keras_bridge.saving.register_keras_serializable() instead.", stacklevel=4)
    code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
    closure = None
    if fn.__closure__:
        closure = [cell.cell_contents for cell in fn.__closure__]
    return {"code": code,
            "defaults": to_json_value(fn.__defaults__, f"{where}'s default values"),
            "closure": to_json_value(closure, f"{where}'s closure (the outer variables "
                                              "it uses)")}


def load(config, where):
    """A function from ``dump``'s output (or Keras 2's ``[code, defaults, closure]``).
    Only call this when safe_mode is off."""
    if isinstance(config, (list, tuple)) and len(config) == 3:
        config = dict(zip(("code", "defaults", "closure"), config))
    elif isinstance(config, str):
        config = {"code": config}
    if not isinstance(config, dict) or not isinstance(config.get("code"), str):
        raise ValueError(f"{where} is saved as Python bytecode, but its entry is malformed "
                         f"(expected {{'code': str, 'defaults', 'closure'}}): {config!r:.200}")
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    try:
        code = marshal.loads(base64.decodebytes(config["code"].encode("ascii")))
    except (binascii.Error, UnicodeEncodeError, ValueError, EOFError, TypeError) as e:
        raise ValueError(
            f"{where} holds Python bytecode that Python {version} cannot read ({e}); "
            "bytecode only loads in the Python version that saved it. Load the file with "
            "that version, or pass the function as custom_objects={<layer name>: fn}.") \
            from e
    if not isinstance(code, types.CodeType):
        raise ValueError(f"{where} is saved as Python bytecode, but it does not hold a code "
                         f"object (found {type(code).__name__}).")
    defaults, closure = config.get("defaults"), config.get("closure")
    cells = tuple(types.CellType(v) for v in closure) if closure else None
    if len(code.co_freevars) != len(cells or ()):
        raise ValueError(f"{where}: its bytecode needs {len(code.co_freevars)} closure "
                         f"value(s) {list(code.co_freevars)}, the file holds "
                         f"{len(cells or ())}.")
    return types.FunctionType(code, {"__builtins__": builtins}, code.co_name,
                              tuple(defaults) if defaults else None, cells)
