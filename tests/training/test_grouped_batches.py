"""The batches of one execution (``steps_per_execution``): ``ArrayBatches`` gathers a
group's samples at once and the many-step call joins them without another copy; the
batches are the ones a one-step epoch gives for the same shuffle. Host-side code, no
engine involved."""

import numpy as np
import pytest

from keras_bridge.training.batches import ArrayBatches
from keras_bridge.utils.stacking import stack


def _batches(group, shuffle, n=70, weights=False):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.float32).reshape(n, 1)
    sw = np.linspace(0.5, 1.5, n).astype(np.float32) if weights else None
    source = ArrayBatches([x], [y], sw, 8, shuffle)
    return list(source.epoch(np.random.default_rng(1), group))


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("weights", [True, False])
def test_grouped_epoch_gives_the_same_batches(shuffle, weights):
    single = _batches(1, shuffle, weights=weights)
    grouped = _batches(4, shuffle, weights=weights)
    assert len(single) == len(grouped) == 9  # 8 full batches of 8 and one of 6
    for a, b in zip(single, grouped):
        assert a[3] == b[3]
        for part_a, part_b in zip(a[0] + a[1], b[0] + b[1]):
            np.testing.assert_array_equal(part_a, part_b)
        if weights:
            np.testing.assert_array_equal(a[2], b[2])


def test_a_group_stacks_without_a_copy():
    grouped = _batches(4, shuffle=True)
    xs = [b[0][0] for b in grouped[:4]]
    joined = stack(xs)
    np.testing.assert_array_equal(joined, np.stack(xs))
    assert np.shares_memory(joined, xs[0]) and np.shares_memory(joined, xs[3])
    assert not joined.flags.writeable


def test_stack_copies_what_is_not_adjacent():
    x = np.arange(40, dtype=np.float32).reshape(10, 4)
    for parts in ([x[4:6], x[0:2]],            # out of order
                  [x[0:2], x[3:5]],            # a gap
                  [x[0:2, :2], x[2:4, :2]],    # not contiguous
                  [x[0:2], x[2:4].copy()],     # another array
                  [x[0:2], x[2:4].astype(np.float64)]):
        joined = stack(parts)
        np.testing.assert_array_equal(joined, np.stack(parts))
    assert np.shares_memory(stack([x[0:2], x[2:4]]), x)
