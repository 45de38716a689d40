"""Example 14 (H = 2, d_x = d_y = d_1 = d_2 = 2, m = 1): the possible types, and why two are absent.

Fast (no homotopy run): the counted result itself is produced by experiments/example14.py.
"""

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jaxhc import Architecture
from jaxhc.analysis import section4
from jaxhc.strata import enumerate_strata
from jaxhc.system.gradient import gradient_function

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))

A = Architecture((2, 2), 2, 2, 1)


def test_ten_possible_types_from_strata():
    # By hand: each hidden layer keeps a nonempty set of its 2 neurons ({1,2}, {1} or {2}), so
    # 3 x 3 = 9 patterns with no fully dead layer, plus the origin (a fully dead layer zeroes
    # everything): 10 types.  jaxhc.strata (kept neurons, used by the solver) and
    # jaxhc.analysis.section4 (dead neurons, used to count) must enumerate the same 10.
    import example14

    strata = enumerate_strata(A)
    assert len(strata) == 10
    assert len({s.pattern for s in strata}) == 10
    keys = {example14.strata_pattern_to_key(A, s.pattern) for s in strata}
    assert keys == set(section4.possible_types(A))
    # The two pictures the paper prints as missing are two of the ten (neuron j of layer 2 dead).
    pics = {section4.pattern_picture(A, k): section4.type_label(A, k) for k in keys}
    assert [pics[p] for p in example14.PAPER_MISSING] == ["dead L2{1}", "dead L2{2}"]
    # Their reduced network is d_1 x d_2 = 2 x 1.
    red = {s.pattern: s.reduced.widths for s in strata if not s.is_origin}
    assert red["11|01"] == red["11|10"] == (2, 1)


def _incidence_point(arch, rng):
    """Random torus weights w, data (x, y), and Λ := -G/w so that w is a critical point."""
    fn = gradient_function(arch)
    k = (arch.dx + arch.dy) * arch.m
    w = rng.uniform(0.5, 1.5, arch.N) * np.exp(2j * np.pi * rng.uniform(size=arch.N))
    p = np.concatenate([rng.standard_normal(k) + 1j * rng.standard_normal(k), np.zeros(arch.N)])
    p[k:] = -np.asarray(fn(jnp.asarray(w), jnp.asarray(p))) / w
    assert np.max(np.abs(np.asarray(fn(jnp.asarray(w), jnp.asarray(p))))) < 1e-12
    return fn, w, p


def _cond(fn, w, p):
    J = np.asarray(jax.jacfwd(fn, holomorphic=True)(jnp.asarray(w), jnp.asarray(p)))
    s = np.linalg.svd(J, compute_uv=False)
    return s[0] / s[-1]


def test_reduced_2x1_has_no_torus_critical_points_for_generic_data():
    # Derivation (experiments/example14.py, "Why the two types are absent"): at a torus critical
    # point of the 2x1 network (W1 2x2, W2 = b^T, W3 = a), lambda2_i = c^2 delta_i with
    # delta_i = sum_j x_j^2 / lambda1_ij, so lambda2_1 delta_2 = lambda2_2 delta_1: a condition on
    # the data alone, false for generic data.  Check it at random critical points (any w).
    rng = np.random.default_rng(14)
    R = Architecture((2, 1), 2, 2, 1)
    for _ in range(3):
        fn, w, p = _incidence_point(R, rng)
        x = p[0:2]
        lam = p[4:]
        lam1, lam2 = lam[0:4].reshape(2, 2), lam[4:6]
        delta = (x**2 / lam1).sum(axis=1)
        assert abs(lam2[0] * delta[1] - lam2[1] * delta[0]) <= 1e-10 * abs(lam2[0] * delta[1])
        # ... hence the parameters of critical points form a proper subvariety: dF/dw is singular.
        assert _cond(fn, w, p) > 1e12
    # Generic data violate the condition (random Lambda): no torus point can exist there.
    lam1, lam2, x = rng.uniform(0, 1, (2, 2)), rng.uniform(0, 1, 2), rng.standard_normal(2)
    delta = (x**2 / lam1).sum(axis=1)
    assert abs(lam2[0] * delta[1] - lam2[1] * delta[0]) > 1e-6
    # The mirrored 1x2 network (dead L1{i} types) has no such obstruction: dF/dw is regular.
    fn, w, p = _incidence_point(Architecture((1, 2), 2, 2, 1), rng)
    assert _cond(fn, w, p) < 1e8
