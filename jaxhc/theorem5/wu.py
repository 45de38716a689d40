"""The junk-free (w, u) formulation of the H = 1, m = 1 critical-point equations.

Notation (paper, Section 3): ``n = d_x``, ``p = d_y``, ``d = d_1``, ``A = W_1``
(``d × n``), ``B = W_2`` (``p × d``), ``Λ = (λ_ij)``, ``Σ = (σ_ki)``, data ``x``, ``y``.
With ``S_i = Σ_j a_ij x_j``, ``R_k = Σ_i b_ki S_i − y_k``, ``C_i = Σ_j x_j²/λ_ij``
and ``T_k = Σ_i S_i²/σ_ki`` the gradient equations (3), (4) are equivalent to

* ``a_ij = S_i x_j / (C_i λ_ij)``  (Lemma 4, eqs. (5)-(6)),
* ``R_k (1 + T_k) = −y_k``, hence ``1 + T_k ≠ 0`` whenever ``y_k ≠ 0``, and
  ``b_ki = y_k S_i u_k / σ_ki`` with ``u_k = 1/(1 + T_k)`` (proof of Theorem 5),
* ``S_i · (Σ_k y_k² u_k²/σ_ki − 1/C_i) = 0`` for every neuron ``i``; ``S_i = 0``
  forces row ``i`` of ``A`` and column ``i`` of ``B`` to vanish (Cor. 10, Thm. 9).

In the unknowns ``w_i = S_i²`` (``i = 1..d``) and ``u_k`` (``k = 1..p``) the critical
points are therefore, up to the ``2^{|I|}`` sign choices ``S_i = ±√w_i``, the
solutions of the *combined* system

    E_k:  u_k (1 + Σ_i w_i/σ_ki) − 1 = 0                   k = 1..p   (bidegree (1, 1))
    F_i:  w_i (Σ_k (y_k²/σ_ki) u_k² − 1/C_i) = 0           i = 1..d   (bidegree (1, 2))

whose zero pattern ``I = {i : w_i ≠ 0}`` is the stratum of nonzero rows of ``A``.
``E_k`` forces ``u_k ≠ 0``, and no other factor can vanish identically, so unlike
the paper's eq. (7) (which clears the denominators ``(1 + T_k)²`` and acquires the
positive-dimensional junk ``1 + T_k = 1 + T_l = 0``) this system has no spurious
components: for generic data every solution is isolated, nonsingular and gives
``2^{|I|}`` distinct critical points.

On one stratum ``I`` of size ``d'`` the 2-homogeneous Bézout number (groups
``w_I`` and ``u``) is ``C(p, d') 2^{d'}``; summed over strata the combined system has
``Σ_{d'} C(d, d') C(p, d') 2^{d'}`` solutions at most, i.e. at most
``Σ_{d'} C(d, d') C(p, d') 4^{d'}`` critical points (<= ``B_C = (1 + 4p)^d``).

Start system (linear product, Sommese & Wampler 2005, §8.4)::

    G_E_k = L_k(w) · M_k(u),        G_F_i = w_i · N_i1(u) · N_i2(u)

with random complex affine forms ``L_k`` (in ``w``), ``M_k, N_i1, N_i2`` (in ``u``).
Each target equation lies in the span of the products of the same factor spaces
(``E_k ∈ ⟨1, w⟩⊗⟨1, u⟩``, ``F_i ∈ ⟨w_i⟩⊗⟨1, u⟩⊗⟨1, u⟩``), and the start system
is a generic member of this linear-product family, so by the linear-product
homotopy theorem (Sommese & Wampler, Thm. 8.4.1; Morgan & Sommese 1987 for the
multihomogeneous case) the γ-trick homotopy ``(1 − t) F + t γ G`` has, for all
but finitely many γ on the unit circle, nonsingular paths on ``t ∈ (0, 1]``
whose limits contain **every isolated solution** of ``F``; every isolated
critical point gives an isolated ``(w, u)`` solution (the lift below is a local
bijection), which is what makes the method complete.  The start solutions:
choose ``I`` (``w_i = 0`` outside ``I``), which ``d'`` of the ``E_k`` take their
``L``-factor (``C(p, d')`` ways, solving ``L_K(w_I) = 0``) and one ``u``-factor of
each ``F_i``, ``i ∈ I`` (``2^{d'}`` ways; with the ``M_k``, ``k ∉ K``, a ``p × p``
linear system for ``u``).  A path started with ``w_i = 0`` stays in ``w_i = 0``
(the equation ``w_i · (...)`` is identically zero there), so each stratum is
tracked by exactly its own ``C(p, d') 2^{d'}`` paths, all in one batched call.
"""

from __future__ import annotations

import functools
import itertools
import math

import jax.numpy as jnp
import numpy as np

from ..system.system import System

__all__ = ["wu_function", "wu_system", "wu_start_function", "wu_start_system", "wu_start_points",
           "wu_path_count", "data_constants", "lift", "weights_from_S"]


def data_constants(data):
    """``(x, y, Λ, Σ, C)`` as complex numpy arrays (``x: (n,)``, ``y: (p,)``, ``C: (d,)``)."""
    x = np.asarray(data.X, dtype=np.complex128)[:, 0]
    y = np.asarray(data.Y, dtype=np.complex128)[:, 0]
    lam = np.asarray(data.Lambdas[0], dtype=np.complex128)
    sig = np.asarray(data.Lambdas[1], dtype=np.complex128)
    C = (x[None, :] ** 2 / lam).sum(axis=1)
    return x, y, lam, sig, C


def wu_path_count(d: int, p: int) -> int:
    """Number of start paths ``Σ_{d'} C(d, d') C(p, d') 2^{d'}`` (includes the origin's one)."""
    return sum(math.comb(d, k) * math.comb(p, k) * 2**k for k in range(min(d, p) + 1))


@functools.lru_cache(maxsize=None)
def wu_function(d: int, p: int):
    """``fn(z, q)``: the combined (w, u) system; ``z = (w_1..w_d, u_1..u_p)``.

    Parameters ``q = (1/σ (p·d, row-major), y²/σ (p·d), 1/C (d))``.
    """

    def fn(z, q):
        w, u = z[:d], z[d:]
        isig = q[: p * d].reshape(p, d)
        y2s = q[p * d : 2 * p * d].reshape(p, d)
        invC = q[2 * p * d :]
        E = u * (1.0 + (isig * w[None, :]).sum(axis=1)) - 1.0
        F = w * ((y2s * (u * u)[:, None]).sum(axis=0) - invC)
        return jnp.concatenate([E, F])

    return fn


def wu_system(data) -> System:
    """The (w, u) system of one H = 1, m = 1 instance."""
    a = data.arch
    d, p = a.widths[0], a.dy
    _, y, _, sig, C = data_constants(data)
    q = np.concatenate([(1.0 / sig).ravel(), (y[:, None] ** 2 / sig).ravel(), 1.0 / C])
    return System(wu_function(d, p), d + p, (2,) * p + (3,) * d, q, name=f"wu_{a.label()}")


@functools.lru_cache(maxsize=None)
def wu_start_function(d: int, p: int):
    """``fn(z, c)``: the linear-product start system; ``c = (L (p, d+1), M (p, p+1), N1 (d, p+1), N2 (d, p+1))``."""

    def fn(z, c):
        w, u = z[:d], z[d:]
        o = 0
        L = c[o : o + p * (d + 1)].reshape(p, d + 1)
        o += p * (d + 1)
        M = c[o : o + p * (p + 1)].reshape(p, p + 1)
        o += p * (p + 1)
        N1 = c[o : o + d * (p + 1)].reshape(d, p + 1)
        o += d * (p + 1)
        N2 = c[o : o + d * (p + 1)].reshape(d, p + 1)
        lw = L[:, 0] + (L[:, 1:] * w[None, :]).sum(axis=1)
        mu = M[:, 0] + (M[:, 1:] * u[None, :]).sum(axis=1)
        n1 = N1[:, 0] + (N1[:, 1:] * u[None, :]).sum(axis=1)
        n2 = N2[:, 0] + (N2[:, 1:] * u[None, :]).sum(axis=1)
        return jnp.concatenate([lw * mu, w * n1 * n2])

    return fn


def _split_start(c, d, p):
    o = 0
    out = []
    for r, k in [(p, d + 1), (p, p + 1), (d, p + 1), (d, p + 1)]:
        out.append(c[o : o + r * k].reshape(r, k))
        o += r * k
    return out


def wu_start_system(d: int, p: int, rng: np.random.Generator) -> System:
    """A start system with random complex coefficients (normalised rows)."""
    size = p * (d + 1) + p * (p + 1) + 2 * d * (p + 1)
    c = (rng.standard_normal(size) + 1j * rng.standard_normal(size)) / np.sqrt(2.0)
    return System(wu_start_function(d, p), d + p, (2,) * p + (3,) * d, c, name=f"wu_start_d{d}_p{p}")


def wu_start_points(start: System, d: int, p: int):
    """All start solutions ``(P, d + p)`` and the stratum (sorted tuple ``I``) of each."""
    L, M, N1, N2 = _split_start(np.asarray(start.params), d, p)
    pts, strata = [], []
    for dp in range(min(d, p) + 1):
        for I in itertools.combinations(range(d), dp):
            for K in itertools.combinations(range(p), dp):
                w = np.zeros(d, np.complex128)
                if dp:
                    w[list(I)] = np.linalg.solve(L[list(K)][:, [1 + i for i in I]], -L[list(K), 0])
                notK = [k for k in range(p) if k not in K]
                for choice in itertools.product((0, 1), repeat=dp):
                    rows = [M[k] for k in notK] + [(N1 if c == 0 else N2)[i] for i, c in zip(I, choice)]
                    R = np.array(rows).reshape(p, p + 1)
                    u = np.linalg.solve(R[:, 1:], -R[:, 0])
                    pts.append(np.concatenate([w, u]))
                    strata.append(I)
    return np.array(pts).reshape(len(pts), d + p), strata


def lift(z, data, I, signs=None):
    """Critical points (flat weights, ``(2^{|I|}, N)``) from one (w, u) solution ``z`` on stratum ``I``.

    ``S_i = ±√w_i`` (all sign choices unless ``signs`` is given), ``a_ij = S_i x_j/(C_i λ_ij)``,
    ``b_ki = y_k S_i u_k/σ_ki``; rows of ``A`` / columns of ``B`` outside ``I`` are zero.
    """
    a = data.arch
    d, p = a.widths[0], a.dy
    x, y, lam, sig, C = data_constants(data)
    z = np.asarray(z, dtype=np.complex128)
    w, u = z[:d], z[d:]
    I = list(I)
    if signs is None:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=len(I))), dtype=float)
    signs = np.asarray(signs, dtype=float).reshape(2 ** len(I) if signs.size == 0 else len(signs), len(I))
    S = np.zeros((len(signs), d), np.complex128)
    if I:
        S[:, I] = signs * np.sqrt(w[I])[None, :]
    return weights_from_S(S, np.broadcast_to(u, (len(signs), p)), data)


def weights_from_S(S, u, data):
    """Flat weights ``(k, N)`` from ``S: (k, d)`` and ``u: (k, p)``: ``a_ij = S_i x_j/(C_i λ_ij)``, ``b_ki = y_k S_i u_k/σ_ki``."""
    x, y, lam, sig, C = data_constants(data)
    S, u = np.atleast_2d(S), np.atleast_2d(u)
    A = S[:, :, None] * (x[None, None, :] / (C[None, :, None] * lam[None, :, :]))  # (k, d, n)
    B = (y[None, :] * u)[:, :, None] * S[:, None, :] / sig[None, :, :]  # (k, p, d)
    return np.concatenate([A.reshape(len(S), -1), B.reshape(len(S), -1)], axis=1)
