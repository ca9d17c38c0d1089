"""Masks riding on eager tensors (``x._keras_mask``), as Keras 3 keeps them.

A layer called eagerly on a tensor that carries a mask receives it as ``mask=`` when its
``call`` takes one, and its outputs carry the mask its ``compute_mask`` gives: so code that
chains layers by hand inside a subclassed model (``self.lstm(self.embed(x))``) masks as a
functional model does. torch tensors take the attribute; JAX arrays (and tracers) refuse
attributes, so their masks live in a table keyed by the array's id, dropped when the array
is collected."""

import weakref

_MASKS = {}


def _forget(key):
    _MASKS.pop(key, None)


def set_keras_mask(x, mask):
    """Attach ``mask`` to ``x`` (``None`` clears it)."""
    try:
        x._keras_mask = mask
        return
    except AttributeError:
        pass
    key = id(x)
    if mask is None:
        _MASKS.pop(key, None)
        return
    if key not in _MASKS:
        try:
            weakref.finalize(x, _forget, key)
        except TypeError:  # no weak references: do not keep a mask we could not drop
            return
    _MASKS[key] = mask


def get_keras_mask(x):
    """The mask attached to ``x``, or None."""
    mask = getattr(x, "_keras_mask", None)
    if mask is None and _MASKS:
        mask = _MASKS.get(id(x))
    return mask


def masks_of(inputs):
    """The masks of ``inputs`` (one tensor, or a list/tuple of them) in its structure, or
    None when none carries one."""
    if isinstance(inputs, (list, tuple)):
        masks = [get_keras_mask(x) for x in inputs]
        return masks if any(m is not None for m in masks) else None
    return get_keras_mask(inputs)


def attach(outputs, masks):
    """Set each output's mask (``masks`` mirrors ``outputs``, or is one mask for all)."""
    if isinstance(outputs, (list, tuple)):
        if not isinstance(masks, (list, tuple)):
            masks = [masks] * len(outputs)
        for out, mask in zip(outputs, masks):
            set_keras_mask(out, mask)
    else:
        set_keras_mask(outputs, masks[0] if isinstance(masks, (list, tuple)) and
                       len(masks) == 1 else masks)
