"""A disk cache of compiled kernels, keyed by what the caller passes, shared between processes.

JAX's persistent compilation cache is keyed by the *lowered* module, so a process has to trace
and lower a kernel before it can look the executable up.  A table sweep runs the same kernels
of the same architecture in several processes (the main one, the prefetcher, the sample
workers), and that tracing and lowering was repeated in each of them (Table 3: 12.5 s of the
main process's 87 s of CPU, on kernels the prefetcher had already compiled).

Here the first process to compile a kernel also writes its executable
(``jax.experimental.serialize_executable``) under a key made of what determines it without
tracing: the kernel's name, its static arguments, the shapes and dtypes of the others, the
compiler options, JAX's version and platform, ``XLA_FLAGS``, and a hash of jaxhc's own source.  Another process
that makes the same call loads it in milliseconds.

A static argument is *keyable* when it is None, a bool, int, float, complex or str, a tuple of
keyable values, or an object with a ``cache_key`` attribute (the network gradient functions and
the homotopies built from them carry one, naming the architecture).  A call with any other static
argument compiles as ``jax.jit`` does.  Off until :func:`use_executable_cache` names a folder
(``experiments/`` points it next to JAX's compilation cache); the library never turns it on.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

import jax

__all__ = ["use_executable_cache", "stable_key", "function_key", "CachedKernel"]

_DIR: list = [None]
STATS = {"loaded": 0, "compiled": 0, "uncacheable": 0}  # per process, for tests and profiling


def use_executable_cache(path) -> None:
    """Keep compiled kernels in ``path`` (created if missing); None: off."""
    if path is not None:
        Path(path).mkdir(parents=True, exist_ok=True)
    _DIR[0] = None if path is None else Path(path)


_SCALARS = (type(None), bool, int, float, complex, str)


def stable_key(x):
    """A value that names ``x`` the same way in every process, or None when there is none."""
    if isinstance(x, _SCALARS):
        return (type(x).__name__, x)
    if isinstance(x, tuple):
        parts = tuple(stable_key(v) for v in x)
        return None if any(p is None for p in parts) else ("tuple", parts)
    return function_key(x)


def function_key(f):
    """An object by its ``cache_key``, a module-level function by its module and name, a
    ``functools.partial`` of keyable parts by those; None for anything else (closures and lambdas
    differ in what they close over)."""
    k = getattr(f, "cache_key", None)
    if k is not None:
        return ("key", k)
    if isinstance(f, functools.partial):
        parts = (function_key(f.func), stable_key(tuple(f.args)), stable_key(tuple(sorted(f.keywords.items()))))
        return None if any(p is None for p in parts) else ("partial", parts)
    mod, name = getattr(f, "__module__", None), getattr(f, "__qualname__", None)
    if not mod or not name or "<locals>" in name or "<lambda>" in name:
        return None
    return ("function", mod, name)


@functools.lru_cache(maxsize=1)
def _source_hash() -> str:
    """sha256 of every .py file of the jaxhc package: any code change invalidates the cache."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _leaf_key(leaf):
    dtype = getattr(leaf, "dtype", None)
    if dtype is None:  # a Python scalar: weakly typed under jit
        return type(leaf).__name__
    # (jax.typeof does the same but took ~350 us for the tracker state's leaves, against
    # ~250 us for the whole call.)
    return leaf.shape, dtype, isinstance(leaf, jax.Array) and leaf.weak_type


def _aval_key(dyn):
    leaves, tree = jax.tree_util.tree_flatten(dyn)
    return tree, tuple(_leaf_key(leaf) for leaf in leaves)


@functools.lru_cache(maxsize=1)
def _prepare_custom_calls() -> None:
    """Load LAPACK's kernels into the process before running a loaded executable.  jaxlib does
    that when it first *lowers* a linear-algebra operation; a loaded executable that calls LU or
    SVD in a process that never lowered one crashes (segmentation fault, seen with jax 0.10.2).
    Lowering one small LU and one SVD (no compile) does it."""
    import jax.numpy as jnp

    a = jnp.eye(2, dtype=jnp.complex128)
    jax.jit(jnp.linalg.solve).lower(a, a[0])
    jax.jit(jnp.linalg.svd).lower(a)


class CachedKernel:
    """``jax.jit(fun, static_argnums=..., compiler_options=...)`` whose executables go through the
    executable cache when it is on and every static argument of the call is keyable.  ``key``
    (keyable, see :func:`stable_key`) names a closure by what it closes over; None: uncached.

    Calls take positional arguments only when the cache is used (keywords are bound to positions
    by the signature)."""

    def __init__(self, fun, static_argnums=(), compiler_options=None, key=None):
        import inspect

        self.fun = fun
        self.static_argnums = tuple(sorted(static_argnums))
        self.compiler_options = compiler_options
        self._jit = jax.jit(fun, static_argnums=self.static_argnums, compiler_options=compiler_options)
        self._sig = inspect.signature(fun)
        # ``key``: names a closure (what it closes over); else the function's own name.
        self._fkey = function_key(fun) if key is None else ("key", key)
        self._loaded: dict = {}

    def _positional(self, args, kwargs):
        if not kwargs and len(args) == len(self._sig.parameters):
            return args
        b = self._sig.bind(*args, **kwargs)
        b.apply_defaults()
        return tuple(b.args)

    def __call__(self, *args, **kwargs):
        folder = _DIR[0]
        if folder is None or self._fkey is None:
            return self._jit(*args, **kwargs)
        args = self._positional(args, kwargs)
        statics = tuple(stable_key(args[i]) for i in self.static_argnums)
        if any(s is None for s in statics):
            STATS["uncacheable"] += 1
            return self._jit(*args)
        dyn = tuple(a for i, a in enumerate(args) if i not in self.static_argnums)
        key = (statics, _aval_key(dyn))
        exe = self._loaded.get(key)
        if exe is None:
            exe = self._loaded[key] = self._load_or_compile(folder, key, args)
        return exe(*dyn)

    def _file(self, folder: Path, key) -> Path:
        statics, (tree, leaves) = key
        full = repr((self._fkey, statics, str(tree), leaves, sorted((self.compiler_options or {}).items()), jax.__version__,
                     jax.default_backend(), bool(jax.config.jax_enable_x64), os.environ.get("XLA_FLAGS", ""),
                     _source_hash()))
        return folder / (hashlib.sha256(full.encode()).hexdigest() + ".exe")

    def _load_or_compile(self, folder: Path, key, args):
        from jax.experimental.serialize_executable import deserialize_and_load, serialize

        path = self._file(folder, key)
        if path.exists():
            _prepare_custom_calls()
            try:
                payload, in_tree, out_tree = pickle.loads(path.read_bytes())
                exe = deserialize_and_load(payload, in_tree, out_tree)
                STATS["loaded"] += 1
                return exe
            except Exception:  # a truncated or foreign file: compile it again
                pass
        exe = self._jit.lower(*args).compile()
        STATS["compiled"] += 1
        try:
            data = pickle.dumps(serialize(exe))
            # Written whole under a temporary name, then renamed: a reader never sees half a file.
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except Exception:  # an executable that cannot be serialized still runs here
            pass
        return exe

    def __getattr__(self, name):  # .lower, .trace, ._cache_size, ... of the underlying jax.jit
        if name.startswith("__") or name in ("_jit", "fun", "_sig", "_fkey", "_loaded"):
            raise AttributeError(name)
        return getattr(self._jit, name)
