"""Periodic elastic solver (msdl.localization.elastic): exact solutions, identities, and an independent FE solve."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg
import torch

from msdl.localization.elastic import ElasticSetup, VoxelElasticity, block_mean, refine_phases, solve

SETUP = ElasticSetup()


def blobs(shape, seed, vf=0.5, width=1.5):
    """A periodic two-phase test microstructure: smoothed noise thresholded at its quantile."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    f = ndimage.gaussian_filter(rng.random(shape), width, mode="wrap")
    return (f > np.quantile(f, 1 - vf)).astype(np.int64)


def laminate_strains(phases_1d, setup, normal):
    """Exact eps under mean eps_xx = E, other means 0, for layers stacked along ``normal``."""
    lam, mu = setup.lame()
    lam, mu = lam[phases_1d], mu[phases_1d]
    e = setup.macro_strain[0]
    if normal == 0:  # sigma_xx continuous, eps_yy = eps_zz = 0: eps_xx ~ 1/(lam + 2 mu)
        exx = 1.0 / (lam + 2 * mu)
        return e * exx / exx.mean(), np.zeros_like(exx)
    # normal y: eps_xx = E everywhere; sigma_yy = lam (E + eyy) + 2 mu eyy continuous, mean eyy = 0
    c = lam + 2 * mu
    s = (np.mean(lam * e / c)) / np.mean(1.0 / c)  # sigma_yy
    eyy = (s - lam * e) / c
    return np.full_like(eyy, e), eyy


@pytest.mark.parametrize("discretization", ["trilinear", "willot"])
@pytest.mark.parametrize("normal", [0, 1])
def test_laminate_is_exact(discretization, normal):
    layers = np.array([0, 1, 1, 0, 0, 1, 0, 1, 1])
    shape = [4, 5, 3]
    shape[normal] = len(layers)
    m = np.broadcast_to(layers.reshape([-1 if d == normal else 1 for d in range(3)]), shape).copy()
    setup = ElasticSetup(discretization=discretization, rtol=1e-11)
    res = solve(m, setup)
    exx, eyy = laminate_strains(layers, setup, normal)
    expand = [slice(None) if d == normal else None for d in range(3)]
    np.testing.assert_allclose(
        res.strain_xx[0].numpy(), np.broadcast_to(exx[tuple(expand)], shape), rtol=1e-7, atol=1e-12
    )
    if normal == 1:
        np.testing.assert_allclose(
            res.strain[0, 1].numpy(), np.broadcast_to(eyy[tuple(expand)], shape), rtol=1e-6, atol=1e-12
        )
    # the stress component normal to the layers is uniform (traction continuity)
    s_nn = res.stress[0, normal].numpy()
    np.testing.assert_allclose(s_nn, s_nn.mean(), rtol=1e-6)


@pytest.mark.parametrize("discretization", ["trilinear", "willot"])
def test_mean_strain_equals_imposed_and_equilibrium(discretization):
    m = blobs((10, 9, 8), seed=1)
    macro = (0.001, -0.0002, 0.0003, 0.0004, -0.0001, 0.0002)
    setup = ElasticSetup(macro_strain=macro, discretization=discretization)
    res = solve(m, setup)
    np.testing.assert_allclose(res.strain[0].mean(dim=(1, 2, 3)).numpy(), macro, atol=1e-15)
    # the reported residual is the true one: recompute ||f - K u|| / ||f|| from the displacement
    op = VoxelElasticity(torch.as_tensor(m)[None], setup)
    f = op.load(np.array(macro))
    true_res = float(torch.linalg.vector_norm(f - op.apply(res.displacement)) / torch.linalg.vector_norm(f))
    assert true_res <= 1.01e-6
    assert abs(true_res - res.residual[0]) < 1e-8
    assert res.strain.abs().max() > 2 * abs(macro[0])  # a heterogeneous field, not the affine one


def test_willot_fields_satisfy_hill_mandel():
    """One-point integration: voxel fields are the FE fields, so <sigma:eps> = <sigma>:E exactly."""
    m = blobs((8, 8, 8), seed=2)
    setup = ElasticSetup(discretization="willot", rtol=1e-10)
    res = solve(m, setup)
    w = torch.tensor([1.0, 1, 1, 2, 2, 2], dtype=torch.float64)[:, None, None, None]
    energy = (res.stress[0] * res.strain[0] * w).sum(dim=0).mean()
    macro = torch.tensor(setup.macro_strain, dtype=torch.float64)
    np.testing.assert_allclose(
        float(energy), float((res.stress[0].mean(dim=(1, 2, 3)) * macro * w.flatten()).sum()), rtol=1e-8
    )


def test_operator_is_symmetric_positive():
    m = torch.as_tensor(blobs((7, 6, 5), seed=3))[None]
    op = VoxelElasticity(m, SETUP)
    g = torch.Generator().manual_seed(0)
    u, v = (torch.randn((1, 3, 7, 6, 5), generator=g, dtype=torch.float64) for _ in range(2))
    assert abs(float((v * op.apply(u)).sum() - (u * op.apply(v)).sum())) < 1e-12 * float((u * op.apply(u)).sum())
    assert float((u * op.apply(u)).sum()) > 0
    # the chunked apply equals the plain gather -> element forces -> scatter
    np.testing.assert_allclose(
        op.apply(u).numpy(), op.scatter(op.element_forces(op.gather(u))).numpy(), rtol=1e-12, atol=1e-14
    )


def test_reflection_and_axis_swap_equivariance():
    m = blobs((9, 8, 8), seed=4)
    base = solve(m).strain[0].numpy()
    mirrored = solve(m[::-1].copy()).strain[0].numpy()
    np.testing.assert_allclose(mirrored[0], base[0][::-1], rtol=1e-5, atol=1e-9)
    swapped = solve(m.transpose(0, 2, 1).copy()).strain[0].numpy()
    np.testing.assert_allclose(swapped[0], base[0].transpose(0, 2, 1), rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(swapped[1], base[2].transpose(0, 2, 1), rtol=1e-5, atol=1e-9)


def test_batch_equals_single_and_homogeneous_is_affine():
    ms = np.stack([blobs((6, 6, 6), seed=s) for s in (5, 6)] + [np.ones((6, 6, 6), dtype=np.int64)])
    batch = solve(ms)
    for i, m in enumerate(ms):
        np.testing.assert_allclose(batch.strain[i].numpy(), solve(m).strain[0].numpy(), rtol=1e-9, atol=1e-15)
    assert batch.iterations[2] == 0
    np.testing.assert_allclose(batch.strain_xx[2].numpy(), 0.001)
    np.testing.assert_allclose(
        batch.stress_xx[2].numpy(), ElasticSetup().lame()[0][1] * 0.001 + 2 * ElasticSetup().lame()[1][1] * 0.001
    )


def coarse(field, factor):
    n = field.shape[0] // factor
    return field.reshape(n, factor, n, factor, n, factor).mean(axis=(1, 3, 5))


def test_trilinear_and_willot_converge_under_refinement():
    base = blobs((6, 6, 6), seed=7)
    gaps = []
    for factor in (1, 2, 4):
        fine = base.repeat(factor, 0).repeat(factor, 1).repeat(factor, 2)
        tri = solve(fine, ElasticSetup(discretization="trilinear")).strain_xx[0].numpy()
        wil = solve(fine, ElasticSetup(discretization="willot")).strain_xx[0].numpy()
        gaps.append(np.abs(coarse(tri, factor) - coarse(wil, factor)).mean() / 0.001)
    assert gaps[0] > 0.02  # they really differ at native resolution
    assert gaps[1] < 0.75 * gaps[0] and gaps[2] < 0.75 * gaps[1], gaps


# ---------------------------------------------------------------------------------------
# Independent reference: assembled trilinear hexahedral FE with scipy.sparse
# ---------------------------------------------------------------------------------------


def hex8_stiffness(lam, mu):
    """24x24 stiffness of the unit 8-node brick, 3x3x3 Gauss-Legendre on [-1, 1]^3 (exact here)."""
    nodes = np.array(list(itertools.product((-1, 1), repeat=3)), dtype=float)  # same order as voxel corners
    pts, wts = np.polynomial.legendre.leggauss(3)
    c = np.zeros((3, 3, 3, 3))
    for i, j, k, l in itertools.product(range(3), repeat=4):
        c[i, j, k, l] = lam * (i == j) * (k == l) + mu * ((i == k) * (j == l) + (i == l) * (j == k))
    ke = np.zeros((8, 3, 8, 3))
    for (p, wp), (q, wq), (r, wr) in itertools.product(zip(pts, wts), repeat=3):
        xi = np.array([p, q, r])
        # dN/dxi_d = s_d/8 prod_{e != d} (1 + s_e xi_e); the element has size 1 -> dx = dxi / 2
        dn = np.empty((8, 3))
        for a, s in enumerate(nodes):
            for d in range(3):
                dn[a, d] = s[d] / 8 * np.prod([1 + s[e] * xi[e] for e in range(3) if e != d]) * 2.0
        w = wp * wq * wr / 8.0  # Jacobian of [-1,1]^3 -> [0,1]^3
        ke += w * np.einsum("ai,ijkl,bk->ajbl", dn, c, dn)
    return ke.reshape(24, 24)


def sparse_fe_strain_xx(m, setup):
    lam, mu = setup.lame()
    n0, n1, n2 = m.shape
    node = lambda i, j, k: ((i % n0) * n1 + (j % n1)) * n2 + (k % n2)  # noqa: E731
    kes = [hex8_stiffness(lam[p], mu[p]) for p in range(len(lam))]
    e = np.zeros((3, 3))
    e[0, 0] = setup.macro_strain[0]
    offsets = list(itertools.product((0, 1), repeat=3))
    rows, cols, vals = [], [], []
    f = np.zeros(3 * m.size)
    for i, j, k in itertools.product(range(n0), range(n1), range(n2)):
        ke = kes[m[i, j, k]]
        dofs = np.array([3 * node(i + a, j + b, k + c) + d for a, b, c in offsets for d in range(3)])
        u_macro = (np.array(offsets, dtype=float) @ e.T).ravel()
        f[dofs] -= ke @ u_macro
        rows.append(np.repeat(dofs, 24))
        cols.append(np.tile(dofs, 24))
        vals.append(ke.ravel())
    k_glob = scipy.sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(f.size, f.size)
    )
    free = np.arange(3, f.size)  # node 0 fixed: removes the rigid translations
    u = np.zeros(f.size)
    u[free] = scipy.sparse.linalg.spsolve(k_glob[free][:, free].tocsc(), f[free])
    ux = u[0::3].reshape(m.shape)
    # eps_xx at the element centre: mean of the four x-edge differences
    dx = np.roll(ux, -1, 0) - ux
    return e[0, 0] + 0.25 * (dx + np.roll(dx, -1, 1) + np.roll(dx, -1, 2) + np.roll(np.roll(dx, -1, 1), -1, 2))


def test_agrees_with_independent_sparse_fe():
    m = blobs((11, 10, 9), seed=8)
    setup = ElasticSetup(rtol=1e-10)
    reference = sparse_fe_strain_xx(m, setup)
    ours = solve(m, setup).strain_xx[0].numpy()
    assert np.abs(reference - 0.001).max() > 5e-4  # a strongly heterogeneous field
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-9 * 0.001 * 100)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="labels in \\[2, 2\\]"):
        solve(np.full((4, 4, 4), 2))
    with pytest.raises(ValueError, match="discretization"):
        ElasticSetup(discretization="quadratic")
    with pytest.raises(ValueError, match="poisson\\[1\\]"):
        ElasticSetup(poisson=(0.3, 0.5))
    with pytest.raises(RuntimeError, match="SVEs \\[0\\]"):
        solve(blobs((6, 6, 6), seed=9), ElasticSetup(max_iter=2))


# ---------------------------------------------------------------------------------------
# Sub-voxel refinement (ElasticSetup.refine)
# ---------------------------------------------------------------------------------------


def test_refine_1_is_the_native_solve_bytes_for_bytes():
    m = blobs((7, 6, 8), seed=10)
    native = solve(m, ElasticSetup())
    explicit = solve(m, ElasticSetup(refine=1))
    for name in ("strain", "stress", "displacement"):
        assert getattr(native, name).numpy().tobytes() == getattr(explicit, name).numpy().tobytes(), name
    assert native.iterations.tolist() == explicit.iterations.tolist()
    assert native.residual.tobytes() == explicit.residual.tobytes()
    t = torch.as_tensor(m)[None]
    assert refine_phases(t, 1) is t and block_mean(t, 1) is t


def test_refine_is_the_block_mean_of_the_fine_solve():
    m = blobs((6, 7, 6), seed=11)
    fine_m = m.repeat(2, 0).repeat(2, 1).repeat(2, 2)
    np.testing.assert_array_equal(refine_phases(torch.as_tensor(m)[None], 2)[0].numpy(), fine_m)
    res = solve(m, ElasticSetup(refine=2))
    fine = solve(fine_m, ElasticSetup())
    assert res.strain.shape == (1, 6, 6, 7, 6) and res.displacement.shape == (1, 3, 12, 14, 12)
    assert res.iterations.tolist() == fine.iterations.tolist()
    np.testing.assert_array_equal(res.strain.numpy(), block_mean(fine.strain, 2).numpy())
    np.testing.assert_array_equal(res.stress.numpy(), block_mean(fine.stress, 2).numpy())
    np.testing.assert_array_equal(res.displacement.numpy(), fine.displacement.numpy() / 2)  # native voxel units
    np.testing.assert_allclose(
        res.strain[0, 0, 1, 2, 3].item(), fine.strain[0, 0, 2:4, 4:6, 6:8].mean().item(), rtol=1e-14
    )


def test_refined_homogeneous_sve_is_affine():
    macro = (0.001, -0.0002, 0.0003, 0.0004, -0.0001, 0.0002)
    setup = ElasticSetup(macro_strain=macro, refine=2)
    res = solve(np.ones((6, 5, 6), dtype=np.int64), setup)
    assert res.iterations.tolist() == [0]
    np.testing.assert_array_equal(
        res.strain[0].numpy(), np.broadcast_to(np.array(macro)[:, None, None, None], (6, 6, 5, 6))
    )
    assert float(res.displacement.abs().max()) == 0.0


@pytest.mark.parametrize("refine", [2, 3])
@pytest.mark.parametrize("normal", [0, 1])
def test_refine_keeps_a_laminate_exact(refine, normal):
    """The trilinear element is exact for a laminate at any grid, so refining changes nothing."""
    layers = np.array([0, 1, 1, 0, 1, 0])
    shape = [4, 3, 5]
    shape[normal] = len(layers)
    m = np.broadcast_to(layers.reshape([-1 if d == normal else 1 for d in range(3)]), shape).copy()
    native = solve(m, ElasticSetup(rtol=1e-11))
    refined = solve(m, ElasticSetup(rtol=1e-11, refine=refine))
    exx, _ = laminate_strains(layers, ElasticSetup(), normal)
    expand = [slice(None) if d == normal else None for d in range(3)]
    np.testing.assert_allclose(refined.strain_xx[0].numpy(), np.broadcast_to(exx[tuple(expand)], shape), rtol=1e-7)
    np.testing.assert_allclose(refined.strain.numpy(), native.strain.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(refined.stress.numpy(), native.stress.numpy(), rtol=1e-7, atol=1e-12)


def test_refinement_keeps_the_mean_strain_and_softens_the_too_stiff_native_solve():
    """Displacement FE: the fine trilinear space at refine 2 (and 4) contains the coarser one,
    so the effective stiffness C_xxxx = <sigma_xx> / E_xx can only drop (Galerkin energy
    minimum); at contrast 50 it drops by several percent."""
    m = blobs((6, 6, 6), seed=12, width=1.0)
    macro = (0.001, -0.0002, 0.0003, 0.0004, -0.0001, 0.0002)
    c_eff, fields = {}, {}
    for refine in (1, 2, 3, 4):
        res = solve(m, ElasticSetup(macro_strain=(0.001, 0, 0, 0, 0, 0), rtol=1e-9, refine=refine))
        np.testing.assert_allclose(res.strain[0].mean(dim=(1, 2, 3)).numpy(), (0.001, 0, 0, 0, 0, 0), atol=1e-15)
        c_eff[refine] = float(res.stress_xx.mean()) / 0.001
        fields[refine] = res.strain_xx[0].numpy()
    general = solve(m, ElasticSetup(macro_strain=macro, refine=2))
    np.testing.assert_allclose(general.strain[0].mean(dim=(1, 2, 3)).numpy(), macro, atol=1e-15)
    assert c_eff[2] < 0.97 * c_eff[1] and c_eff[4] < c_eff[2], c_eff
    assert c_eff[3] < c_eff[1], c_eff
    # the fields converge: each refinement moves them less than the one before
    steps = [np.abs(fields[a] - fields[b]).mean() for a, b in ((1, 2), (2, 4))]
    assert steps[1] < 0.6 * steps[0], steps


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "2", None, 2.0])
def test_bad_refine_is_named(value):
    with pytest.raises(ValueError, match="^refine "):
        ElasticSetup(refine=value)
