"""The gradient system ∇L^Λ = 0 of eq. (2), as JAX code and as expanded sympy polynomials.

For weights ``W_1..W_{H+1}`` with product ``W = W_{H+1} ⋯ W_1``:

    ∂L^Λ/∂W_i = (W_{H+1} ⋯ W_{i+1})^T (W X X^T − Y X^T) (W_{i−1} ⋯ W_1)^T + Λ_i ∘ W_i

The JAX version is built from matrix products (never expanded monomials), with
the data ``(X, Y, Λ)`` as the system's parameters so that one compiled tracker
serves every sample of an architecture and parameter homotopies can move the
data themselves.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np

from .network import Architecture, NetworkData
from .system import System

__all__ = ["gradient_function", "gradient_function_flint", "gradient_system", "gradient_sympy", "loss",
           "value_and_hessian"]


def _mm(A, B):
    """Tiny matrix product as broadcast-multiply-sum: 2-2.5x faster than ``@`` for
    the few-by-few matrices here under vmap on CPU (measured)."""
    return (A[:, :, None] * B[None, :, :]).sum(axis=1)


def _unpack_params(arch: Architecture, p):
    k = arch.dx * arch.m
    X = p[:k].reshape(arch.dx, arch.m)
    Y = p[k : k + arch.dy * arch.m].reshape(arch.dy, arch.m)
    return X, Y, arch.split(p[k + arch.dy * arch.m :])


def _product(Ws, lo, hi, mul=_mm):
    """``W_hi ⋯ W_lo`` (1-based, inclusive) with the product ``mul``; None (the identity) if empty.
    The one weight-chain helper of the gradient, its Hessian and their extended-precision twins."""
    out = None
    for j in range(lo, hi + 1):
        out = Ws[j - 1] if out is None else mul(Ws[j - 1], out)
    return out


def _chain(Ws, lo, hi, eye_dim):
    """``W_hi ⋯ W_lo`` (1-based, inclusive); identity of size ``eye_dim`` if empty."""
    out = _product(Ws, lo, hi)
    return jnp.eye(eye_dim, dtype=jnp.complex128) if out is None else out


def _gradient(arch: Architecture, w, p, eye, concat):
    """Eq. (2) for any array type with ``reshape``, ``.T``, broadcasting and ``sum``.

    (``eye`` is no longer called: empty weight chains are skipped, not multiplied as identities;
    the argument stays for the callers' signatures.)"""
    H1 = arch.H + 1
    X, Y, Lams = _unpack_params(arch, p)
    Ws = arch.split(w)

    def chain(lo, hi):  # W_hi ⋯ W_lo (1-based, inclusive); None (the identity) if empty
        return _product(Ws, lo, hi)

    Z = _mm(X, X.T)  # X X^T  (d_x, d_x)
    T = _mm(Y, X.T)  # Y X^T  (d_y, d_x)
    E = _mm(chain(1, H1), Z) - T  # (d_y, d_x)
    grads = []
    for i in range(1, H1 + 1):
        # U^T E V^T with U = W_{H+1} ⋯ W_{i+1} (d_y, d_i), V = W_{i-1} ⋯ W_1 (d_{i-1}, d_x); an empty
        # chain is the identity and is skipped, not multiplied (exact either way; in double-double
        # a product by a 4x4 identity is a few hundred operations for nothing).
        U, V = chain(i + 1, H1), chain(1, i - 1)
        G = E if U is None else _mm(U.T, E)
        G = G if V is None else _mm(G, V.T)
        G = G + Lams[i - 1] * Ws[i - 1]
        grads.append(G.ravel())
    return concat(grads)


@functools.lru_cache(maxsize=None)
def gradient_function(arch: Architecture):
    """``fn(w, p)`` for :class:`System`: the flat gradient ``Complex[Array, "N"]``.

    Cached per architecture so that every sample shares one function object
    (and therefore one compilation).
    """

    def fn(w, p):
        return _gradient(arch, w, p, lambda d: jnp.eye(d, dtype=jnp.complex128), jnp.concatenate)

    # The trackers and the endpoint refinement take F and F' from here when it is present
    # (:func:`jaxhc.system.system.value_and_jacobian`): the closed-form Hessian costs about
    # half of forward mode over the N unit directions (measured, N = 12-18).
    fn.value_and_jacobian = lambda w, p: value_and_hessian(arch, w, p)
    # Names this function in every process, for the executable cache (jaxhc.tracker.executable_cache).
    fn.cache_key = ("jaxhc.gradient", arch.widths, arch.dx, arch.dy, arch.m)
    return fn


def value_and_hessian(arch: Architecture, w, p):
    """The gradient ``∇L^Λ`` and its Jacobian, the Hessian of ``L^Λ``, in closed form.

    ``w: Complex[Array, "N"]``, ``p: Complex[Array, "k"]`` -> ``(Complex[Array, "N"],
    Complex[Array, "N N"])``, the same values as forward-mode autodiff of
    :func:`gradient_function` to rounding.

    With ``U_i = W_L ⋯ W_{i+1}``, ``V_i = W_{i-1} ⋯ W_1`` (identities when empty, L = H + 1)
    and ``E = W Z − T`` (``Z = X Xᵀ``, ``T = Y Xᵀ``), the gradient block is
    ``G_i = U_iᵀ E V_iᵀ + Λ_i ∘ W_i``, and for ``j ≥ i`` the derivative of ``G_i[a, b]``
    in ``W_j[c, d]`` is a sum of outer products of small matrices:

    * through ``E``: ``(U_iᵀ U_j)[a, c] · (V_j Z V_iᵀ)[d, b]``;
    * for ``j > i``, through ``U_i = U_j W_j Q`` (``Q = W_{j-1} ⋯ W_{i+1}``): ``Q[d, a] · (U_jᵀ E V_iᵀ)[c, b]``;
    * for ``j = i``: ``Λ_i[a, b]`` on the diagonal.

    The Hessian is symmetric, so the blocks below the diagonal are transposes.  Every entry
    is one or two products, where forward mode pushes N tangents through the whole gradient.
    """
    L = arch.H + 1
    X, Y, Lams = _unpack_params(arch, p)
    Ws = arch.split(w)
    dims = (arch.dx,) + tuple(arch.widths) + (arch.dy,)

    def chain(lo, hi):  # W_hi ⋯ W_lo (1-based, inclusive); None (the identity) if empty
        return _product(Ws, lo, hi)

    def mm(A, B):  # None stands for an identity
        return B if A is None else A if B is None else _mm(A, B)

    def tr(A):
        return None if A is None else A.T

    def dense(A, d):
        return jnp.eye(d, dtype=jnp.complex128) if A is None else A

    Z = _mm(X, X.T)
    E = _mm(chain(1, L), Z) - _mm(Y, X.T)
    U = [None] + [chain(i + 1, L) for i in range(1, L + 1)]
    V = [None] + [chain(1, i - 1) for i in range(1, L + 1)]
    grads = [(mm(mm(tr(U[i]), E), tr(V[i])) + Lams[i - 1] * Ws[i - 1]).ravel() for i in range(1, L + 1)]
    blocks = [[None] * L for _ in range(L)]
    for i in range(1, L + 1):
        for j in range(i, L + 1):
            di, dj = dims[i], dims[j]
            M1 = dense(mm(tr(U[i]), U[j]), di)  # (d_i, d_j)
            M2 = dense(mm(mm(V[j], Z), tr(V[i])), dims[j - 1])  # (d_{j-1}, d_{i-1})
            B = M1[:, None, :, None] * M2.T[None, :, None, :]  # [a, b, c, d]
            if j > i:
                Q = dense(chain(i + 1, j - 1), di)  # (d_{j-1}, d_i)
                R = dense(mm(mm(tr(U[j]), E), tr(V[i])), dj)  # (d_j, d_{i-1})
                B = B + Q.T[:, None, None, :] * R.T[None, :, :, None]
            B = B.reshape(di * dims[i - 1], dj * dims[j - 1])
            if j == i:
                B = B + jnp.diag(Lams[i - 1].ravel())
            blocks[i - 1][j - 1] = B
            if j > i:
                blocks[j - 1][i - 1] = B.T
    hess = jnp.concatenate([jnp.concatenate(row, axis=1) for row in blocks], axis=0)
    return jnp.concatenate(grads), hess


def gradient_function_mp(arch: Architecture):
    """``fn(w, p)`` on numpy object arrays of ``mpmath.mpc`` (extended precision, host only).

    The same formula as :func:`gradient_function`; used by the mixed-precision
    tracker (:mod:`jaxhc.tracker.mixed_precision`) for residuals that double
    precision cannot resolve.
    """
    import mpmath

    def eye(d):
        out = np.full((d, d), mpmath.mpc(0), dtype=object)
        for a in range(d):
            out[a, a] = mpmath.mpc(1)
        return out

    def fn(w, p):
        return _gradient(arch, w, p, eye, np.concatenate)

    return fn


def _acb_mul(A, B):
    return A * B


@functools.lru_cache(maxsize=None)
def _offsets(arch: Architecture) -> tuple:
    """Where each ``W_i`` starts in the flat weight vector, and N at the end."""
    offs = [0]
    for r, c in arch.shapes:
        offs.append(offs[-1] + r * c)
    return tuple(offs)


def _flint_parts(arch: Architecture, w, p):
    """What the FLINT gradient and Hessian share: ``(w, lam, Ws, Z, E)`` with ``w``, ``lam``
    (the flat Λ, aligned with ``w``) as lists of ``acb``, the weights ``Ws`` and ``Z = X Xᵀ``,
    ``E = W Z − Y Xᵀ`` as ``acb_mat``."""
    import flint

    w, p = list(w), list(p)
    k, kk = arch.dx * arch.m, arch.dx * arch.m + arch.dy * arch.m
    X = flint.acb_mat(arch.dx, arch.m, p[:k])
    Y = flint.acb_mat(arch.dy, arch.m, p[k:kk])
    offs = _offsets(arch)
    Ws = [flint.acb_mat(r, c, w[offs[i]:offs[i + 1]]) for i, (r, c) in enumerate(arch.shapes)]
    Xt = X.transpose()
    Z = X * Xt
    E = _product(Ws, 1, arch.H + 1, _acb_mul) * Z - Y * Xt
    return w, p[kk:], Ws, Z, E


def _flint_gradient(arch: Architecture, w, lam, Ws, E) -> list:
    """``G_i = U_iᵀ E V_iᵀ + Λ_i ∘ W_i`` flattened, as a list of ``acb`` (empty chains skipped)."""
    L, offs, out = arch.H + 1, _offsets(arch), []
    for i in range(1, L + 1):
        U, V = _product(Ws, i + 1, L, _acb_mul), _product(Ws, 1, i - 1, _acb_mul)
        G = E if U is None else U.transpose() * E
        G = (G if V is None else G * V.transpose()).tolist()
        r, c = arch.shapes[i - 1]
        o = offs[i - 1]
        out += [G[a][b] + lam[o + a * c + b] * w[o + a * c + b] for a in range(r) for b in range(c)]
    return out


def gradient_function_flint(arch: Architecture):
    """``fn(w, p)`` on sequences of ``flint.acb`` (python-flint), returning a list of ``acb``.

    The same formula as :func:`gradient_function`, with every small matrix product done by
    FLINT in C (``acb_mat``): the extended-precision Jacobians of the escalation
    (:mod:`jaxhc.tracker.mixed_precision`) take N + 1 residuals each, and in mpmath on
    object arrays those residuals were 87% of its time (measured).  Precision: ``flint.ctx``.
    ``fn.value_and_jacobian``: :func:`value_and_hessian_flint`.
    """

    def fn(w, p):
        w, lam, Ws, _, E = _flint_parts(arch, w, p)
        return _flint_gradient(arch, w, lam, Ws, E)

    fn.value_and_jacobian = value_and_hessian_flint(arch)
    return fn


def value_and_hessian_flint(arch: Architecture):
    """``fn(w, p) -> (F, J)`` on sequences of ``flint.acb``: the gradient (a list of ``acb``) and
    its Jacobian, the loss's Hessian (a ``flint.acb_mat``), in closed form at FLINT's precision.

    The same blocks as :func:`value_and_hessian`: for ``j ≥ i``, ``∂G_i[a, b] / ∂W_j[c, d] =
    (U_iᵀU_j)[a, c]·(V_j Z V_iᵀ)[d, b]``, plus ``Q[d, a]·(U_jᵀ E V_iᵀ)[c, b]`` for ``j > i``
    and ``Λ_i[a, b]`` on the diagonal; the lower blocks are transposes.  The escalation's
    extended Jacobians (:mod:`jaxhc.tracker.mixed_precision`) took N + 1 gradients by forward
    differences (1.7 ms at N = 15 and 50 digits, 45% of a Table 2 (3,2,3) m = 2 escalation).
    """
    import flint

    L, dims, N = arch.H + 1, arch.layer_dims, arch.N
    offs = _offsets(arch)

    def eye(d):
        return flint.acb_mat(d, d, [1 if a == b else 0 for a in range(d) for b in range(d)])

    def fn(w, p):
        w, lam, Ws, Z, E = _flint_parts(arch, w, p)
        F = _flint_gradient(arch, w, lam, Ws, E)

        def chain(lo, hi, d):  # W_hi ⋯ W_lo (1-based, inclusive); the d x d identity if empty
            out = _product(Ws, lo, hi, _acb_mul)
            return eye(d) if out is None else out

        U = [None] + [chain(i + 1, L, dims[i]) for i in range(1, L + 1)]  # (d_y, d_i)
        V = [None] + [chain(1, i - 1, dims[0]) for i in range(1, L + 1)]  # (d_{i-1}, d_x)
        Ut = [None] + [u.transpose() for u in U[1:]]
        Vt = [None] + [v.transpose() for v in V[1:]]
        J = [[0] * N for _ in range(N)]
        for i in range(1, L + 1):
            di, dim1, oi = dims[i], dims[i - 1], offs[i - 1]
            for j in range(i, L + 1):
                dj, djm1, oj = dims[j], dims[j - 1], offs[j - 1]
                M1 = (Ut[i] * U[j]).tolist()  # (d_i, d_j)
                M2 = (V[j] * Z * Vt[i]).tolist()  # (d_{j-1}, d_{i-1})
                if j > i:
                    Q = chain(i + 1, j - 1, di).tolist()  # (d_{j-1}, d_i)
                    R = (Ut[j] * E * Vt[i]).tolist()  # (d_j, d_{i-1})
                for a in range(di):
                    for b in range(dim1):
                        row, Jr = oi + a * dim1 + b, J[oi + a * dim1 + b]
                        for c in range(dj):
                            m1 = M1[a][c]
                            for d in range(djm1):
                                v = m1 * M2[d][b]
                                if j > i:
                                    v += Q[d][a] * R[c][b]
                                col = oj + c * djm1 + d
                                Jr[col] = v
                                J[col][row] = v
                if j == i:
                    for q in range(oi, oi + di * dim1):
                        J[q][q] += lam[q]
        return F, flint.acb_mat(N, N, [v for r in J for v in r])

    return fn


def gradient_system(data: NetworkData) -> System:
    """The gradient system of one instance, parameters = ``data.params``."""
    a = data.arch
    return System(
        gradient_function(a), a.N, (a.degree,) * a.N, data.params,
        name=f"grad_{a.label()}",
        meta={"arch": a, "seed": data.seed},
    )


def loss(arch: Architecture, w, p):
    """The regularized loss whose gradient is eq. (2), at flat weights ``w``.

    The paper's gradient system (eq. (2), Example 2) has the linear term
    ``Λ_i ∘ W_i``; it is the gradient of ``½ Σ‖W x_k − y_k‖² + ½ Σ_ij λ_ij w_ij²``
    (eq. (1) with Λ read as the entrywise square of its regularization matrix).
    Written without conjugation so it is holomorphic in complex ``w``.
    """
    X, Y, Lams = _unpack_params(arch, p)
    Ws = arch.split(w)
    W = _chain(Ws, 1, arch.H + 1, arch.dx)
    R = _mm(W, X) - Y
    reg = sum(jnp.sum(l * v**2) for l, v in zip(Lams, Ws))
    return 0.5 * jnp.sum(R**2) + 0.5 * reg


def weight_symbols(arch: Architecture):
    """sympy symbols ``w{layer}_{row}{col}`` in flat order, and the matrices they fill."""
    import sympy as sp

    syms, mats = [], []
    for i, (r, c) in enumerate(arch.shapes, start=1):
        M = sp.Matrix(r, c, lambda a, b: sp.Symbol(f"w{i}_{a + 1}{b + 1}"))
        mats.append(M)
        syms.extend(list(M))  # sympy Matrix iterates row by row
    return syms, mats


def gradient_sympy(data: NetworkData, exact: bool = True):
    """Expanded gradient polynomials (sympy), in the flat variable order.

    With ``exact=True`` the numeric data are turned into rationals (``nsimplify``
    of integers and floats), so integer data such as the paper's Example 2 give
    exactly the printed polynomials.

    Returns:
        (polys, variables): lists of sympy expressions and symbols.
    """
    import sympy as sp

    a = data.arch
    conv = (lambda v: sp.nsimplify(v, rational=True)) if exact else (lambda v: sp.sympify(v))

    def to_sp(M):
        M = np.asarray(M)
        if np.iscomplexobj(M) and np.all(M.imag == 0):
            M = M.real
        return sp.Matrix(M.shape[0], M.shape[1], lambda i, j: conv(complex(M[i, j]) if np.iscomplexobj(M) else float(M[i, j])))

    X, Y = to_sp(data.X), to_sp(data.Y)
    Lams = [to_sp(l) for l in data.Lambdas]
    syms, Ws = weight_symbols(a)
    H1 = a.H + 1

    def chain(lo, hi, n):
        out = sp.eye(n)
        for j in range(lo, hi + 1):
            out = Ws[j - 1] * out
        return out

    dims = a.layer_dims
    E = chain(1, H1, dims[0]) * X * X.T - Y * X.T
    polys = []
    for i in range(1, H1 + 1):
        G = chain(i + 1, H1, dims[i]).T * E * chain(1, i - 1, dims[0]).T + Lams[i - 1].multiply_elementwise(Ws[i - 1])
        polys.extend(sp.expand(g) for g in G)
    return polys, syms


def supports(data_or_arch) -> list[np.ndarray]:
    """Monomial supports (exponent vectors) of the gradient equations for generic data.

    Uses random data, so no coefficient cancels by accident (Proposition 3: the
    support does not depend on m for generic data).
    """
    import sympy as sp

    from .network import sample_data

    data = data_or_arch if isinstance(data_or_arch, NetworkData) else sample_data(data_or_arch, seed=12345)
    polys, syms = gradient_sympy(data, exact=False)
    return [np.array(sp.Poly(f, *syms).monoms(), dtype=np.int64) for f in polys]
