"""numpy references for layers and ops, shared by the test areas (independent math:
loops over windows and time steps, float64)."""

import math

import numpy as np


# ---- convolutions --------------------------------------------------------------------
def _last(x, data_format):
    return x if data_format == "channels_last" else np.moveaxis(x, 1, -1)


def _back(y, data_format):
    return y if data_format == "channels_last" else np.moveaxis(y, -1, 1)


def _same_pads(spatial, kernel, strides, dilation):
    pads = []
    for n, k, s, d in zip(spatial, kernel, strides, dilation):
        total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def np_conv(x, kernel, strides, padding, dilation, groups=1, data_format="channels_last"):
    """Direct loops: x channels-last after ``_last``; kernel ``(*k, in/groups, out)``."""
    x = _last(x.astype(np.float64), data_format)
    rank = x.ndim - 2
    ksize = kernel.shape[:rank]
    if padding == "same":
        pads = _same_pads(x.shape[1:-1], ksize, strides, dilation)
    elif padding == "causal":
        pads = [((ksize[0] - 1) * dilation[0], 0)]
    else:
        pads = [(0, 0)] * rank
    x = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    extent = [(k - 1) * d + 1 for k, d in zip(ksize, dilation)]
    out = [(n - e) // s + 1 for n, e, s in zip(x.shape[1:-1], extent, strides)]
    cin, cout = kernel.shape[-2], kernel.shape[-1]
    y = np.zeros((x.shape[0], *out, cout))
    for pos in np.ndindex(*out):
        window = x[(slice(None),) + tuple(
            slice(p * s, p * s + e, d) for p, s, e, d in zip(pos, strides, extent, dilation))]
        for g in range(groups):
            w = kernel[..., g * (cout // groups):(g + 1) * (cout // groups)]
            part = window[..., g * cin:(g + 1) * cin]
            y[(slice(None),) + pos + (slice(g * (cout // groups), (g + 1) * (cout // groups)),)] \
                = np.tensordot(part, w, axes=(list(range(1, rank + 2)), list(range(rank + 1))))
    return _back(y, data_format)


def np_conv_transpose(x, kernel, strides, padding, dilation, output_padding=None,
                      data_format="channels_last"):
    """Scatter ``x[i] * kernel[j]`` to ``i * s + j * d``, then crop as Keras (TF)."""
    x = _last(x.astype(np.float64), data_format)
    rank = x.ndim - 2
    ksize = kernel.shape[:rank]
    extent = [(k - 1) * d + 1 for k, d in zip(ksize, dilation)]
    n = x.shape[1:-1]
    full = [(m - 1) * s + e for m, s, e in zip(n, strides, extent)]
    big = np.zeros((x.shape[0], *[f + s for f, s in zip(full, strides)], kernel.shape[-2]))
    for pos in np.ndindex(*n):
        for off in np.ndindex(*ksize):
            target = tuple(p * s + o * d for p, s, o, d in zip(pos, strides, off, dilation))
            big[(slice(None),) + target] += x[(slice(None),) + pos] @ kernel[off].T
    sizes, starts = [], []
    for i, (m, s, e) in enumerate(zip(n, strides, extent)):
        op = None if output_padding is None else output_padding[i]
        if padding == "valid":
            size = (m - 1) * s + (max(e, s) if op is None else e + op)
            start = 0
        else:
            size = m * s if op is None else (m - 1) * s + e % 2 + op
            start = max((math.ceil(size / s) - 1) * s + e - size, 0) // 2
        sizes.append(size)
        starts.append(start)
    y = big[(slice(None),) + tuple(slice(a, a + z) for a, z in zip(starts, sizes))]
    return _back(y, data_format)


def np_depthwise(x, kernel, strides, padding, dilation, data_format="channels_last"):
    """Each input channel c with its own filters; output channel c * multiplier + m."""
    channels, multiplier = kernel.shape[-2:]
    outs = []
    for c in range(channels):
        xc = _last(x, data_format)[..., c:c + 1]
        outs.append(np_conv(xc, kernel[..., c:c + 1, :], strides, padding, dilation))
    return _back(np.concatenate(outs, axis=-1), data_format)


# ---- pooling -------------------------------------------------------------------------
def np_pool(x, pool, strides, padding, mode, data_format="channels_last"):
    x = x if data_format == "channels_last" else np.moveaxis(x, 1, -1)
    spatial = x.shape[1:-1]
    starts, outs = [], []
    for n, k, s in zip(spatial, pool, strides):
        if padding == "same":
            out = math.ceil(n / s)
            before = max((out - 1) * s + k - n, 0) // 2
        else:
            out, before = (n - k) // s + 1, 0
        outs.append(out)
        starts.append(before)
    y = np.zeros((x.shape[0], *outs, x.shape[-1]))
    for pos in np.ndindex(*outs):
        index = tuple(slice(max(p * s - b, 0), min(p * s - b + k, n)) for p, s, b, k, n in
                      zip(pos, strides, starts, pool, spatial))
        window = x[(slice(None),) + index].reshape(x.shape[0], -1, x.shape[-1])
        y[(slice(None),) + pos] = window.max(axis=1) if mode == "max" else window.mean(axis=1)
    return y if data_format == "channels_last" else np.moveaxis(y, -1, 1)


# ---- recurrent layers ----------------------------------------------------------------
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_cell(kind, x, states, kernel, recurrent, bias, activation=np.tanh, reset_after=True):
    """One step of Keras's cell: (output, new states)."""
    h = states[0]
    u = recurrent.shape[0]
    if kind == "simple":
        out = activation(x @ kernel + h @ recurrent + (0 if bias is None else bias))
        return out, [out]
    if kind == "lstm":
        z = x @ kernel + h @ recurrent + (0 if bias is None else bias)
        i, f, g, o = (z[:, k * u:(k + 1) * u] for k in range(4))
        c = _sigmoid(f) * states[1] + _sigmoid(i) * activation(g)
        out = _sigmoid(o) * activation(c)
        return out, [out, c]
    # GRU
    if reset_after:
        bx, bh = (0, 0) if bias is None else (bias[0], bias[1])
        xz = x @ kernel + bx
        hz = h @ recurrent + bh
        z = _sigmoid(xz[:, :u] + hz[:, :u])
        r = _sigmoid(xz[:, u:2 * u] + hz[:, u:2 * u])
        hh = activation(xz[:, 2 * u:] + r * hz[:, 2 * u:])
    else:
        xz = x @ kernel + (0 if bias is None else bias)
        z = _sigmoid(xz[:, :u] + h @ recurrent[:, :u])
        r = _sigmoid(xz[:, u:2 * u] + h @ recurrent[:, u:2 * u])
        hh = activation(xz[:, 2 * u:] + (r * h) @ recurrent[:, 2 * u:])
    out = z * h + (1 - z) * hh
    return out, [out]


def np_rnn(kind, x, weights, initial=None, mask=None, go_backwards=False, zero_output=False,
           **cell_kwargs):
    """The whole sequence: (outputs (batch, time, units), final states)."""
    kernel, recurrent = (np.asarray(w, np.float64) for w in weights[:2])
    bias = np.asarray(weights[2], np.float64) if len(weights) > 2 else None
    x = np.asarray(x, np.float64)
    batch, steps, _ = x.shape
    units = recurrent.shape[0]
    count = 2 if kind == "lstm" else 1
    states = [np.zeros((batch, units))] * count if initial is None else \
        [np.asarray(s, np.float64) for s in initial]
    outputs = []
    for t in (range(steps - 1, -1, -1) if go_backwards else range(steps)):
        out, new = np_cell(kind, x[:, t], states, kernel, recurrent, bias, **cell_kwargs)
        if mask is not None:
            m = mask[:, t, None]
            out = np.where(m, out, 0.0 if zero_output else states[0])
            new = [np.where(m, n, s) for n, s in zip(new, states)]
        states = new
        outputs.append(out)
    return np.stack(outputs, 1), states


def bilinear_resize(image, height, width):
    """Half-pixel-centre bilinear resize of one (h, w, c) image, edges clamped."""
    def axis_weights(n, out):
        centre = np.clip((np.arange(out) + 0.5) * n / out - 0.5, 0, n - 1)
        low = np.floor(centre).astype(int)
        return low, np.minimum(low + 1, n - 1), centre - low
    top, bottom, fy = axis_weights(image.shape[0], height)
    left, right, fx = axis_weights(image.shape[1], width)
    rows = image[top] * (1 - fy)[:, None, None] + image[bottom] * fy[:, None, None]
    return rows[:, left] * (1 - fx)[None, :, None] + rows[:, right] * fx[None, :, None]
