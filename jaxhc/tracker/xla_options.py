"""``kernel_jit``: ``jax.jit`` for the hot kernels, compiled with XLA:CPU's loop emitter on CPU.

XLA:CPU's (default) fusion emitters recompute a shared subexpression once per output that
uses it.  The tracker's kernels are long element-wise chains with many outputs (complex
arithmetic, Jacobian columns, and above all double-double arithmetic, where every product's
four outputs share their error-free transformations), so the older loop emitter
(``xla_cpu_use_fusion_emitters=False``) is faster there and compiles faster (measured, same
process, Table 2 (3,2,3) m=2, batch 64: the double-precision ``advance`` ~7% faster at run time
and 1.06 s against 1.6 s to compile; ``refine`` 0.59 s against 1.0 s to compile, same run time;
the double-double gradient 0.82 ms against 4.6 ms).  But the loop emitter's compile time can
explode: the double-double tracker's ``advance`` took over 5 minutes at N = 18 (against ~10 s
with the defaults), so :mod:`.dd_tracker` keeps XLA's defaults; check compile times at the
largest N before moving a kernel here.  The option is XLA:CPU's own, so
on other backends the kernels compile with the defaults; the backend is read at the first call.
"""

from __future__ import annotations

import functools

import jax

__all__ = ["CPU_KERNEL_OPTIONS", "kernel_jit"]

CPU_KERNEL_OPTIONS = {"xla_cpu_use_fusion_emitters": False}


def kernel_compiler_options() -> dict | None:
    """:data:`CPU_KERNEL_OPTIONS` on the CPU backend, else None (XLA's defaults)."""
    return dict(CPU_KERNEL_OPTIONS) if jax.default_backend() == "cpu" else None


class _KernelJit:
    """A ``jax.jit`` built at the first use (after the backend is known), through the executable
    cache (:mod:`.executable_cache`, off unless a caller turns it on); forwards calls and attributes."""

    def __init__(self, fun, kw):
        self.fun, self.kw, self._jit = fun, kw, None
        functools.update_wrapper(self, fun)

    def _get(self):
        if self._jit is None:
            from .executable_cache import CachedKernel

            self._jit = CachedKernel(self.fun, compiler_options=kernel_compiler_options(), **self.kw)
        return self._jit

    def __call__(self, *args, **kwargs):
        return self._get()(*args, **kwargs)

    def __getattr__(self, name):  # .lower, .trace, ...
        if name in ("fun", "kw", "_jit"):
            raise AttributeError(name)
        return getattr(self._get(), name)


def kernel_jit(fun=None, **kw):
    """``jax.jit(fun, **kw)`` with :func:`kernel_compiler_options`; usable as a decorator."""
    if fun is None:
        return lambda f: _KernelJit(f, kw)
    return _KernelJit(fun, kw)
