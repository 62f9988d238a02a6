"""Optimizers and learning-rate schedules: closed-form steps, PyTorch's rules, validation.

Each optimizer is checked three ways: the first steps against an update written out by hand
here, random arrays against PyTorch's documented pseudocode (with hypothesis), and, when PyTorch
is installed, against ``torch.optim`` itself.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import scratchnn as snn

# Three gradients for three steps on a parameter of shape (2, 3): sign changes and a zero entry,
# so that momentum and the moment estimates are exercised.
P0 = np.array([[0.5, -1.0, 2.0], [0.0, 0.25, -0.75]])
GRADS = [
    np.array([[0.1, -0.2, 0.3], [1.0, 0.0, -2.0]]),
    np.array([[-0.3, 0.1, 0.2], [0.5, 0.4, -1.0]]),
    np.array([[0.2, 0.2, -0.1], [-1.5, 0.3, 0.0]]),
]


def run(make_optimizer, grads=GRADS, p0=P0):
    """Take one optimizer step per gradient; return the parameter after each step."""
    param, grad = p0.copy(), np.zeros_like(p0)
    opt = make_optimizer([(param, grad)])
    trajectory = []
    for g in grads:
        grad[...] = g  # written in place, as model.backward does
        opt.step()
        trajectory.append(param.copy())
    return trajectory


# --- closed forms, written out step by step ------------------------------------------------------


def test_sgd_plain_steps_are_minus_lr_times_gradient():
    lr = 0.1
    p1, p2, p3 = run(lambda ps: snn.SGD(ps, lr=lr))
    np.testing.assert_allclose(p1, P0 - lr * GRADS[0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(p2, P0 - lr * (GRADS[0] + GRADS[1]), rtol=0, atol=1e-15)
    np.testing.assert_allclose(p3, P0 - lr * (GRADS[0] + GRADS[1] + GRADS[2]), rtol=0, atol=1e-15)


def test_sgd_momentum_follows_pytorch_buffer_rule():
    # PyTorch: v1 = g1 (no dampening on the first step), v_t = m v_{t-1} + g_t, p -= lr v_t.
    lr, m = 0.1, 0.9
    g1, g2, g3 = GRADS
    v1 = g1
    v2 = m * g1 + g2
    v3 = m * m * g1 + m * g2 + g3
    p1, p2, p3 = run(lambda ps: snn.SGD(ps, lr=lr, momentum=m))
    np.testing.assert_allclose(p1, P0 - lr * v1, atol=1e-15)
    np.testing.assert_allclose(p2, P0 - lr * (v1 + v2), atol=1e-15)
    np.testing.assert_allclose(p3, P0 - lr * (v1 + v2 + v3), atol=1e-15)


def test_sgd_nesterov_looks_ahead_along_the_velocity():
    # PyTorch's Nesterov: the step is lr * (g_t + m v_t).
    lr, m = 0.05, 0.8
    g1, g2, g3 = GRADS
    v1, v2 = g1, m * g1 + g2
    v3 = m * v2 + g3
    p1, p2, p3 = run(lambda ps: snn.SGD(ps, lr=lr, momentum=m, nesterov=True))
    s1, s2, s3 = g1 + m * v1, g2 + m * v2, g3 + m * v3
    np.testing.assert_allclose(p1, P0 - lr * s1, atol=1e-15)
    np.testing.assert_allclose(p2, P0 - lr * (s1 + s2), atol=1e-15)
    np.testing.assert_allclose(p3, P0 - lr * (s1 + s2 + s3), atol=1e-15)


def test_sgd_weight_decay_adds_decay_times_param_to_the_gradient():
    lr, wd = 0.1, 0.01
    p1, p2, p3 = run(lambda ps: snn.SGD(ps, lr=lr, weight_decay=wd))
    e1 = P0 - lr * (GRADS[0] + wd * P0)
    e2 = e1 - lr * (GRADS[1] + wd * e1)
    e3 = e2 - lr * (GRADS[2] + wd * e2)
    np.testing.assert_allclose([p1, p2, p3], [e1, e2, e3], atol=1e-15)


def test_sgd_weight_decay_with_momentum_enters_the_buffer():
    lr, m, wd = 0.1, 0.5, 0.1
    g1 = GRADS[0] + wd * P0
    p1 = P0 - lr * g1
    g2 = GRADS[1] + wd * p1
    v2 = m * g1 + g2
    p2 = p1 - lr * v2
    got = run(lambda ps: snn.SGD(ps, lr=lr, momentum=m, weight_decay=wd), grads=GRADS[:2])
    np.testing.assert_allclose(got, [p1, p2], atol=1e-15)


def test_adam_first_step_is_lr_times_sign_of_gradient():
    # With bias correction, m_hat = g and v_hat = g^2 on step 1: the step is lr * g / (|g| + eps).
    lr, eps = 0.01, 1e-8
    (p1,) = run(lambda ps: snn.Adam(ps, lr=lr, eps=eps), grads=GRADS[:1])
    g = GRADS[0]
    np.testing.assert_allclose(p1, P0 - lr * g / (np.abs(g) + eps), rtol=0, atol=1e-15)
    # Where the gradient is zero, nothing moves.
    assert p1[1, 1] == P0[1, 1]


def test_adam_three_steps_with_bias_correction():
    lr, b1, b2, eps = 0.01, 0.8, 0.9, 1e-3  # a large eps, so that eps's place in the formula shows
    g1, g2, g3 = GRADS
    m1, v1 = (1 - b1) * g1, (1 - b2) * g1**2
    m2, v2 = b1 * m1 + (1 - b1) * g2, b2 * v1 + (1 - b2) * g2**2
    m3, v3 = b1 * m2 + (1 - b1) * g3, b2 * v2 + (1 - b2) * g3**2
    expected, p = [], P0
    for t, (m, v) in enumerate([(m1, v1), (m2, v2), (m3, v3)], start=1):
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        expected.append(p)
    got = run(lambda ps: snn.Adam(ps, lr=lr, betas=(b1, b2), eps=eps))
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)


def test_adam_weight_decay_is_coupled_l2_like_torch_adam():
    # torch.optim.Adam (not AdamW): g <- g + wd * p before the moments.
    lr, wd = 0.1, 0.5
    g = GRADS[0] + wd * P0
    (p1,) = run(lambda ps: snn.Adam(ps, lr=lr, weight_decay=wd), grads=GRADS[:1])
    np.testing.assert_allclose(p1, P0 - lr * g / (np.abs(g) + 1e-8), atol=1e-15)


def test_rmsprop_three_steps():
    lr, a, eps = 0.01, 0.9, 1e-3
    g1, g2, g3 = GRADS
    v1 = (1 - a) * g1**2
    v2 = a * v1 + (1 - a) * g2**2
    v3 = a * v2 + (1 - a) * g3**2
    e1 = P0 - lr * g1 / (np.sqrt(v1) + eps)
    e2 = e1 - lr * g2 / (np.sqrt(v2) + eps)
    e3 = e2 - lr * g3 / (np.sqrt(v3) + eps)
    got = run(lambda ps: snn.RMSprop(ps, lr=lr, alpha=a, eps=eps))
    np.testing.assert_allclose(got, [e1, e2, e3], rtol=1e-13, atol=1e-15)


def test_defaults_match_pytorch():
    ps = [(np.zeros(2), np.zeros(2))]
    adam, rms, sgd = snn.Adam(ps), snn.RMSprop(ps), snn.SGD(ps, lr=0.1)
    assert (adam.lr, adam.betas, adam.eps, adam.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 0)
    assert (rms.lr, rms.alpha, rms.eps, rms.weight_decay) == (1e-2, 0.99, 1e-8, 0)
    assert (sgd.momentum, sgd.nesterov, sgd.weight_decay) == (0, False, 0)


# --- random arrays against PyTorch's documented pseudocode ----------------------------------------


def reference(kind: str, p, grads, lr, momentum=0.0, nesterov=False, wd=0.0, b1=0.9, b2=0.999,
              alpha=0.99, eps=1e-8):
    """PyTorch's algorithm boxes (torch.optim docs), one step per gradient, dampening 0."""
    p = p.copy()
    buf = m = v = None
    for t, g in enumerate(grads, start=1):
        g = g + wd * p
        if kind == "sgd":
            if momentum:
                buf = g.copy() if t == 1 else momentum * buf + g
                g = g + momentum * buf if nesterov else buf
            p = p - lr * g
        elif kind == "adam":
            m = (1 - b1) * g if t == 1 else b1 * m + (1 - b1) * g
            v = (1 - b2) * g * g if t == 1 else b2 * v + (1 - b2) * g * g
            p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        else:  # rmsprop
            v = (1 - alpha) * g * g if t == 1 else alpha * v + (1 - alpha) * g * g
            p = p - lr * g / (np.sqrt(v) + eps)
    return p


floats = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
shapes = hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)


@st.composite
def problems(draw):
    shape = draw(shapes)
    p = draw(hnp.arrays(np.float64, shape, elements=floats))
    n_steps = draw(st.integers(3, 6))
    grads = [draw(hnp.arrays(np.float64, shape, elements=floats)) for _ in range(n_steps)]
    return p, grads


def make(kind, ps, **kw):
    if kind == "sgd":
        return snn.SGD(ps, lr=kw["lr"], momentum=kw["momentum"], nesterov=kw["nesterov"],
                       weight_decay=kw["wd"])
    if kind == "adam":
        return snn.Adam(ps, lr=kw["lr"], betas=(kw["b1"], kw["b2"]), weight_decay=kw["wd"])
    return snn.RMSprop(ps, lr=kw["lr"], alpha=kw["alpha"], weight_decay=kw["wd"])


@settings(max_examples=60, deadline=None)
@given(problem=problems(), kind=st.sampled_from(["sgd", "adam", "rmsprop"]),
       lr=st.floats(1e-4, 1.0), momentum=st.sampled_from([0.0, 0.5, 0.9]),
       nesterov=st.booleans(), wd=st.sampled_from([0.0, 1e-2]),
       b1=st.floats(0.0, 0.99), b2=st.floats(0.5, 0.9999), alpha=st.floats(0.5, 0.999))
def test_optimizers_match_reference_on_random_arrays(problem, kind, lr, momentum, nesterov, wd,
                                                     b1, b2, alpha):
    p0, grads = problem
    nesterov = nesterov and momentum > 0
    kw = dict(lr=lr, momentum=momentum, nesterov=nesterov, wd=wd, b1=b1, b2=b2, alpha=alpha)
    got = run(lambda ps: make(kind, ps, **kw), grads=grads, p0=p0)[-1]
    expected = reference(kind, p0, grads, **kw)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("kind", ["sgd", "sgd_momentum", "nesterov", "adam", "rmsprop"])
def test_optimizers_match_torch_optim(kind):
    torch = pytest.importorskip("torch")
    lr, wd = 0.05, 0.01
    ours = {
        "sgd": lambda ps: snn.SGD(ps, lr=lr, weight_decay=wd),
        "sgd_momentum": lambda ps: snn.SGD(ps, lr=lr, momentum=0.9, weight_decay=wd),
        "nesterov": lambda ps: snn.SGD(ps, lr=lr, momentum=0.9, nesterov=True, weight_decay=wd),
        "adam": lambda ps: snn.Adam(ps, lr=lr, betas=(0.8, 0.9), weight_decay=wd),
        "rmsprop": lambda ps: snn.RMSprop(ps, lr=lr, alpha=0.9, weight_decay=wd),
    }[kind]
    theirs = {
        "sgd": lambda ps: torch.optim.SGD(ps, lr=lr, weight_decay=wd),
        "sgd_momentum": lambda ps: torch.optim.SGD(ps, lr=lr, momentum=0.9, weight_decay=wd),
        "nesterov": lambda ps: torch.optim.SGD(ps, lr=lr, momentum=0.9, nesterov=True,
                                               weight_decay=wd),
        "adam": lambda ps: torch.optim.Adam(ps, lr=lr, betas=(0.8, 0.9), weight_decay=wd),
        "rmsprop": lambda ps: torch.optim.RMSprop(ps, lr=lr, alpha=0.9, weight_decay=wd),
    }[kind]
    grads = [*GRADS, -2 * GRADS[0]]
    got = run(ours, grads=grads)
    tp = torch.tensor(P0.copy(), dtype=torch.float64, requires_grad=True)
    opt = theirs([tp])
    expected = []
    for g in grads:
        tp.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        expected.append(tp.detach().numpy().copy())
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


# --- what every optimizer must guarantee --------------------------------------------------------


@pytest.mark.parametrize("make_optimizer", [
    lambda ps: snn.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    lambda ps: snn.Adam(ps, lr=0.1, weight_decay=0.1),
    lambda ps: snn.RMSprop(ps, lr=0.1, weight_decay=0.1),
])
def test_updates_are_in_place_and_keep_float32(make_optimizer):
    param = P0.astype(np.float32)
    grad = GRADS[0].astype(np.float32)
    before = param.copy()
    opt = make_optimizer([(param, grad)])
    opt.step()
    assert param.dtype == np.float32
    assert not np.array_equal(param, before)
    assert all(p is param for p, _ in opt.params)


@pytest.mark.parametrize("make_optimizer", [
    lambda ps: snn.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: snn.Adam(ps, lr=0.1),
    lambda ps: snn.RMSprop(ps, lr=0.1),
])
def test_reset_forgets_the_state(make_optimizer):
    fresh = run(make_optimizer)
    param, grad = P0.copy(), np.zeros_like(P0)
    opt = make_optimizer([(param, grad)])
    for g in GRADS:  # some history to forget
        grad[...] = g
        opt.step()
    opt.lr = 123.0  # as a schedule would have changed it
    opt.reset()
    param[...] = P0
    again = []
    for g in GRADS:
        grad[...] = g
        opt.step()
        again.append(param.copy())
    np.testing.assert_array_equal(again, fresh)


def test_optimizer_updates_a_model_through_its_parameter_pairs():
    rng = np.random.default_rng(0)
    model = snn.mlp([3, 4, 1], rng=rng)
    X, y = rng.standard_normal((8, 3)), (rng.random(8) > 0.5).astype(float)
    loss = snn.BinaryCrossEntropy()
    opt = snn.SGD(model.parameters(), lr=0.1)
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    expected = [p - 0.1 * g for p, g in model.parameters()]
    opt.step()
    for (p, _), e in zip(model.parameters(), expected):
        np.testing.assert_array_equal(p, e)


# --- argument validation -------------------------------------------------------------------------

PS = [(np.zeros(3), np.zeros(3))]


@pytest.mark.parametrize("cls", [snn.SGD, snn.Adam, snn.RMSprop])
@pytest.mark.parametrize("lr", [0, -0.1, math.nan, math.inf, "0.1", None])
def test_learning_rate_must_be_positive(cls, lr):
    with pytest.raises(ValueError, match="lr must be a positive number"):
        cls(PS, lr=lr)


@pytest.mark.parametrize("momentum", [-0.1, 1.0, 1.5, math.nan])
def test_momentum_must_be_in_unit_interval(momentum):
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        snn.SGD(PS, lr=0.1, momentum=momentum)


def test_nesterov_needs_momentum():
    with pytest.raises(ValueError, match="nesterov=True needs a momentum > 0"):
        snn.SGD(PS, lr=0.1, nesterov=True)


@pytest.mark.parametrize("betas", [(1.0, 0.999), (0.9, 1.0), (-0.1, 0.9), (0.9, math.nan)])
def test_adam_betas_must_be_in_unit_interval(betas):
    with pytest.raises(ValueError, match=r"betas\[[01]\] must be in \[0, 1\)"):
        snn.Adam(PS, betas=betas)


@pytest.mark.parametrize("betas", [0.9, (0.9,), (0.9, 0.99, 0.999)])
def test_adam_betas_must_be_a_pair(betas):
    with pytest.raises(ValueError, match="betas must be a pair"):
        snn.Adam(PS, betas=betas)


@pytest.mark.parametrize("make", [
    lambda: snn.Adam(PS, eps=0),
    lambda: snn.RMSprop(PS, eps=-1e-8),
])
def test_eps_must_be_positive(make):
    with pytest.raises(ValueError, match="eps must be a positive number"):
        make()


@pytest.mark.parametrize("alpha", [1.0, -0.5])
def test_rmsprop_alpha_must_be_in_unit_interval(alpha):
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\)"):
        snn.RMSprop(PS, alpha=alpha)


@pytest.mark.parametrize("cls", [snn.SGD, snn.Adam, snn.RMSprop])
def test_weight_decay_must_not_be_negative(cls):
    with pytest.raises(ValueError, match="weight_decay must be >= 0"):
        cls(PS, lr=0.1, weight_decay=-0.01)


def test_parameter_list_must_be_pairs_of_equal_shapes():
    with pytest.raises(ValueError, match="empty parameter list"):
        snn.SGD([], lr=0.1)
    with pytest.raises(ValueError, match=r"\(param, grad\) pairs of equal shapes"):
        snn.SGD([(np.zeros(3), np.zeros(2))], lr=0.1)
    with pytest.raises(ValueError, match=r"\(param, grad\) pairs"):
        snn.SGD([np.zeros(3)], lr=0.1)


# --- learning-rate schedules ---------------------------------------------------------------------


def lrs(schedule, n_epochs, losses=None):
    """The learning rate after each of ``n_epochs`` calls of ``schedule.step``."""
    losses = losses or [None] * n_epochs
    return [schedule.step(loss) for loss in losses[:n_epochs]]


def sgd(lr=0.1):
    return snn.SGD([(np.zeros(2), np.zeros(2))], lr=lr)


def test_constant_lr():
    opt = sgd(0.3)
    assert lrs(snn.ConstantLR(opt), 5) == [0.3] * 5
    assert opt.lr == 0.3


def test_step_lr_multiplies_by_gamma_every_step_size_epochs():
    opt = sgd(1.0)
    schedule = snn.StepLR(opt, step_size=3, gamma=0.5)
    expected = [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]  # after epochs 1..9
    assert lrs(schedule, 9) == pytest.approx(expected, rel=1e-15)
    assert opt.lr == pytest.approx(0.125)


def test_step_lr_matches_torch():
    torch = pytest.importorskip("torch")
    p = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([p], lr=0.2)
    tsched = torch.optim.lr_scheduler.StepLR(topt, step_size=2, gamma=0.3)
    expected = []
    for _ in range(7):
        topt.step()
        tsched.step()
        expected.append(topt.param_groups[0]["lr"])
    assert lrs(snn.StepLR(sgd(0.2), step_size=2, gamma=0.3), 7) == pytest.approx(expected)


def test_exponential_lr():
    opt = sgd(0.5)
    got = lrs(snn.ExponentialLR(opt, gamma=0.9), 6)
    assert got == pytest.approx([0.5 * 0.9**e for e in range(1, 7)], rel=1e-14)


@pytest.mark.parametrize(("power_t", "samples_per_epoch"), [(0.5, 1), (0.25, 100), (1.0, 7)])
def test_inverse_scaling_uses_scikit_learn_formula(power_t, samples_per_epoch):
    # scikit-learn's invscaling: lr = lr_init / (t + 1)^power_t, with t the samples seen.
    opt = sgd(0.1)
    got = lrs(snn.InverseScalingLR(opt, power_t=power_t, samples_per_epoch=samples_per_epoch), 5)
    expected = [0.1 / (e * samples_per_epoch + 1) ** power_t for e in range(1, 6)]
    assert got == pytest.approx(expected, rel=1e-14)


def test_inverse_scaling_matches_scikit_learn_sgd_optimizer():
    sgd_module = pytest.importorskip("sklearn.neural_network._stochastic_optimizers")
    theirs = sgd_module.SGDOptimizer([np.zeros(2)], learning_rate_init=0.1,
                                     lr_schedule="invscaling", power_t=0.5)
    n = 50
    expected = []
    for epoch in range(1, 5):
        theirs.iteration_ends(epoch * n)  # MLPClassifier passes t_, the samples seen so far
        expected.append(theirs.learning_rate)
    got = lrs(snn.InverseScalingLR(sgd(0.1), power_t=0.5, samples_per_epoch=n), 4)
    assert got == pytest.approx(expected, rel=1e-14)


def test_reduce_on_plateau_divides_after_patience_and_stops_below_min_lr():
    opt = sgd(1.0)
    schedule = snn.ReduceLROnPlateau(opt, factor=0.1, patience=2, min_delta=0.01, min_lr=0.005)
    # 1.0 sets the best; 0.995 is not an improvement of 0.01; neither are the next two:
    # after patience + 1 = 3 bad epochs the rate drops, and the count starts again.
    losses = [1.0, 0.995, 0.999, 0.996, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    expected = [1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001]
    got, stops = [], []
    for loss in losses:
        got.append(schedule.step(loss))
        stops.append(schedule.stop_training)
    assert got == pytest.approx(expected, rel=1e-12)
    # It asks to stop only once the rate has fallen to min_lr or below.
    assert stops == [False] * 10 + [True]


def test_reduce_on_plateau_keeps_the_rate_while_the_loss_improves():
    opt = sgd(0.1)
    schedule = snn.ReduceLROnPlateau(opt, patience=1, min_delta=1e-3)
    assert lrs(schedule, 6, [1.0, 0.9, 0.8, 0.7, 0.6, 0.5]) == [0.1] * 6
    assert not schedule.stop_training


def test_reduce_on_plateau_needs_the_loss():
    with pytest.raises(ValueError, match="needs the epoch's loss"):
        snn.ReduceLROnPlateau(sgd()).step()


@pytest.mark.parametrize("make", [
    lambda o: snn.StepLR(o, step_size=2, gamma=0.5),
    lambda o: snn.ExponentialLR(o, gamma=0.5),
    lambda o: snn.InverseScalingLR(o, power_t=0.5),
    lambda o: snn.ReduceLROnPlateau(o, patience=0, min_lr=1e-9),
])
def test_schedule_reset_restores_the_initial_rate(make):
    opt = sgd(0.4)
    schedule = make(opt)
    first = lrs(schedule, 4, [1.0] * 4)
    assert opt.lr != 0.4
    schedule.reset()
    assert opt.lr == 0.4
    assert lrs(schedule, 4, [1.0] * 4) == first


@pytest.mark.parametrize(("make", "message"), [
    (lambda o: snn.StepLR(o, step_size=0), "step_size must be a positive integer"),
    (lambda o: snn.StepLR(o, step_size=1.5), "step_size must be a positive integer"),
    (lambda o: snn.StepLR(o, step_size=2, gamma=0), "gamma must be a positive number"),
    (lambda o: snn.ExponentialLR(o, gamma=-0.5), "gamma must be a positive number"),
    (lambda o: snn.InverseScalingLR(o, power_t=-1), "power_t must be >= 0"),
    (lambda o: snn.ReduceLROnPlateau(o, factor=1.0), r"factor must be in \(0, 1\)"),
    (lambda o: snn.ReduceLROnPlateau(o, factor=0), r"factor must be in \(0, 1\)"),
    (lambda o: snn.InverseScalingLR(o, samples_per_epoch=0), "samples_per_epoch must be a pos"),
    (lambda o: snn.InverseScalingLR(o, samples_per_epoch=-5), "samples_per_epoch must be a pos"),
    (lambda o: snn.ReduceLROnPlateau(o, patience=-1), "patience must be an integer >= 0"),
    (lambda o: snn.ReduceLROnPlateau(o, patience=2.5), "patience must be an integer >= 0"),
    (lambda o: snn.ReduceLROnPlateau(o, min_lr=-1), "min_lr must be >= 0, got -1"),
    (lambda o: snn.ReduceLROnPlateau(o, min_delta=math.nan), "min_delta must be >= 0"),
])
def test_schedule_arguments_are_validated(make, message):
    with pytest.raises(ValueError, match=message):
        make(sgd())
