"""The 64-bit hashes Keras 3's Hashing and HashedCrossing use, in numpy, on the host.

Keras 3 calls TensorFlow for them on every backend: ``tf.strings.to_hash_bucket_fast``
(FarmHash's Fingerprint64, i.e. farmhashna::Hash64), ``to_hash_bucket_strong`` (keyed
SipHash-2-4) and ``tf.sparse.cross_hashed`` (fingerprints chained with TensorFlow's
FingerprintCat64). These give the same uint64 values without TensorFlow.

Vectorized per byte length: the strings of one length read the same offsets, so each
length is one pass of uint64 array arithmetic over a (strings, bytes) matrix. numpy's
uint64 array arithmetic wraps modulo 2**64, as the C++ does.
"""

import numpy as np

_U = np.uint64
_K0, _K1, _K2 = _U(0xc3a5c85c97cb3127), _U(0xb492b66fbe98f273), _U(0x9ae16a3b2f90404f)
_MUL_CAT = _U(0xc6a4a7935bd1e995)
CROSS_HASH_KEY = 0xDECAFCAFFE  # tf.sparse.cross_hashed's default hash_key


def _rotr(v, s):
    return (v >> _U(s)) | (v << _U(64 - s))


def _rotl(v, s):
    return (v << _U(s)) | (v >> _U(64 - s))


def _shift_mix(v):
    return v ^ (v >> _U(47))


def _len16(u, v, mul):
    a = _shift_mix((u ^ v) * mul)
    return _shift_mix((v ^ a) * mul) * mul


class _Bytes:
    """Little-endian words of a (n, length) uint8 matrix at byte offsets."""

    def __init__(self, matrix):
        self.m = matrix

    def u64(self, at):
        return np.ascontiguousarray(self.m[:, at:at + 8]).view("<u8")[:, 0]

    def u32(self, at):
        return np.ascontiguousarray(self.m[:, at:at + 4]).view("<u4")[:, 0].astype(_U)

    def u8(self, at):
        return self.m[:, at].astype(_U)


def _weak32(s, at, a, b):
    w, x, y, z = s.u64(at), s.u64(at + 8), s.u64(at + 16), s.u64(at + 24)
    a = a + w
    b = _rotr(b + a + z, 21)
    c = a
    a = a + x + y
    b = b + _rotr(a, 44)
    return a + z, b + c


def _farm_0_16(s, n):
    if n >= 8:
        mul = _K2 + _U(n * 2)
        a = s.u64(0) + _K2
        b = s.u64(n - 8)
        return _len16(_rotr(b, 37) * mul + a, (_rotr(a, 25) + b) * mul, mul)
    if n >= 4:
        mul = _K2 + _U(n * 2)
        return _len16(_U(n) + (s.u32(0) << _U(3)), s.u32(n - 4), mul)
    if n > 0:
        y = s.u8(0) + (s.u8(n >> 1) << _U(8))
        z = _U(n) + (s.u8(n - 1) << _U(2))
        return _shift_mix((y * _K2) ^ (z * _K0)) * _K2
    return np.full(len(s.m), _K2)


def _farm_17_32(s, n):
    mul = _K2 + _U(n * 2)
    a, b = s.u64(0) * _K1, s.u64(8)
    c, d = s.u64(n - 8) * mul, s.u64(n - 16) * _K2
    return _len16(_rotr(a + b, 43) + _rotr(c, 30) + d, a + _rotr(b + _K2, 18) + c, mul)


def _farm_33_64(s, n):
    mul = _K2 + _U(n * 2)
    a, b = s.u64(0) * _K2, s.u64(8)
    c, d = s.u64(n - 8) * mul, s.u64(n - 16) * _K2
    y = _rotr(a + b, 43) + _rotr(c, 30) + d
    z = _len16(y, a + _rotr(b + _K2, 18) + c, mul)
    e, f = s.u64(16) * mul, s.u64(24)
    g, h = (y + s.u64(n - 32)) * mul, (z + s.u64(n - 24)) * mul
    return _len16(_rotr(e + f, 43) + _rotr(g, 30) + h, e + _rotr(f + a, 18) + g, mul)


def _farm_long(s, n):
    rows = len(s.m)
    x = np.full(rows, 81, _U)  # the seed
    y = x * _K1 + _U(113)
    z = _shift_mix(y * _K2 + _U(113)) * _K2
    v0 = v1 = w0 = w1 = np.zeros(rows, _U)
    x = x * _K2 + s.u64(0)
    for at in range(0, ((n - 1) // 64) * 64, 64):
        x = _rotr(x + y + v0 + s.u64(at + 8), 37) * _K1
        y = _rotr(y + v1 + s.u64(at + 48), 42) * _K1
        x = x ^ w1
        y = y + v0 + s.u64(at + 40)
        z = _rotr(z + w0, 33) * _K1
        v0, v1 = _weak32(s, at, v1 * _K1, x + w0)
        w0, w1 = _weak32(s, at + 32, z + w1, y + s.u64(at + 16))
        z, x = x, z
    last = n - 64
    mul = _K1 + ((z & _U(0xff)) << _U(1))
    w0 = w0 + _U((n - 1) & 63)
    v0 = v0 + w0
    w0 = w0 + v0
    x = _rotr(x + y + v0 + s.u64(last + 8), 37) * mul
    y = _rotr(y + v1 + s.u64(last + 48), 42) * mul
    x = x ^ (w1 * _U(9))
    y = y + v0 * _U(9) + s.u64(last + 40)
    z = _rotr(z + w0, 33) * mul
    v0, v1 = _weak32(s, last, v1 * mul, x + w0)
    w0, w1 = _weak32(s, last + 32, z + w1, y + s.u64(last + 16))
    z, x = x, z
    return _len16(_len16(v0, w0, mul) + _shift_mix(y) * _K0 + z, _len16(v1, w1, mul) + x, mul)


def _farm(s, n):
    if n <= 16:
        return _farm_0_16(s, n)
    if n <= 32:
        return _farm_17_32(s, n)
    return _farm_33_64(s, n) if n <= 64 else _farm_long(s, n)


def _sip_round(v0, v1, v2, v3):
    v0 = v0 + v1
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = v2 + v3
    v3 = _rotl(v3, 16) ^ v2
    v0 = v0 + v3
    v3 = _rotl(v3, 21) ^ v0
    v2 = v2 + v1
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def _sip(key):
    k0, k1 = _U(key[0]), _U(key[1])

    def hash_length(s, n):
        rows = len(s.m)
        v = [np.full(rows, k0 ^ _U(0x736f6d6570736575)), np.full(rows, k1 ^ _U(0x646f72616e646f6d)),
             np.full(rows, k0 ^ _U(0x6c7967656e657261)), np.full(rows, k1 ^ _U(0x7465646279746573))]
        tail = np.zeros((rows, 8), np.uint8)
        tail[:, :n % 8] = s.m[:, n - n % 8:]
        tail[:, 7] = n & 0xff
        blocks = [s.u64(at) for at in range(0, n - n % 8, 8)]
        for m in blocks + [_Bytes(tail).u64(0)]:
            v[3] = v[3] ^ m
            v = list(_sip_round(*_sip_round(*v)))
            v[0] = v[0] ^ m
        v[2] = v[2] ^ _U(0xff)
        for _ in range(4):
            v = list(_sip_round(*v))
        return v[0] ^ v[1] ^ v[2] ^ v[3]
    return hash_length


def _by_length(data, hash_length):
    """uint64 hashes of ``data`` (a sequence of bytes), one vectorized pass per length."""
    out = np.zeros(len(data), _U)
    lengths = np.fromiter(map(len, data), np.int64, len(data))
    for n in np.unique(lengths):
        rows = np.flatnonzero(lengths == n)
        matrix = np.frombuffer(b"".join(data[i] for i in rows), np.uint8).reshape(len(rows), n)
        out[rows] = hash_length(_Bytes(matrix), int(n))
    return out


def fingerprint64(data):
    """FarmHash Fingerprint64 (TensorFlow's Fingerprint64) of each bytes in ``data``."""
    return _by_length(list(data), _farm)


def siphash64(data, key):
    """SipHash-2-4 of each bytes in ``data`` under ``key`` (two uint64: k0, k1), as
    TensorFlow's to_hash_bucket_strong keys it."""
    return _by_length(list(data), _sip(key))


def fingerprint_cat64(fp1, fp2):
    """TensorFlow's FingerprintCat64: two fingerprints (uint64 arrays) combined in order."""
    result = np.asarray(fp1, _U) ^ _MUL_CAT
    result = result ^ (_shift_mix(np.asarray(fp2, _U) * _MUL_CAT) * _MUL_CAT)
    result = result * _MUL_CAT
    return _shift_mix(_shift_mix(result) * _MUL_CAT)
