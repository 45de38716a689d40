"""Complex double-double arithmetic in JAX (about 32 significant digits, jit- and vmap-able).

A real double-double number is an unevaluated sum ``hi + lo`` of two float64 with
``|lo| <= ulp(hi) / 2``; :class:`DD` holds the real and imaginary parts of complex
arrays that way (four float64 arrays of one shape).  It supports exactly the array
operations that :func:`jaxhc.system.gradient._gradient` uses (indexing, ``reshape``,
``.T``, ``ravel``, ``sum(axis)``, ``+``, ``-``, ``*``), so the gradient system evaluates
in double-double unchanged: :func:`gradient_function_dd`.

Why not a library: the mixed-precision escalation needs residuals to far below double
precision for a *batch* of paths at once, inside jit; mpmath and FLINT work one number at a
time on the host (milliseconds per residual through Python, measured 70% of a near-degenerate
sample's time), while these are plain vectorized float64 operations.

The error-free transformations follow Dekker and Knuth (``two_sum``) with one change: the
splitting of ``two_prod`` masks the low 27 mantissa bits instead of using Veltkamp's
``(2^27 + 1) a``, so that a compiler contracting ``c*a - a`` into a fused multiply-add
cannot break it.  The low half then has up to 27 bits and ``lo_a * lo_b`` may round by
2^-106 relative to ``a b``: below double-double's own unit roundoff (2^-104).  XLA does not
reassociate floating-point sums on CPU (no fast-math by default), which ``two_sum`` needs;
the tests check both against exact rational arithmetic, compiled with :data:`COMPILER_OPTIONS`.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["DD", "COMPILER_OPTIONS", "dd_from_complex", "gradient_function_dd"]

# XLA:CPU's loop emitter (:mod:`.xla_options`) evaluates double-double arithmetic without
# recomputing the four outputs' shared two_prods (the default emitters: 168 multiplies for the 28
# of one 3x3 by 3x2 product, measured), but it compiles the whole tracker far too slowly at
# N = 18, so :mod:`.dd_tracker` does not use it; the tests check exactness under both.
from .xla_options import CPU_KERNEL_OPTIONS as COMPILER_OPTIONS  # noqa: E402

_MASK = np.uint64(0xFFFFFFFFF8000000)  # keeps the sign, the exponent and the top 25 stored mantissa bits


def two_sum(a, b):
    """``s + e = a + b`` exactly, ``s = fl(a + b)`` (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def quick_two_sum(a, b):
    """``s + e = a + b`` exactly when ``|a| >= |b|`` (Dekker)."""
    s = a + b
    return s, b - (s - a)


def _split(a):
    hi = jax.lax.bitcast_convert_type(jax.lax.bitcast_convert_type(a, jnp.uint64) & _MASK, jnp.float64)
    return hi, a - hi


def two_prod(a, b):
    """``p + e = a b`` (to 2^-106 relative), ``p = fl(a b)``."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _add(ah, al, bh, bl):
    """Double-double sum (the accurate two-``two_sum`` variant)."""
    s, e = two_sum(ah, bh)
    t, f = two_sum(al, bl)
    s, e = quick_two_sum(s, e + t)
    return quick_two_sum(s, e + f)


def _mul(ah, al, bh, bl):
    p, e = two_prod(ah, bh)
    return quick_two_sum(p, e + (ah * bl + al * bh))


@jax.tree_util.register_pytree_node_class
class DD:
    """Complex double-double array: ``(rh + rl) + i (ih + il)``, four float64 arrays of one shape."""

    __array_priority__ = 100  # numpy scalars on the left defer to DD.__rmul__ etc.

    def __init__(self, rh, rl, ih, il):
        self.rh, self.rl, self.ih, self.il = rh, rl, ih, il

    def tree_flatten(self):
        return (self.rh, self.rl, self.ih, self.il), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)

    # -- conversions --------------------------------------------------------
    def to_complex(self):
        """Rounded to complex128."""
        return jax.lax.complex(self.rh + self.rl, self.ih + self.il)

    @property
    def hi(self):
        """The leading complex128 parts (``hi + lo`` is the value)."""
        return jax.lax.complex(self.rh, self.ih)

    @property
    def lo(self):
        return jax.lax.complex(self.rl, self.il)

    # -- shape --------------------------------------------------------------
    def _map(self, f):
        return DD(f(self.rh), f(self.rl), f(self.ih), f(self.il))

    @property
    def shape(self):
        return self.rh.shape

    @property
    def ndim(self):
        return self.rh.ndim

    def __getitem__(self, idx):
        return self._map(lambda a: a[idx])

    def reshape(self, *shape):
        return self._map(lambda a: a.reshape(*shape))

    def ravel(self):
        return self._map(jnp.ravel)

    @property
    def T(self):
        return self._map(lambda a: a.T)

    def sum(self, axis):
        """Sum over ``axis`` by sequential double-double additions (the axes here are short)."""
        n = self.shape[axis]
        idx = [(slice(None),) * (axis % self.ndim) + (k,) for k in range(n)]  # static slices, not gathers
        parts = [self._map(lambda a, i=i: a[i]) for i in idx]
        out = parts[0]
        for p in parts[1:]:
            out = out + p
        return out

    # -- arithmetic ---------------------------------------------------------
    def __add__(self, other):
        o = _as_dd(other)
        rh, rl = _add(self.rh, self.rl, o.rh, o.rl)
        ih, il = _add(self.ih, self.il, o.ih, o.il)
        return DD(rh, rl, ih, il)

    __radd__ = __add__

    def __neg__(self):
        return DD(-self.rh, -self.rl, -self.ih, -self.il)

    def __sub__(self, other):
        return self + (-_as_dd(other))

    def __rsub__(self, other):
        return _as_dd(other) + (-self)

    def __mul__(self, other):
        o = _as_dd(other)
        a, b = _mul(self.rh, self.rl, o.rh, o.rl), _mul(self.ih, self.il, o.ih, o.il)
        c, d = _mul(self.rh, self.rl, o.ih, o.il), _mul(self.ih, self.il, o.rh, o.rl)
        rh, rl = _add(a[0], a[1], -b[0], -b[1])
        ih, il = _add(c[0], c[1], d[0], d[1])
        return DD(rh, rl, ih, il)

    __rmul__ = __mul__


def dd_from_complex(z, lo=None) -> DD:
    """``z`` (complex128, exact) as a :class:`DD`, plus ``lo`` (complex128) if given."""
    z = jnp.asarray(z, jnp.complex128)
    if lo is None:
        zero = jnp.zeros(z.shape, jnp.float64)
        return DD(z.real, zero, z.imag, zero)
    lo = jnp.asarray(lo, jnp.complex128)
    rh, rl = two_sum(z.real, lo.real)
    ih, il = two_sum(z.imag, lo.imag)
    return DD(rh, rl, ih, il)


def _as_dd(x) -> DD:
    return x if isinstance(x, DD) else dd_from_complex(x)


def _eye(d: int) -> DD:
    return dd_from_complex(jnp.eye(d, dtype=jnp.complex128))


def concat(parts) -> DD:
    return DD(*(jnp.concatenate([getattr(p, f) for p in parts]) for f in ("rh", "rl", "ih", "il")))


@functools.lru_cache(maxsize=None)
def gradient_function_dd(arch):
    """``fn(w, p) -> DD``: the gradient system of ``arch`` (eq. (2)) in double-double.

    ``w`` and ``p`` are :class:`DD` (or complex128, taken as exact); the same formula as
    :func:`jaxhc.system.gradient.gradient_function`, one point (vmap for batches)."""
    from ..system.gradient import _gradient

    def fn(w, p):
        return _gradient(arch, _as_dd(w), _as_dd(p), _eye, concat)

    fn.cache_key = ("jaxhc.gradient_dd", arch.widths, arch.dx, arch.dy, arch.m)  # (executable_cache)
    return fn
