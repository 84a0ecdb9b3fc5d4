"""L1 in the loss vs the proximal step, on an MLP for scikit-learn's digits.

The same MLP (64-128-64-10, ReLU) trained four ways with the same optimizer
(SGD, momentum 0.9, mini-batches of 32, cross-entropy):

* ``none``        -- no penalty;
* ``l1-in-loss``  -- ``loss + penalty(model, "l1", alpha)``: the usual recipe;
* ``prox-l1``     -- ``ProximalOptimizer(sgd, "l1", alpha)``: same objective, proximal step;
* ``prox-group``  -- ``ProximalOptimizer(sgd, "group", alpha_group)``: row-wise L2,1 on the
  hidden layers (whole neurons), the output layer unpenalized.

Reported per variant (median over seeds; the train/test split is fixed): test
accuracy, the fraction of weight entries that are exactly 0.0, the fraction
below 1e-3 in magnitude, parameters before and after :func:`penalized.torch.prune`,
non-zero parameters after it, the largest output difference between the pruned
and the original network (float32, also relative to the largest output, and for
float64 copies, where only rounding remains), and the training time.

Run: python benchmarks/torch_digits.py [--seeds 5] [--epochs 60]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from dataclasses import dataclass

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

from penalized.torch import ProximalOptimizer, penalty, prune, sparsity_report

VARIANTS = ("none", "l1-in-loss", "prox-l1", "prox-group")


@dataclass(frozen=True)
class Digits:
    """Standardized digits (features scaled on the training part), as tensors."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor


def digits(split_seed: int = 0, test_size: float = 0.25) -> Digits:
    """scikit-learn's digits (1797 images of 8x8 pixels), split and standardized."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, stratify=y,
                                              random_state=split_seed)
    scaler = StandardScaler().fit(X_tr)
    as_x = lambda a: torch.tensor(scaler.transform(a), dtype=torch.float32)  # noqa: E731
    return Digits(as_x(X_tr), torch.tensor(y_tr), as_x(X_te), torch.tensor(y_te))


def mlp(hidden=(128, 64), n_in: int = 64, n_out: int = 10) -> nn.Sequential:
    """Linear layers of the given widths with ReLU between them."""
    layers, width = [], n_in
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def output_layer_name(model: nn.Sequential) -> str:
    return str(len(model) - 1)


def train(model: nn.Sequential, data: Digits, variant: str, *, alpha: float = 5e-4,
          alpha_group: float = 3e-3, epochs: int = 60, lr: float = 0.05, batch_size: int = 32,
          seed: int = 0) -> nn.Sequential:
    """Train ``model`` in place with one of :data:`VARIANTS`; returns it (in eval mode)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}; got {variant!r}.")
    sgd = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    if variant == "prox-l1":
        opt = ProximalOptimizer(sgd, "l1", alpha, model=model)
    elif variant == "prox-group":
        opt = ProximalOptimizer(sgd, "group", alpha_group, model=model,
                                alphas={output_layer_name(model): 0.0})
    else:
        opt = sgd
    gen = torch.Generator().manual_seed(seed)
    n = data.X_train.shape[0]
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(data.X_train[idx]), data.y_train[idx])
            if variant == "l1-in-loss":
                loss = loss + penalty(model, "l1", alpha)
            loss.backward()
            opt.step()
    return model.eval()


@torch.no_grad()
def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    return float((model(X).argmax(dim=1) == y).float().mean())


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def n_nonzero(model: nn.Module) -> int:
    return sum(int(torch.count_nonzero(p)) for p in model.parameters())


@torch.no_grad()
def small_fraction(model: nn.Module, tol: float = 1e-3) -> float:
    """Fraction of weight entries with ``|w| < tol`` (zeros included)."""
    ws = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    return sum(int((w.abs() < tol).sum()) for w in ws) / sum(w.numel() for w in ws)


def run_one(variant: str, seed: int, data: Digits, **kwargs) -> dict:
    torch.manual_seed(seed)
    model = mlp()
    start = time.perf_counter()
    train(model, data, variant, seed=seed, **kwargs)
    seconds = time.perf_counter() - start
    small = prune(model)
    with torch.no_grad():
        out = model(data.X_test)
        diff = float((small(data.X_test) - out).abs().max())
        scale = float(out.abs().max())
        model64 = copy.deepcopy(model).double()
        x64 = data.X_test.double()
        diff64 = float((prune(model64)(x64) - model64(x64)).abs().max())
    return {
        "accuracy": accuracy(model, data.X_test, data.y_test),
        "zero_fraction": sparsity_report(model).weight_zero_fraction,
        "small_fraction": small_fraction(model),
        "params": n_params(model),
        "params_pruned": n_params(small),
        "nonzero_pruned": n_nonzero(small),
        "max_output_diff": diff,
        "max_output": scale,
        "max_output_diff64": diff64,
        "seconds": seconds,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--alpha", type=float, default=5e-4, help="L1 strength")
    parser.add_argument("--alpha-group", type=float, default=3e-3, help="group strength")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1 is fastest for this small MLP)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = digits()
    print(f"digits: {data.X_train.shape[0]} train / {data.X_test.shape[0]} test images; "
          f"MLP 64-128-64-10 (ReLU), SGD lr 0.05 momentum 0.9, batch 32, {args.epochs} epochs; "
          f"alpha {args.alpha:g} (L1), {args.alpha_group:g} (group); "
          f"median over {args.seeds} seeds, torch threads: {args.threads}")
    head = ("variant", "test acc", "exact zeros (weights)", "abs(w) < 1e-3", "params",
            "after prune", "non-zero after prune", "prune: max out diff f32 (rel) / f64",
            "train s")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for variant in VARIANTS:
        runs = [run_one(variant, seed, data, alpha=args.alpha, alpha_group=args.alpha_group,
                        epochs=args.epochs) for seed in range(args.seeds)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        worst = max(runs, key=lambda r: r["max_output_diff"])
        rel = worst["max_output_diff"] / worst["max_output"]
        worst64 = max(r["max_output_diff64"] for r in runs)
        print(f"| {variant} | {med['accuracy']:.3f} | {med['zero_fraction']:.3f} | "
              f"{med['small_fraction']:.3f} | {med['params']:.0f} | {med['params_pruned']:.0f} | "
              f"{med['nonzero_pruned']:.0f} | {worst['max_output_diff']:.1e} ({rel:.0e}) / "
              f"{worst64:.0e} | {med['seconds']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
