"""``state_dict`` / ``load_state_dict`` on the optimizers and on ``Sequential``: PyTorch's names
and meaning, so that a run can be resumed exactly and an optimizer started from given state."""

import numpy as np
import pytest

import scratchnn as snn

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 3))
Y = (rng.random(40) > 0.5).astype(float)

OPTIMIZERS = [
    (snn.SGD, {"lr": 0.1}),
    (snn.SGD, {"lr": 0.1, "momentum": 0.9}),
    (snn.SGD, {"lr": 0.05, "momentum": 0.5, "nesterov": True, "weight_decay": 0.01}),
    (snn.Adam, {"lr": 0.01}),
    (snn.Adam, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    (snn.RMSprop, {"lr": 0.01, "alpha": 0.9}),
]


def steps(model, optimizer, k):
    loss = snn.BinaryCrossEntropy()
    for _ in range(k):
        loss.forward(model.forward(X), Y)
        model.backward(loss.backward())
        optimizer.step()


@pytest.mark.parametrize(("cls", "settings"), OPTIMIZERS)
@pytest.mark.parametrize("packed", [True, False])
def test_resume_equals_a_run_straight_through(cls, settings, packed):
    def make():
        model = snn.mlp([3, 5, 4, 1], rng=1)
        # A list of layers not packed into one vector exercises the per-array state.
        return model if packed else snn.Sequential([
            *model.layers[:2], snn.Dense(5, 4, rng=2), snn.ReLU(),
            snn.Dense(4, 1, rng=3, dtype=np.float32)])

    straight = make()
    steps(straight, cls(straight.parameters(), **settings), 10)
    first = make()
    opt = cls(first.parameters(), **settings)
    steps(first, opt, 5)
    weights, state = first.state_dict(), opt.state_dict()
    resumed = make()
    resumed.load_state_dict(weights)
    opt2 = cls(resumed.parameters(), lr=0.777)  # the settings come from the state
    opt2.load_state_dict(state)
    steps(resumed, opt2, 5)
    for (a, _), (b, _) in zip(straight.parameters(), resumed.parameters()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_state_dict_uses_pytorch_names_and_shapes():
    model = snn.mlp([3, 5, 1], rng=0)
    opt = snn.Adam(model.parameters(), lr=0.01)
    assert opt.state_dict()["state"] == {}  # nothing before the first step, as PyTorch
    steps(model, opt, 3)
    state = opt.state_dict()
    assert state["param_groups"][0]["params"] == [0, 1, 2, 3]
    assert state["param_groups"][0]["lr"] == 0.01
    assert state["param_groups"][0]["betas"] == (0.9, 0.999)
    assert sorted(state["state"][0]) == ["exp_avg", "exp_avg_sq", "step"]
    assert state["state"][2]["step"] == 3
    for i, (param, _) in enumerate(model.parameters()):
        assert state["state"][i]["exp_avg"].shape == param.shape
    assert sorted(model.state_dict()) == ["0.W", "0.b", "2.W", "2.b"]


def test_returned_state_belongs_to_the_caller():
    model = snn.mlp([3, 5, 1], rng=0)
    opt = snn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    steps(model, opt, 2)
    state, weights = opt.state_dict(), model.state_dict()
    kept = state["state"][0]["momentum_buffer"].copy(), weights["0.W"].copy()
    steps(model, opt, 2)
    np.testing.assert_array_equal(state["state"][0]["momentum_buffer"], kept[0])
    np.testing.assert_array_equal(weights["0.W"], kept[1])


def test_an_optimizer_started_from_given_velocities():
    """SGD with momentum from a given velocity: the next step is the closed form."""
    model = snn.mlp([3, 1], rng=0)
    opt = snn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    velocities = [np.full(p.shape, 0.5) for p, _ in model.parameters()]
    state = {"state": {i: {"momentum_buffer": v} for i, v in enumerate(velocities)},
             "param_groups": [{"lr": 0.1, "momentum": 0.9, "params": [0, 1]}]}
    opt.load_state_dict(state)
    before = model.get_weights()
    loss = snn.BinaryCrossEntropy()
    loss.forward(model.forward(X), Y)
    model.backward(loss.backward())
    grads = [g.copy() for _, g in model.parameters()]
    opt.step()
    for w0, v0, g, (w, _) in zip(before, velocities, grads, model.parameters()):
        np.testing.assert_allclose(w, w0 - 0.1 * (0.9 * v0 + g), rtol=0, atol=1e-15)


def test_adam_from_pytorch_state_matches_pytorch():
    torch = pytest.importorskip("torch")
    model = snn.mlp([3, 4, 1], rng=0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                              torch.nn.Linear(4, 1)).double()
    with torch.no_grad():
        for p, (w, _) in zip(net.parameters(), model.parameters()):
            p.copy_(torch.from_numpy(w.T.copy() if w.ndim == 2 else w))
    topt = torch.optim.Adam(net.parameters(), lr=0.01)
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y.reshape(-1, 1))

    def torch_step():
        topt.zero_grad()
        torch.nn.BCEWithLogitsLoss()(net(Xt), Yt).backward()
        topt.step()

    for _ in range(4):
        torch_step()
    # PyTorch's weights and moments, transposed into our layout, start our Adam.
    tstate = topt.state_dict()
    params = [p.detach().numpy() for p in net.parameters()]
    model.set_weights([p.T if p.ndim == 2 else p for p in params])
    ours = {"state": {i: {"step": int(s["step"]), "exp_avg": s["exp_avg"].numpy().T,
                          "exp_avg_sq": s["exp_avg_sq"].numpy().T}
                      for i, s in tstate["state"].items()},
            "param_groups": [{k: v for k, v in tstate["param_groups"][0].items()
                              if k in ("lr", "betas", "eps", "weight_decay", "params")}]}
    opt = snn.Adam(model.parameters())
    opt.load_state_dict(ours)
    torch_step()
    steps(model, opt, 1)
    for p, (w, _) in zip(net.parameters(), model.parameters()):
        expected = p.detach().numpy()
        np.testing.assert_allclose(w, expected.T if expected.ndim == 2 else expected,
                                   rtol=0, atol=1e-12)


def test_mismatched_state_is_refused_with_a_clear_error():
    model = snn.mlp([3, 5, 1], rng=0)
    other = snn.mlp([3, 6, 1], rng=0)
    with pytest.raises(ValueError, match=r"0\.W has shape \(3, 6\)"):
        model.load_state_dict(other.state_dict())
    with pytest.raises(ValueError, match=r"missing keys \['2\.b'\]"):
        model.load_state_dict({k: v for k, v in model.state_dict().items() if k != "2.b"})
    opt = snn.Adam(model.parameters())
    other_opt = snn.Adam(other.parameters())
    steps(other, other_opt, 1)
    with pytest.raises(ValueError, match="state 'exp_avg' of parameter 0 has shape"):
        opt.load_state_dict(other_opt.state_dict())
    with pytest.raises(ValueError, match="the state is for 2 parameters"):
        opt.load_state_dict({"state": {}, "param_groups": [{"params": [0, 1]}]})
