"""The executable cache (jaxhc.tracker.executable_cache): a second process loads the kernels the
first one compiled, without tracing them, and gets the same endpoints bit for bit as a process
with the cache off; calls it cannot key compile as jax.jit does."""

import json
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np

from jaxhc.tracker import executable_cache as ec

# One start pair moved to new parameters by the tracker (advance + init_state kernels, with LU
# solves inside), then the endpoints refined (refine kernel, with an SVD inside).
CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    from jaxhc.tracker import executable_cache as ec
    if sys.argv[1] != "off":
        ec.use_executable_cache(sys.argv[1])
    from jaxhc import Architecture
    from jaxhc.endgame.finalize import refine_padded
    from jaxhc.monodromy.core import arch_system, random_params, start_pair, transfer
    arch = Architecture((2,), 2, 1, 1)
    rng = np.random.default_rng(3)
    w0, p0 = start_pair(arch, rng)
    p1 = random_params(arch, rng)
    st, x = transfer(arch, w0[None], p0, p1, rng=rng, batch_size=8)
    xr = np.asarray(refine_padded(arch_system(arch).fn, x, np.broadcast_to(p1, (1, p1.size)))[0])
    print(json.dumps({"stats": ec.STATS, "status": st.tolist(), "x": [[c.real, c.imag] for c in xr.ravel()]}))
""")


def _child(arg):
    out = subprocess.run([sys.executable, "-c", CHILD, arg], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_second_process_loads_the_executables_and_gets_the_same_endpoints(tmp_path):
    folder = str(tmp_path / "exe")
    first, second, off = _child(folder), _child(folder), _child("off")
    assert first["stats"]["compiled"] >= 3 and first["stats"]["loaded"] == 0
    # The second process compiled nothing: every kernel came from the folder (and it ran: a loaded
    # executable calling LAPACK crashed before jaxlib's kernels were set up in the process).
    assert second["stats"]["compiled"] == 0 and second["stats"]["loaded"] == first["stats"]["compiled"]
    assert off["stats"] == {"loaded": 0, "compiled": 0, "uncacheable": 0}
    assert first["status"] == second["status"] == off["status"]
    assert first["x"] == second["x"] == off["x"]


def test_keys():
    from jaxhc import Architecture
    from jaxhc.homotopy.base import _parameter_fn
    from jaxhc.system.gradient import gradient_function

    a, b = Architecture((2,), 2, 2, 1), Architecture((2,), 2, 2, 2)
    ka = ec.stable_key(_parameter_fn(gradient_function(a)))
    assert ka is not None and ka == ec.stable_key(_parameter_fn(gradient_function(a)))
    assert ka != ec.stable_key(_parameter_fn(gradient_function(b)))
    # The escalation's double-double kernels are closures, named by what they close over.
    from jaxhc.tracker.dd_tracker import DDConfig, _kernels
    from jaxhc.tracker.double_double import gradient_function_dd

    init, adv = _kernels(gradient_function(a), gradient_function_dd(a), DDConfig())
    assert init._fkey is not None and adv._fkey is not None and init._fkey != adv._fkey
    init_b, _ = _kernels(gradient_function(b), gradient_function_dd(b), DDConfig())
    assert init_b._fkey != init._fkey
    assert ec.stable_key((1, "x", None, 2.5)) is not None
    assert ec.stable_key(lambda x: x) is None  # a closure names nothing stable
    assert ec.function_key(_double) == ("function", __name__, "_double")


def test_uncacheable_static_argument_falls_back_to_jit(tmp_path):
    k = ec.CachedKernel(_module_level, static_argnums=(0,))
    ec.use_executable_cache(tmp_path)
    try:
        before = dict(ec.STATS)
        y = k(lambda x: 3.0 * x, jnp.arange(3.0))  # a lambda: no key
        assert ec.STATS["uncacheable"] == before["uncacheable"] + 1
        np.testing.assert_allclose(np.asarray(y), [1.0, 4.0, 7.0])
        z = k(_double, jnp.arange(3.0))  # a module-level function: cached
        assert ec.STATS["compiled"] == before["compiled"] + 1
        np.testing.assert_allclose(np.asarray(z), 2.0 * np.arange(3.0) + 1.0)
        assert len(list(tmp_path.glob("*.exe"))) == 1
        # A new kernel object (as in a new process) loads the file instead of compiling.
        z2 = ec.CachedKernel(_module_level, static_argnums=(0,))(_double, jnp.arange(3.0))
        assert ec.STATS["loaded"] == before["loaded"] + 1
        assert np.array_equal(np.asarray(z2), np.asarray(z))
        # Another dtype is another executable.
        ec.CachedKernel(_module_level, static_argnums=(0,))(_double, jnp.arange(3))
        assert len(list(tmp_path.glob("*.exe"))) == 2
    finally:
        ec.use_executable_cache(None)
    assert jax.config.jax_enable_x64


def _module_level(f, x):
    return f(x) + 1.0


def _double(x):
    return 2.0 * x
