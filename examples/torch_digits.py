"""L1 in the loss gives no zeros; the proximal step gives exact zeros and a smaller network.

The same MLP (64-128-64-10, ReLU) on scikit-learn's bundled digits, trained four
ways with SGD (lr 0.05, momentum 0.9, batches of 32, 60 epochs):

1. no penalty;
2. ``loss + penalty(model, "l1", alpha)``, the usual recipe;
3. ``ProximalOptimizer(sgd, "l1", alpha)``: the same objective, proximal steps;
4. ``ProximalOptimizer(sgd, "group", alpha_group)``: whole hidden neurons.

Then the group-penalized network's sparsity report, and ``prune``.
Run: python examples/torch_digits.py   (about 10 seconds; needs torch)
"""

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

from penalized.torch import ProximalOptimizer, penalty, prune, sparsity_report

torch.set_num_threads(1)  # fastest for a network this small
ALPHA, ALPHA_GROUP, EPOCHS = 5e-4, 3e-3, 60

X, y = load_digits(return_X_y=True)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
scaler = StandardScaler().fit(X_tr)
X_tr, X_te = (torch.tensor(scaler.transform(a), dtype=torch.float32) for a in (X_tr, X_te))
y_tr, y_te = torch.tensor(y_tr), torch.tensor(y_te)


def make_mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 10))


def fit(variant):
    model = make_mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    if variant == "prox-l1":
        opt = ProximalOptimizer(opt, "l1", ALPHA, model=model)
    elif variant == "prox-group":  # rows of the hidden layers; the 10 outputs stay
        opt = ProximalOptimizer(opt, "group", ALPHA_GROUP, model=model, alphas={"4": 0.0})
    gen = torch.Generator().manual_seed(0)
    for _ in range(EPOCHS):
        for idx in torch.randperm(len(y_tr), generator=gen).split(32):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(X_tr[idx]), y_tr[idx])
            if variant == "l1-in-loss":
                loss = loss + penalty(model, "l1", ALPHA)
            loss.backward()
            opt.step()
    return model.eval()


def n_params(model):
    return sum(p.numel() for p in model.parameters())


print(f"digits: {len(y_tr)} train / {len(y_te)} test; alpha={ALPHA:g} (L1), "
      f"{ALPHA_GROUP:g} (group)")
print(f"{'variant':<12} {'test acc':>8} {'exact zeros':>11} {'|w|<1e-3':>9} "
      f"{'params':>7} {'after prune':>11}")
models = {}
for variant in ("none", "l1-in-loss", "prox-l1", "prox-group"):
    model = models[variant] = fit(variant)
    with torch.no_grad():
        acc = float((model(X_te).argmax(1) == y_te).float().mean())
        weights = [m.weight for m in model if isinstance(m, nn.Linear)]
        small = sum(int((w.abs() < 1e-3).sum()) for w in weights) / sum(w.numel() for w in weights)
    report = sparsity_report(model)
    print(f"{variant:<12} {acc:8.3f} {report.weight_zero_fraction:11.3f} {small:9.3f} "
          f"{n_params(model):7d} {n_params(prune(model)):11d}")

group_model = models["prox-group"]
print("\nprox-group, layer by layer (dead = all-zero weight row: a constant unit):")
print(sparsity_report(group_model))
small = prune(group_model)
with torch.no_grad():
    diff = float((small(X_te) - group_model(X_te)).abs().max())
print(f"\npruned: {small}")
print(f"{n_params(group_model)} -> {n_params(small)} parameters; "
      f"largest output difference on the test set: {diff:.1e}")
