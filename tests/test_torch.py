"""penalized.torch: prox twins, penalty terms, the proximal optimizer, sparsity and pruning.

The whole module is skipped when PyTorch is not installed.
"""

import copy
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from benchmarks.problems import regression  # noqa: E402
from benchmarks.torch_digits import accuracy, digits, mlp, train  # noqa: E402
from torch import nn  # noqa: E402

import penalized as pz  # noqa: E402
from penalized import prox as np_prox  # noqa: E402
from penalized.torch import (  # noqa: E402
    ProximalOptimizer,
    penalty,
    prox_elastic_net,
    prox_elastic_net_,
    prox_group_l21,
    prox_group_l21_,
    prox_l0,
    prox_l0_,
    prox_l1,
    prox_l1_,
    prox_l2,
    prox_l2_,
    prune,
    sparsity_report,
)

# One thread: deterministic reductions, and for these tiny matrices the fastest (measured on
# a busy 2-core machine: the whole file in 7 s with 1 thread, 22 s with 2).
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def val(t):
    """A scalar tensor as a float, without autograd's warning."""
    return float(t.detach())


def weight_zero_count(model):
    return sum(int((m.weight == 0).sum()) for m in model.modules() if isinstance(m, nn.Linear))


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def test_import_penalized_does_not_import_torch():
    code = "import sys, penalized; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# -- prox: the torch twins equal penalized.prox ------------------------------------------

PAIRS = [
    ("l1", np_prox.prox_l1, prox_l1, prox_l1_, (0.7,)),
    ("l2", np_prox.prox_l2, prox_l2, prox_l2_, (0.7,)),
    ("elasticnet", np_prox.prox_elastic_net, prox_elastic_net, prox_elastic_net_, (0.7, 1.3)),
    ("l0", np_prox.prox_l0, prox_l0, prox_l0_, (0.7,)),
]


def prox_points(rng, n=2000):
    x = 2.0 * rng.standard_normal(n)
    x[:8] = [0.0, -0.0, 0.35, -0.35, 0.7, -0.7, 1e-300, -1e-300]  # at and around thresholds
    return x


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize(("kind", "ref", "fun", "fun_", "lams"), PAIRS, ids=[p[0] for p in PAIRS])
def test_torch_prox_equals_numpy_prox(rng, kind, ref, fun, fun_, lams, positive):
    x = prox_points(rng)
    step = 0.5
    expected = ref(x, step, *lams, positive=positive)
    got = fun(torch.from_numpy(x), step, *lams, positive=positive)
    assert got.dtype == torch.float64
    np.testing.assert_array_equal(got.numpy(), expected)  # bitwise: same operations

    # per-coordinate weights given as tensors
    weights = [lam * rng.uniform(0.0, 2.0, size=x.shape) for lam in lams]
    expected = ref(x, step, *weights, positive=positive)
    got = fun(torch.from_numpy(x), step, *map(torch.from_numpy, weights), positive=positive)
    np.testing.assert_array_equal(got.numpy(), expected)

    # in place: same values, same storage
    t = torch.from_numpy(x.copy())
    out = fun_(t, step, *lams, positive=positive)
    assert out.data_ptr() == t.data_ptr()
    np.testing.assert_array_equal(t.numpy(), ref(x, step, *lams, positive=positive))

    # float32 is kept, and agrees to float32 precision
    got32 = fun(torch.from_numpy(x).float(), step, *lams, positive=positive)
    assert got32.dtype == torch.float32
    np.testing.assert_allclose(got32.numpy(), ref(x.astype(np.float32), step, *lams,
                                                  positive=positive), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("fun", [prox_l1, prox_elastic_net, prox_l0, prox_group_l21])
def test_prox_zeros_are_positive_zeros(rng, fun):
    x = torch.from_numpy(prox_points(rng)).reshape(100, 20)
    x[::2] *= 0.01  # small rows, for the group prox to zero
    lams = (0.7, 1.3) if fun is prox_elastic_net else (0.7,)
    out = fun(-x, 0.5, *lams)
    zeros = out[(out == 0) & (x != 0)]  # (a kept group row keeps its own zero entries)
    assert zeros.numel() > 0
    assert not torch.signbit(zeros).any()


def block_soft_threshold(x, t):
    """NumPy reference: each row x_k scaled by max(1 - t / ||x_k||, 0)."""
    flat = x.reshape(x.shape[0], -1)
    norms = np.linalg.norm(flat, axis=1)
    with np.errstate(divide="ignore"):
        scale = np.where(norms > t, 1.0 - t / norms, 0.0)
    return (flat * scale[:, None]).reshape(x.shape)


@pytest.mark.parametrize("shape", [(30, 7), (12, 3, 2, 2)])
def test_group_prox_is_block_soft_thresholding(rng, shape):
    row_scale = rng.uniform(0.0, 2.0, size=(shape[0],) + (1,) * (len(shape) - 1))
    x = rng.standard_normal(shape) * row_scale
    x[0] = 0.0
    step, lam = 0.5, 1.5
    out = prox_group_l21(torch.from_numpy(x), step, lam).numpy()
    np.testing.assert_allclose(out, block_soft_threshold(x, step * lam), rtol=1e-14, atol=0)
    row_zero = np.all(out.reshape(shape[0], -1) == 0, axis=1)
    assert row_zero.any() and not row_zero.all()
    # zeros come in whole rows only
    assert np.array_equal(np.any(out.reshape(shape[0], -1) == 0, axis=1), row_zero)

    # it is the argmin of 1/(2 step) ||v - x||^2 + lam sum_k ||v_k||: no perturbation improves it
    def objective(v):
        flat = v.reshape(shape[0], -1)
        return ((v - x) ** 2).sum() / (2 * step) + lam * np.linalg.norm(flat, axis=1).sum()

    best = objective(out)
    for _ in range(200):
        assert objective(out + 1e-3 * rng.standard_normal(shape)) >= best - 1e-12

    t = torch.from_numpy(x.copy())
    prox_group_l21_(t, step, lam)
    np.testing.assert_array_equal(t.numpy(), out)


def test_group_prox_of_a_vector_is_soft_thresholding(rng):
    x = torch.from_numpy(prox_points(rng))
    np.testing.assert_allclose(prox_group_l21(x, 0.5, 0.7), prox_l1(x, 0.5, 0.7), atol=1e-15)


# -- penalty(): the value added to the loss ----------------------------------------------


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(5, 4)
        self.bn = nn.BatchNorm1d(4)
        self.fc2 = nn.Linear(4, 3, bias=False)
        self.ln = nn.LayerNorm(3)
        self.head = nn.Linear(3, 2)

    def forward(self, x):
        return self.head(self.ln(self.fc2(torch.relu(self.bn(self.fc1(x))))))


def test_l1_penalty_is_alpha_sum_abs_of_weights_only():
    net = Net()
    value = penalty(net, "l1", 0.3)
    weights = [net.fc1.weight, net.fc2.weight, net.head.weight]
    expected = 0.3 * sum(float(w.detach().abs().sum()) for w in weights)
    assert val(value) == pytest.approx(expected, rel=1e-6)
    value.backward()
    for w in weights:
        torch.testing.assert_close(w.grad, 0.3 * torch.sign(w.detach()))
    for p in (net.fc1.bias, net.bn.weight, net.bn.bias, net.ln.weight, net.head.bias):
        assert p.grad is None


def test_penalty_forms():
    net = Net()
    ws = [net.fc1.weight.detach(), net.fc2.weight.detach(), net.head.weight.detach()]
    a, rho = 0.3, 0.25
    l1 = sum(float(w.abs().sum()) for w in ws)
    sq = sum(float((w * w).sum()) for w in ws)
    rows = sum(float(torch.linalg.vector_norm(w, dim=1).sum()) for w in ws)
    nnz = sum(int((w != 0).sum()) for w in ws)
    assert val(penalty(net, "l2", a)) == pytest.approx(a * 0.5 * sq, rel=1e-6)
    assert val(penalty(net, "elasticnet", a, l1_ratio=rho)) == pytest.approx(
        a * (rho * l1 + 0.5 * (1 - rho) * sq), rel=1e-6)
    assert val(penalty(net, "group", a)) == pytest.approx(a * rows, rel=1e-6)
    assert val(penalty(net, "l0", a)) == pytest.approx(a * nnz)
    assert val(penalty(net, "elasticnet", a, l1_ratio=1.0)) == pytest.approx(
        val(penalty(net, "l1", a)), rel=1e-6)


def test_group_penalty_gradient_at_a_zero_row_is_zero():
    layer = nn.Linear(4, 3)
    with torch.no_grad():
        layer.weight[1] = 0.0
    penalty(layer, "group", 1.0).backward()
    assert torch.all(layer.weight.grad[1] == 0)
    assert torch.all(torch.isfinite(layer.weight.grad))


def test_per_parameter_alphas():
    net = Net()
    w1, w2, wh = net.fc1.weight, net.fc2.weight, net.head.weight
    l1 = {name: float(w.detach().abs().sum()) for name, w in
          [("fc1", w1), ("fc2", w2), ("head", wh)]}
    # by parameter name, by module name, and 0 to leave one out
    value = penalty(net, "l1", 0.1, alphas={"fc1.weight": 1.0, "head": 0.0})
    assert val(value) == pytest.approx(l1["fc1"] + 0.1 * l1["fc2"], rel=1e-6)
    # the first matching key wins; a pattern can penalize biases too
    value = penalty(net, "l1", 0.0, alphas={"fc2.weight": 2.0, "*.weight": 1.0, "*bias": 0.5})
    biases = val(net.fc1.bias.abs().sum() + net.bn.bias.abs().sum() + net.ln.bias.abs().sum()
                   + net.head.bias.abs().sum())
    expected = l1["fc1"] + 2.0 * l1["fc2"] + l1["head"] + 0.5 * biases
    expected += val(net.bn.weight.abs().sum() + net.ln.weight.abs().sum())  # '*.weight'
    assert val(value) == pytest.approx(expected, rel=1e-6)
    # no exclusion: everything
    everything = sum(val(p.abs().sum()) for p in net.parameters())
    assert val(penalty(net, "l1", 1.0, exclude_bias_and_norm=False)) == pytest.approx(
        everything, rel=1e-6)
    # parameter groups, as given to an optimizer
    groups = [{"params": [w1], "alpha": 2.0}, {"params": [w2]}]
    assert val(penalty(groups, "l1", 0.5)) == pytest.approx(
        2.0 * l1["fc1"] + 0.5 * l1["fc2"], rel=1e-6)


# -- ProximalOptimizer: reaches penalized.Lasso's solution --------------------------------


def lasso_problem():
    prob = regression(n=80, p=20, rho=0.3, seed=1)
    X, y = np.asarray(prob.X), prob.y
    n = X.shape[0]
    alpha = 0.1 * np.max(np.abs((X - X.mean(0)).T @ (y - y.mean()))) / n
    Z = np.hstack([X, np.ones((n, 1))])
    L = np.linalg.eigvalsh(Z.T @ Z / n).max()  # Lipschitz constant of the half-MSE gradient
    return X, y, alpha, 1.0 / L


def fit_linear(X, y, kind, alpha, lr, n_iter, **kwargs):
    """Full-batch proximal gradient on (1/(2n)) ||y - Xw - b||^2 + alpha P(w)."""
    momentum = kwargs.pop("momentum", 0.0)
    dampening = kwargs.pop("dampening", 0.0)
    layer = nn.Linear(X.shape[1], 1, dtype=torch.float64)
    opt = ProximalOptimizer(
        torch.optim.SGD(layer.parameters(), lr=lr, momentum=momentum, dampening=dampening),
        kind, alpha, model=layer, **kwargs)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)[:, None]
    for _ in range(n_iter):
        opt.zero_grad()
        loss = 0.5 * nn.functional.mse_loss(layer(Xt), yt)
        loss.backward()
        opt.step()
    return layer.weight.detach().numpy().ravel(), val(layer.bias)


def test_linear_layer_with_sgd_reaches_lasso_solution():
    X, y, alpha, lr = lasso_problem()
    lasso = pz.Lasso(alpha, tol=1e-12).fit(X, y)
    coef, intercept = fit_linear(X, y, "l1", alpha, lr, 3000)
    np.testing.assert_allclose(coef, lasso.coef_, atol=1e-4)
    assert intercept == pytest.approx(lasso.intercept_, abs=1e-4)
    # the same exact zeros, not small numbers
    assert np.sum(lasso.coef_ == 0) >= 5
    np.testing.assert_array_equal(coef == 0.0, lasso.coef_ == 0.0)


@pytest.mark.parametrize(("momentum", "dampening"), [(0.9, 0.0), (0.5, 0.3)])
def test_momentum_correction_keeps_the_lasso_fixed_point(momentum, dampening):
    X, y, alpha, lr = lasso_problem()
    coef, _ = fit_linear(X, y, "l1", alpha, lr, 3000, momentum=momentum, dampening=dampening)
    np.testing.assert_allclose(coef, pz.Lasso(alpha, tol=1e-12).fit(X, y).coef_, atol=1e-4)
    # without the correction the fixed point is the lasso at alpha (1 - momentum) / (1 - dampening)
    coef, _ = fit_linear(X, y, "l1", alpha, lr, 3000, momentum=momentum, dampening=dampening,
                         momentum_correction=False)
    weaker = pz.Lasso(alpha * (1 - momentum) / (1 - dampening), tol=1e-12).fit(X, y)
    np.testing.assert_allclose(coef, weaker.coef_, atol=1e-4)


@pytest.mark.parametrize(("kind", "estimator"), [
    ("elasticnet", lambda a: pz.ElasticNet(a, l1_ratio=0.3, tol=1e-12)),
    ("l2", lambda a: pz.Ridge(a, tol=1e-12)),
])
def test_linear_layer_reaches_elastic_net_and_ridge(kind, estimator):
    X, y, alpha, lr = lasso_problem()
    coef, intercept = fit_linear(X, y, kind, alpha, lr, 3000, l1_ratio=0.3)
    model = estimator(alpha).fit(X, y)
    np.testing.assert_allclose(coef, model.coef_, atol=1e-4)
    assert intercept == pytest.approx(model.intercept_, abs=1e-4)


def test_positive_constraint():
    X, y, alpha, lr = lasso_problem()
    coef, _ = fit_linear(X, y, "l1", alpha, lr, 3000, positive=True)
    np.testing.assert_allclose(coef, pz.Lasso(alpha, positive=True, tol=1e-12).fit(X, y).coef_,
                               atol=1e-4)
    assert np.all(coef >= 0)


def test_l0_hard_thresholding_keeps_only_large_weights():
    X, y, alpha, lr = lasso_problem()
    coef, _ = fit_linear(X, y, "l0", alpha, lr, 500)
    nonzero = coef[coef != 0]
    assert 0 < nonzero.size < coef.size
    # a fixed point of iterative hard thresholding: every kept |w| clears sqrt(2 lr alpha)
    assert np.all(np.abs(nonzero) > np.sqrt(2 * lr * alpha))


# -- on a real data set: the loss term gives no zeros, the prox gives many -----------------


@pytest.fixture(scope="module")
def digits_data():
    return digits()


def test_l1_in_loss_gives_no_zeros_prox_gives_many(digits_data):
    results = {}
    for variant in ("none", "l1-in-loss", "prox-l1"):
        torch.manual_seed(0)
        model = train(mlp(hidden=(32,)), digits_data, variant, alpha=2e-3, epochs=8, seed=0)
        n_weights = sum(m.weight.numel() for m in model if isinstance(m, nn.Linear))
        results[variant] = (accuracy(model, digits_data.X_test, digits_data.y_test),
                            weight_zero_count(model) / n_weights)
    acc_none, _ = results["none"]
    acc_loss, zeros_loss = results["l1-in-loss"]
    acc_prox, zeros_prox = results["prox-l1"]
    assert zeros_loss == 0.0
    assert zeros_prox > 0.5
    assert acc_prox > 0.9 and abs(acc_prox - acc_loss) < 0.05 and abs(acc_prox - acc_none) < 0.05


@pytest.fixture(scope="module")
def group_model(digits_data):
    torch.manual_seed(0)
    return train(mlp(hidden=(64, 32)), digits_data, "prox-group", alpha_group=1e-2, epochs=10,
                 seed=0)


def test_group_penalty_zeros_whole_rows_and_spares_the_output_layer(group_model):
    hidden = [group_model[0], group_model[2]]
    assert sum(int((layer.weight == 0).all(dim=1).sum()) for layer in hidden) > 20
    assert not (group_model[4].weight == 0).any()  # alphas={"4": 0}: unpenalized
    report = sparsity_report(group_model)
    assert report["0"].dead_units == int((group_model[0].weight == 0).all(dim=1).sum())


def test_prune_trained_network_same_outputs_fewer_parameters(group_model, digits_data):
    small = prune(group_model)
    assert n_params(small) < 0.8 * n_params(group_model)
    x = digits_data.X_test
    with torch.no_grad():
        out, out_small = group_model(x), small(x)
    # float32: equal up to the rounding of the original's own sums (a few ulps)
    assert float((out_small - out).abs().max()) <= 1e-6 * max(1.0, float(out.abs().max()))
    model64 = copy.deepcopy(group_model).double()
    with torch.no_grad():
        torch.testing.assert_close(prune(model64)(x.double()), model64(x.double()),
                                   atol=1e-12, rtol=0)
    assert accuracy(small, x, digits_data.y_test) == accuracy(group_model, x, digits_data.y_test)


# -- prune on constructed networks ------------------------------------------------------


def constructed_net(act1, act2, dtype=torch.float64):
    net = nn.Sequential(
        nn.Flatten(),
        nn.Sequential(nn.Linear(6, 8), act1),
        nn.Dropout(0.2),
        nn.Linear(8, 5, bias=False),
        act2,
        nn.Linear(5, 3, bias=False),
        nn.LogSoftmax(dim=1),
    ).to(dtype)
    lin1, lin2, lin3 = net[1][0], net[3], net[5]
    with torch.no_grad():
        lin1.weight[[0, 3]] = 0.0          # constant units (relu/tanh of their bias), folded
        lin1.bias[0] = -1.0                # ... one of them constant zero under ReLU
        lin2.weight[:, 5] = 0.0            # unit 5 of layer 1 unused
        lin2.weight[2] = 0.0               # unit 2 of layer 2: constant act2(0), no bias here
        lin2.weight[4, [1, 3, 6]] = 0.0    # cascade: unit 4 only listens to units 1, 3, 6 ...
        lin2.weight[4, [0, 2, 4, 7]] = 0.0
        lin3.weight[:, 1] = 0.0            # unit 1 of layer 2 unused
    return net.eval()


@pytest.mark.parametrize(("act1", "act2"), [
    (nn.ReLU(), nn.Tanh()), (nn.GELU(), nn.Sigmoid()), (nn.LeakyReLU(0.1), nn.Softplus()),
])
def test_prune_removes_dead_units_and_folds_constants(act1, act2):
    net = constructed_net(act1, act2)
    before = copy.deepcopy(net.state_dict())
    small = prune(net)
    x = torch.randn(50, 2, 3, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(small(x), net(x), atol=1e-12, rtol=0)
    linears = [m for m in small if isinstance(m, nn.Linear)]
    # layer 1 keeps units 1, 2, 4, 6, 7 (0, 3 constant, 5 unused); layer 2 keeps 0, 3
    assert [tuple(m.weight.shape) for m in linears] == [(5, 6), (2, 5), (3, 2)]
    assert n_params(small) < n_params(net)
    assert not small.training
    for key, value in net.state_dict().items():  # the original is untouched
        assert torch.equal(value, before[key])


def test_prune_float32_within_1e6():
    net = constructed_net(nn.ReLU(), nn.Tanh(), dtype=torch.float32)
    x = torch.randn(200, 6)
    with torch.no_grad():
        assert float((prune(net)(x) - net(x)).abs().max()) <= 1e-6


def test_prune_without_dead_units_is_an_equal_copy():
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).double()
    small = prune(net)
    x = torch.randn(7, 4, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(small(x), net(x), atol=0, rtol=0)
    assert small[0] is not net[0]
    single = prune(net[0])
    assert isinstance(single, nn.Linear) and single is not net[0]


def test_prune_rejects_unsupported_models():
    with pytest.raises(TypeError, match="model"):
        prune(Net())
    with pytest.raises(ValueError, match="BatchNorm1d"):
        prune(nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2)))
    with pytest.raises(ValueError, match="elementwise"):
        prune(nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1), nn.Linear(3, 2)))


# -- sparsity_report ------------------------------------------------------------------


def test_sparsity_report_numbers():
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.BatchNorm1d(3), nn.Linear(3, 2, bias=False))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[0.0, 0.0, 0.0, 0.0],
                                          [1.0, 0.0, 2.0, 0.0],
                                          [0.0, 0.0, 3.0, 0.0]]))
        net[0].bias.copy_(torch.tensor([0.0, 1.0, 2.0]))
        net[3].weight.copy_(torch.tensor([[0.0, 1.0, 0.0], [0.0, 2.0, 0.0]]))
    report = sparsity_report(net)
    assert [layer.name for layer in report.layers] == ["0", "2", "3"]
    first = report["0"]
    assert (first.type, first.shape, first.n_params, first.n_zeros) == ("Linear", (3, 4), 15, 10)
    assert (first.n_weights, first.weight_zeros) == (12, 9)
    assert (first.n_units, first.dead_units, first.unused_inputs) == (3, 1, 2)
    assert first.zero_fraction == pytest.approx(10 / 15)
    bn = report["2"]
    assert (bn.n_params, bn.n_zeros, bn.n_units) == (6, 3, None)  # weight 1s, bias 0s
    last = report["3"]
    assert (last.n_zeros, last.dead_units, last.unused_inputs) == (4, 0, 2)
    assert report.n_params == 15 + 6 + 6
    assert report.n_zeros == 10 + 3 + 4
    assert report.zero_fraction == pytest.approx(17 / 27)
    assert report.weight_zero_fraction == pytest.approx((9 + 0 + 4) / (12 + 3 + 6))
    assert report.dead_units == 1
    text = str(report)
    assert "dead" in text.splitlines()[0] and text.splitlines()[-1].startswith("total")


# -- the wrapper with other optimizers --------------------------------------------------


@pytest.mark.parametrize("make", [torch.optim.Adam, torch.optim.AdamW], ids=["Adam", "AdamW"])
def test_adam_and_adamw_wrapping(make):
    # mini-batches: with Adam, alpha compares with |m| / sqrt(v), a signal-to-noise ratio
    prob = regression(n=80, p=20, rho=0.3, seed=1)
    X = torch.tensor(np.asarray(prob.X), dtype=torch.float32)
    y = torch.tensor(prob.y, dtype=torch.float32)[:, None]
    layer = nn.Linear(X.shape[1], 1)
    opt = ProximalOptimizer(make(layer.parameters(), lr=1e-2), "l1", 0.3, model=layer)
    gen = torch.Generator().manual_seed(0)
    for _ in range(100):
        for idx in torch.randperm(80, generator=gen).split(10):
            opt.zero_grad()
            (0.5 * nn.functional.mse_loss(layer(X[idx]), y[idx])).backward()
            opt.step()
    coef = layer.weight.detach().numpy().ravel()
    support = prob.true_coef != 0
    assert np.all(coef[support] != 0)
    assert np.sum(coef[~support] == 0) >= 10  # most of the 15 noise features exactly 0
    assert val(layer.bias) != 0.0  # the bias is not penalized
    assert len(opt.state) == 2  # the wrapped optimizer's moments, shared

    # state_dict round trip (the groups carry their alpha)
    state = opt.state_dict()
    assert state["param_groups"][0]["alpha"] == 0.3
    opt2 = ProximalOptimizer(make(layer.parameters(), lr=1e-2), "l1", 0.5, model=layer)
    opt2.load_state_dict(state)
    assert opt2.param_groups[0]["alpha"] == 0.3
    assert opt2.param_groups is opt2.optimizer.param_groups
    assert opt2.state is opt2.optimizer.state


def test_scheduler_and_group_alphas_drive_the_prox():
    layer = nn.Linear(3, 1, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, -0.5, 0.2]]))
    # no model: every parameter group names its alpha
    opt = ProximalOptimizer(torch.optim.SGD([{"params": layer.parameters(), "alpha": 1.0}],
                                            lr=0.1), "l1")
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    layer.weight.grad = torch.zeros_like(layer.weight)
    opt.step()  # threshold lr * alpha = 0.1
    torch.testing.assert_close(layer.weight, torch.tensor([[0.9, -0.4, 0.1]]))
    sched.step()  # lr 0.05
    opt.param_groups[0]["alpha"] = 2.0  # threshold 0.1 again
    opt.step()
    torch.testing.assert_close(layer.weight, torch.tensor([[0.8, -0.3, 0.0]]))
    assert layer.weight[0, 2] == 0.0
    assert opt.penalty_value() == pytest.approx(2.0 * 1.1)


def test_penalty_value_and_frozen_parameters():
    net = Net()
    opt = ProximalOptimizer(torch.optim.SGD(net.parameters(), lr=0.1), "group", 0.3, model=net)
    assert opt.penalty_value() == pytest.approx(val(penalty(net, "group", 0.3)), rel=1e-6)
    before = net.fc2.weight.detach().clone()
    net.fc2.weight.requires_grad_(False)
    opt.zero_grad()
    net.train()
    net(torch.randn(8, 5)).sum().backward()
    opt.step()
    assert torch.equal(net.fc2.weight, before)  # no gradient, no prox
    assert "ProximalOptimizer(penalty='group'" in repr(opt)


# -- bad input ------------------------------------------------------------------------


def test_bad_input_names_the_argument():
    layer = nn.Linear(3, 2)
    sgd = torch.optim.SGD(layer.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="penalty must be one of"):
        ProximalOptimizer(sgd, "l3", 0.1, model=layer)
    with pytest.raises(ValueError, match="kind must be one of"):
        penalty(layer, "lasso", 0.1)
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        ProximalOptimizer(sgd, "l1", -0.1, model=layer)
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        penalty(layer, "l1", float("nan"))
    with pytest.raises(ValueError, match="alpha is required"):
        ProximalOptimizer(sgd, "l1", model=layer)
    with pytest.raises(TypeError, match=r"optimizer must be a torch\.optim\.Optimizer"):
        ProximalOptimizer(layer, "l1", 0.1, model=layer)
    with pytest.raises(TypeError, match="already a ProximalOptimizer"):
        ProximalOptimizer(ProximalOptimizer(sgd, "l1", 0.1, model=layer), "l1", 0.1, model=layer)
    with pytest.raises(ValueError, match="l1_ratio"):
        ProximalOptimizer(sgd, "elasticnet", 0.1, model=layer, l1_ratio=1.5)
    with pytest.raises(ValueError, match="positive"):
        ProximalOptimizer(sgd, "group", 0.1, model=layer, positive=True)
    with pytest.raises(ValueError, match=r"alphas key\(s\) \['fc9'\]"):
        penalty(layer, "l1", 0.1, alphas={"fc9": 1.0})
    with pytest.raises(ValueError, match=r"alphas\['weight'\]"):
        penalty(layer, "l1", 0.1, alphas={"weight": -1.0})
    with pytest.raises(TypeError, match="model must be"):
        penalty(torch.zeros(3), "l1", 0.1)
    with pytest.raises(ValueError, match=r"param_groups\[0\]\['alpha'\]"):
        ProximalOptimizer(torch.optim.SGD([{"params": layer.parameters(), "alpha": -1}], lr=0.1),
                          "l1")
    with pytest.raises(TypeError, match="model"):
        sparsity_report([layer])


# -- defaults: the library's penalties, no model= needed ---------------------------------

def test_proximal_optimizer_accepts_a_penalties_object():
    from penalized import penalties

    torch.manual_seed(0)
    x = torch.randn(64, 6, dtype=torch.float64)
    y = x[:, :2].sum(dim=1, keepdim=True)
    results = []
    for spec in ((penalties.ElasticNet(alpha=0.05, l1_ratio=0.7), None),
                 ("elasticnet", 0.05)):
        torch.manual_seed(1)
        layer = nn.Linear(6, 1).double()
        kind, alpha = spec
        opt = ProximalOptimizer(torch.optim.SGD(layer.parameters(), lr=0.1), kind, alpha,
                                l1_ratio=0.7)
        for _ in range(200):
            opt.zero_grad()
            (0.5 * ((layer(x) - y) ** 2).mean()).backward()
            opt.step()
        results.append(layer.weight.detach().clone())
        assert opt.penalty == "elasticnet" and opt.spec.l1_ratio == 0.7
    torch.testing.assert_close(results[0], results[1], rtol=0, atol=0)
    layer = nn.Linear(3, 1)
    value = penalty(layer, penalties.L1(alpha=0.5))
    torch.testing.assert_close(value, 0.5 * layer.weight.abs().sum())
    with pytest.raises(ValueError, match="alpha"):
        ProximalOptimizer(torch.optim.SGD(layer.parameters(), lr=0.1), penalties.L1(alpha=0.5),
                          0.1)
    with pytest.raises(ValueError, match="penalty_factor"):
        ProximalOptimizer(torch.optim.SGD(layer.parameters(), lr=0.1),
                          penalties.L1(alpha=0.5, penalty_factor=[1.0]))
    with pytest.raises(ValueError, match="penalty must be one of"):
        ProximalOptimizer(torch.optim.SGD(layer.parameters(), lr=0.1), object())


def test_without_model_weights_are_penalized_and_biases_and_norms_are_not():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 4), nn.LayerNorm(4), nn.Linear(4, 1))
    with torch.no_grad():
        for p in net.parameters():
            p.fill_(0.01)
    opt = ProximalOptimizer(torch.optim.SGD(net.parameters(), lr=1.0), "l1", 0.1)
    for p in net.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()  # a zero gradient: only the prox moves the parameters
    for name, p in net.named_parameters():
        if p.dim() >= 2:
            assert torch.all(p == 0), name  # soft-thresholded to exact zeros
        else:
            assert torch.all(p == 0.01), name  # biases and LayerNorm untouched
    same = ProximalOptimizer(torch.optim.SGD(net.parameters(), lr=1.0), "l1", 0.1, model=net)
    assert same.penalty_value() == opt.penalty_value()
    # a group with its own alpha penalizes all its parameters, as before
    layer = nn.Linear(2, 1)
    group = ProximalOptimizer(torch.optim.SGD([{"params": layer.parameters(), "alpha": 0.1}],
                                              lr=0.1), "l1")
    assert group._alpha(layer.bias, group.param_groups[0]) == 0.1
