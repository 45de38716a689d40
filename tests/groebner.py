"""Independent truth for small systems: the number of complex solutions from a
sympy Gröbner basis (dimension of the quotient ring = number of standard monomials)."""

from __future__ import annotations


import sympy as sp


def count_solutions(polys, variables, max_deg=40):
    """Number of solutions in C^n, with multiplicity, of a zero-dimensional ideal."""
    G = sp.groebner(polys, *variables, order="grevlex")
    lead = [sp.Poly(g, *variables).monoms(order="grevlex")[0] for g in G.exprs]
    n = len(variables)

    def standard(e):
        return not any(all(e[i] >= l[i] for i in range(n)) for l in lead)

    if not standard(tuple([0] * n)):
        return 0  # the ideal is the unit ideal: no solutions
    # Standard monomials form an order ideal: walk it from 1.
    seen, frontier = {tuple([0] * n)}, [tuple([0] * n)]
    while frontier:
        e = frontier.pop()
        for i in range(n):
            f = tuple(e[j] + (j == i) for j in range(n))
            if f not in seen and standard(f):
                if sum(f) > max_deg:
                    raise ValueError("ideal is not zero-dimensional (or max_deg too small)")
                seen.add(f)
                frontier.append(f)
    return len(seen)


def torus_count(polys, variables):
    """Solutions with no zero coordinate: saturate by the product of the variables."""
    z = sp.Symbol("_z")
    prod = sp.Mul(*variables)
    return count_solutions(list(polys) + [z * prod - 1], list(variables) + [z])
