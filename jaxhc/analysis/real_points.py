"""Real critical points: loss, Hessian spectrum, Morse index and classification.

The loss is :func:`jaxhc.loss` (``½Σ‖W x_k − y_k‖² + ½Σ λ_ij w_ij²``, whose
gradient is eq. (2)) evaluated in real arithmetic on the real parts of the
data and of the point.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ..system.gradient import loss as _loss

__all__ = ["classify", "classify_real_points", "hessian_eigs", "real_loss"]

EIG_TOL = 1e-8


@functools.lru_cache(maxsize=None)
def _fns(arch):
    f = lambda w, p: _loss(arch, w, p)  # noqa: E731
    return jax.jit(jax.vmap(f, (0, None))), jax.jit(jax.vmap(jax.hessian(f), (0, None))), \
        jax.jit(jax.vmap(jax.grad(f), (0, None)))


def real_loss(arch, points, params) -> np.ndarray:
    """Loss at each row of ``points`` (real parts), with the real parts of ``params``."""
    pts = jnp.asarray(np.real(np.atleast_2d(points)), jnp.float64)
    return np.asarray(_fns(arch)[0](pts, jnp.asarray(np.real(params), jnp.float64)))


def real_grad(arch, points, params) -> np.ndarray:
    pts = jnp.asarray(np.real(np.atleast_2d(points)), jnp.float64)
    return np.asarray(_fns(arch)[2](pts, jnp.asarray(np.real(params), jnp.float64)))


def hessian_eigs(arch, points, params) -> np.ndarray:
    """Eigenvalues (ascending) of the real Hessian of the loss at each row of ``points``: (k, N)."""
    pts = jnp.asarray(np.real(np.atleast_2d(points)), jnp.float64)
    if pts.shape[0] == 0:
        return np.zeros((0, arch.N))
    Hs = np.asarray(_fns(arch)[1](pts, jnp.asarray(np.real(params), jnp.float64)))
    Hs = 0.5 * (Hs + np.swapaxes(Hs, -1, -2))
    return np.linalg.eigvalsh(Hs)


def classify(eigs, tol: float = EIG_TOL) -> tuple[int, str, bool]:
    """(index, kind, degenerate) from ascending Hessian eigenvalues.

    An eigenvalue with ``|e| <= tol * max(1, max|e|)`` counts as zero (degenerate);
    index = number of negative eigenvalues beyond that tolerance; kind is
    'minimum' (index 0), 'maximum' (all negative) or 'saddle', prefixed with
    'degenerate ' when a zero eigenvalue occurs.
    """
    eigs = np.asarray(eigs)
    z = tol * max(1.0, float(np.max(np.abs(eigs))))
    neg = int((eigs < -z).sum())
    degenerate = bool((np.abs(eigs) <= z).any())
    if neg == 0:
        kind = "minimum"
    elif neg == len(eigs):
        kind = "maximum"
    else:
        kind = "saddle"
    return neg, ("degenerate " + kind if degenerate else kind), degenerate


def classify_real_points(arch, points, params, tol: float = EIG_TOL) -> list[dict]:
    """One record per real point: loss, eigenvalues, index, kind, degenerate, global_min.

    ``global_min`` marks the point(s) of smallest loss (within 1e-10 relative);
    the loss is coercive (λ > 0), so its global minimum is a real critical point.
    """
    points = np.real(np.atleast_2d(np.asarray(points)))
    if points.shape[0] == 0 or points.shape[1] == 0:
        return []
    L = real_loss(arch, points, params)
    E = hessian_eigs(arch, points, params)
    lmin = float(L.min())
    out = []
    for k in range(len(points)):
        idx, kind, deg = classify(E[k], tol)
        out.append({"loss": float(L[k]), "eigs": E[k].tolist(), "index": idx, "kind": kind,
                    "degenerate": deg, "global_min": bool(L[k] <= lmin + 1e-10 * max(1.0, abs(lmin)))})
    return out
