"""Section 4 checkers, real-point classification and report gathering (issue 6)."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from jaxhc import Architecture, NetworkData, sample_data
from jaxhc.analysis import section4
from jaxhc.analysis.real_points import classify, classify_real_points, hessian_eigs, real_loss

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))

A2 = Architecture((2, 2), 2, 2, 1)  # H = 2, d_x = d_y = d_1 = d_2 = 2 (Example 14)


def flat(*Ws):
    return np.concatenate([np.asarray(W, float).ravel() for W in Ws])


def rnd(shape, seed):
    return np.random.default_rng(seed).uniform(1, 2, shape)


def test_check_point_satisfied():
    W1, W2, W3 = rnd((2, 2), 1), rnd((2, 2), 2), rnd((2, 2), 3)
    W1[0, :] = 0  # neuron 1 of layer 1 dead: row 1 of W_1 and column 1 of W_2
    W2[:, 0] = 0
    c = section4.check_point(A2, flat(W1, W2, W3))
    assert c == {"zeros": 4, "prop8": 0, "thm9": 0, "cor10": 0, "cor11": 0}
    assert section4.check_point(A2, np.zeros(A2.N))["zeros"] == A2.N
    assert all(section4.check_point(A2, np.zeros(A2.N))[k] == 0 for k in section4.CLAIMS)
    assert all(section4.check_point(A2, flat(rnd((2, 2), 4), rnd((2, 2), 5), rnd((2, 2), 6)))[k] == 0
               for k in section4.CLAIMS)


def test_check_point_violations():
    W1, W2, W3 = rnd((2, 2), 1), rnd((2, 2), 2), rnd((2, 2), 3)
    # Proposition 8: an isolated zero in W_2
    V2 = W2.copy()
    V2[0, 1] = 0
    c = section4.check_point(A2, flat(W1, V2, W3))
    assert c["prop8"] == 1 and c["thm9"] == 0 and c["cor10"] == 0 and c["cor11"] == 0
    # Theorem 9: row 1 of W_1 zero but column 1 of W_2 not
    V1 = W1.copy()
    V1[0, :] = 0
    c = section4.check_point(A2, flat(V1, W2, W3))
    assert c["thm9"] == 1 and c["prop8"] == 0 and c["cor10"] == 0
    # ... and the converse direction: column 2 of W_3 zero, row 2 of W_2 not
    V3 = W3.copy()
    V3[:, 1] = 0
    c = section4.check_point(A2, flat(W1, W2, V3))
    assert c["thm9"] == 1 and c["cor11"] == 0 and c["prop8"] == 0
    # Corollary 10: a zero column of W_1 (Prop. 8 holds, row not zero)
    V1 = W1.copy()
    V1[:, 1] = 0
    c = section4.check_point(A2, flat(V1, W2, W3))
    assert c["cor10"] == 2 and c["prop8"] == 0
    # Corollary 11: a zero row of W_3 (Prop. 8 holds, column not zero)
    V3 = W3.copy()
    V3[0, :] = 0
    c = section4.check_point(A2, flat(W1, W2, V3))
    assert c["cor11"] == 2 and c["prop8"] == 0 and c["cor10"] == 0


def test_relative_zero_tolerance():
    w = flat(rnd((2, 2), 1), rnd((2, 2), 2), rnd((2, 2), 3)) * 1e4
    w[0] = 1e-5  # 1e-5 <= 1e-8 * 2e4: zero
    assert section4.zero_mask(w)[0] and section4.check_point(A2, w)["prop8"] == 1
    w2 = np.full(A2.N, 1e-3)  # small but not zero (scale is max(1, |w|))
    assert not section4.zero_mask(w2).any()
    assert section4.zero_mask(np.array([1e-9 + 1e-10j, 1.0])).tolist() == [True, False]


def test_types():
    assert len(section4.possible_types(A2)) == 10  # Example 14
    A1 = Architecture((2,), 1, 1, 1)
    assert len(section4.possible_types(A1)) == 4  # Examples 13, 14
    assert len(section4.possible_types(Architecture((3, 2), 1, 1, 1))) == 7 * 3 + 1
    W1, W2, W3 = rnd((2, 2), 1), rnd((2, 2), 2), rnd((2, 2), 3)
    W2[0, :] = 0  # neuron 1 of layer 2 dead: one of Example 14's missing types
    W3[:, 0] = 0
    k = section4.type_key(A2, flat(W1, W2, W3))
    assert k == ("dead", (frozenset(), frozenset({1})))
    assert section4.type_label(A2, k) == "dead L2{1}"
    assert section4.pattern_picture(A2, k) == "W3=[0*;0*] W2=[00;**] W1=[**;**]"
    assert section4.type_label(A2, section4.type_key(A2, np.zeros(A2.N))) == "origin"
    assert section4.type_label(A2, section4.type_key(A2, flat(W1, rnd((2, 2), 5), rnd((2, 2), 6)))) == "full support"
    # irregular: isolated zero
    W2b = rnd((2, 2), 2)
    W2b[1, 1] = 0
    assert section4.type_key(A2, flat(W1, W2b, rnd((2, 2), 3)))[0] == "irregular"
    res = section4.check_points(A2, [flat(W1, W2, W3), np.zeros(A2.N), flat(W1, W2b, rnd((2, 2), 3))])
    assert res["points"] == 3 and res["irregular"] == 1 and res["violations"]["prop8"] == 1
    assert res["types"]["dead L2{1}"] == 1 and res["types"]["origin"] == 1
    assert "full support" in res["missing_types"] and len(res["missing_types"]) == 8


def _scalar_data(x, y, l1, l2):
    a = Architecture((1,), 1, 1, 1)
    return a, NetworkData(a, np.array([[x]]), np.array([[y]]), (np.array([[l1]]), np.array([[l2]])))


def test_hessian_by_hand():
    # L = ½(w2 w1 x − y)² + ½(λ1 w1² + λ2 w2²); at the origin H = [[λ1, −xy], [−xy, λ2]]
    x, y, l1, l2 = 1.0, 2.0, 0.5, 0.5
    a, d = _scalar_data(x, y, l1, l2)
    e = hessian_eigs(a, np.zeros((1, 2)), d.params)[0]
    np.testing.assert_allclose(e, [0.5 - 2.0, 0.5 + 2.0], atol=1e-12)
    rec = classify_real_points(a, np.zeros((1, 2)), d.params)[0]
    assert rec["index"] == 1 and rec["kind"] == "saddle" and rec["loss"] == pytest.approx(0.5 * y**2)
    # a general point: compare with the analytic Hessian
    w1, w2 = 0.7, -1.3
    Hm = np.array([[x**2 * w2**2 + l1, 2 * x**2 * w1 * w2 - x * y], [2 * x**2 * w1 * w2 - x * y, x**2 * w1**2 + l2]])
    np.testing.assert_allclose(hessian_eigs(a, np.array([[w1, w2]]), d.params)[0], np.linalg.eigvalsh(Hm), atol=1e-12)
    assert real_loss(a, np.array([[w1, w2]]), d.params)[0] == pytest.approx(
        0.5 * (w1 * w2 * x - y) ** 2 + 0.5 * (l1 * w1**2 + l2 * w2**2))


def test_origin_of_deep_network_is_minimum():
    # H >= 2: every term of the data fit has degree >= 2 in the weights beyond quadratic cross terms... the
    # Hessian at 0 is diag(Λ) (the bilinear term y^T W_3 W_2 W_1 x has degree 3)
    d = sample_data(A2, 3)
    rec = classify_real_points(A2, np.zeros((1, A2.N)), d.params)[0]
    np.testing.assert_allclose(sorted(rec["eigs"]), np.sort(np.concatenate([l.ravel() for l in d.Lambdas])), atol=1e-12)
    assert rec["index"] == 0 and rec["kind"] == "minimum" and rec["global_min"]


def test_classify():
    assert classify(np.array([-2.0, -1.0])) == (2, "maximum", False)
    assert classify(np.array([0.0, 1.0])) == (0, "degenerate minimum", True)
    assert classify(np.array([-1.0, 1e-12, 3.0])) == (1, "degenerate saddle", True)
    assert classify(np.array([1.0, 3.0])) == (0, "minimum", False)


def test_real_critical_points_solved():
    """Real critical points of the scalar network from the closed form: indices and the global minimum."""
    x, y, l1, l2 = 1.0, 2.0, 0.5, 0.5
    a, d = _scalar_data(x, y, l1, l2)
    # nonzero critical points: w1² = w2² (λ1 = λ2), x² w1 w2 ... : w1 = w2 = ±sqrt((xy − λ)/x²), w1 = −w2 needs xy < −λ
    t = np.sqrt((x * y - l1) / x**2)
    pts = np.array([[0.0, 0.0], [t, t], [-t, -t]])
    from train_gd import match  # noqa: F401  (imports cleanly)
    from jaxhc.analysis.real_points import real_grad
    np.testing.assert_allclose(real_grad(a, pts, d.params), 0, atol=1e-12)
    recs = classify_real_points(a, pts, d.params)
    assert [r["index"] for r in recs] == [1, 0, 0]
    assert [r["global_min"] for r in recs] == [False, True, True]


# ----------------------------------------------------------------------------- report gathering

def _fake_run(root: Path, name: str, arch: Architecture, nc, ncs, nr, points=None, solver="fake"):
    d = root / name
    (d / "solutions").mkdir(parents=True)
    s = {"H": arch.H, "widths": list(arch.widths), "d_x": arch.dx, "d_y": arch.dy, "m": arch.m, "N": arch.N,
         "CBB": arch.cbb, "solver": solver, "samples_done": len(nc), "N_C": nc, "N_Cstar": ncs, "N_R": nr,
         "failed_paths": 1, "samples_with_failures": 1, "time_total_s": 1.0}
    (d / "summary.json").write_text(json.dumps(s))
    if points is not None:
        for k in range(len(nc)):
            data = sample_data(arch, k)
            sols = np.asarray(points, complex)
            np.savez_compressed(d / "solutions" / f"sample_{k:04d}.npz", solutions=sols, residuals=np.zeros(len(sols)),
                                conds=np.ones(len(sols)), is_real=np.ones(len(sols), bool),
                                in_torus=np.ones(len(sols), bool), seed=k, params=data.params,
                                widths=np.array(arch.widths), dx=arch.dx, dy=arch.dy, m=arch.m)
    return d


def test_report_gathering(tmp_path):
    import report

    a = Architecture((2,), 2, 2, 1)
    W1, W2 = rnd((2, 2), 1), rnd((2, 2), 2)
    W1[0, :] = 0
    W2[:, 0] = 0
    pts = [np.zeros(a.N), flat(W1, W2)]
    sweep = tmp_path / "sweep"
    _fake_run(sweep, "H1_w2_dx2_dy2_m1", a, [33, 33], [16, 15], [9, 7], pts)
    _fake_run(tmp_path / "small", "dup", a, [33], [16], [9])  # fewer samples: not used
    odd = Architecture((2, 1), 1, 1, 1)
    _fake_run(sweep, "odd", odd, [7], [2], [3], [np.zeros(odd.N)])  # not in the paper
    out = tmp_path / "rep"
    comp = report.build(report.build_parser().parse_args(
        [str(sweep), str(tmp_path / "sm*"), "--out", str(out), "--no-plots"]))
    row = [r for r in comp["tables"]["1"] if r["computed"]]
    assert len(row) == 1
    r = row[0]
    assert (r["widths"], r["d_x"], r["d_y"], r["samples"]) == ([2], 2, 2, 2)
    assert r["N_C_agrees"] and not r["N_Cstar_agrees"] and r["max_N_R"] == 9 and r["max_N_R_agrees"]
    assert r["samples_N_Cstar_differs"] == 1 and r["B_C"] == 81 and r["BKK_paper"] == 1089
    assert len(r["other_dirs"]) == 1
    assert len(comp["other_architectures"]) == 1
    md = (out / "README.md").read_text()
    assert "| 33 | 33 ✓ | 16 | 15–16 ✗ | 9 | 9 ✓ | 2 | 1 | fake |" in md
    assert "not computed" in md and "Table 4" in md
    s4 = {x["arch"]: x for x in comp["section4"]}
    assert s4["H1_w2_dx2_dy2_m1"]["points"] == 4 and s4["H1_w2_dx2_dy2_m1"]["violations_prop8"] == 0
    assert "full support" in s4["H1_w2_dx2_dy2_m1"]["missing_types"]
    import csv
    with open(out / "table1.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 41 and sum(x["computed"] == "True" for x in rows) == 1
    assert (out / "zero_types.csv").exists() and (out / "real_points.csv").exists()
