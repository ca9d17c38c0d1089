"""Python operators spelled with ``keras_bridge.ops``, shared by the objects that stand
for tensors: weights (their current value) and symbolic tensors (an op node).

``==`` and ``!=`` are left alone, so such objects keep identity equality and can be
dictionary keys; use ``ops.equal``.
"""


def _ops():
    from keras_bridge import ops  # at call time: ops imports the modules that use this
    return ops


class TensorOperators:
    """Mixin: ``+ - * / // % ** @``, their reflections, unary ``- + abs``, ordering
    comparisons and the logical ``& | ~``, each one ``keras_bridge.ops`` call."""

    __slots__ = ()

    def __add__(self, o): return _ops().add(self, o)
    def __radd__(self, o): return _ops().add(o, self)
    def __sub__(self, o): return _ops().subtract(self, o)
    def __rsub__(self, o): return _ops().subtract(o, self)
    def __mul__(self, o): return _ops().multiply(self, o)
    def __rmul__(self, o): return _ops().multiply(o, self)
    def __truediv__(self, o): return _ops().divide(self, o)
    def __rtruediv__(self, o): return _ops().divide(o, self)
    def __floordiv__(self, o): return _ops().floor_divide(self, o)
    def __rfloordiv__(self, o): return _ops().floor_divide(o, self)
    def __mod__(self, o): return _ops().mod(self, o)
    def __rmod__(self, o): return _ops().mod(o, self)
    def __pow__(self, o): return _ops().power(self, o)
    def __rpow__(self, o): return _ops().power(o, self)
    def __matmul__(self, o): return _ops().matmul(self, o)
    def __rmatmul__(self, o): return _ops().matmul(o, self)
    def __neg__(self): return _ops().negative(self)
    def __pos__(self): return self
    def __abs__(self): return _ops().abs(self)
    def __lt__(self, o): return _ops().less(self, o)
    def __le__(self, o): return _ops().less_equal(self, o)
    def __gt__(self, o): return _ops().greater(self, o)
    def __ge__(self, o): return _ops().greater_equal(self, o)
    def __and__(self, o): return _ops().logical_and(self, o)
    def __rand__(self, o): return _ops().logical_and(o, self)
    def __or__(self, o): return _ops().logical_or(self, o)
    def __ror__(self, o): return _ops().logical_or(o, self)
    def __invert__(self): return _ops().logical_not(self)
