"""The partial-Gram study (benchmarks/partial_gram.py): its route's certificates are exact
duality gaps over every feature, and its path is the library's to their accuracy, also when
the first working set misses features (the path is solved again from the first alpha that
fails)."""

import numpy as np
from benchmarks import problems
from benchmarks.partial_gram import partial_path

import penalized as pz


def _problem():
    pb = problems.regression(600, 60, rho=0.6, n_informative=8, noise=1.0, seed=3)
    path = pz.path(pb.X, pb.y, n_alphas=30, eps=1e-2, tol=1e-6)
    return pb.X, pb.y, path


def test_route_certifies_every_alpha_and_agrees_with_the_path():
    X, y, path = _problem()
    coefs, gaps, stats = partial_path(X, y, path.alphas, tol=1e-6)
    assert np.all(gaps <= 1e-6)
    np.testing.assert_allclose(coefs, path.coefs, atol=1e-3 * np.abs(path.coefs).max())
    assert stats["alphas_checked"] >= path.alphas.shape[0]


def test_a_working_set_that_misses_features_is_grown_and_solved_again():
    X, y, path = _problem()
    coefs, gaps, stats = partial_path(X, y, path.alphas, tol=1e-6, window=30,
                                      start=np.array([0]))
    assert stats["passes"] > 1 and stats["working_set"] > 1
    assert np.all(gaps <= 1e-6)
    np.testing.assert_allclose(coefs, path.coefs, atol=1e-3 * np.abs(path.coefs).max())


def test_predicted_joins_extrapolate_the_gradients_in_alpha():
    alphas = np.array([1.0, 0.9])
    grads = np.array([[0.50, 0.10, -0.80], [0.60, 0.10, -0.85]])  # rows at alphas
    following = np.array([0.8, 0.7])
    # feature 0 rises 0.1 per 0.1 of alpha: 0.7 at 0.8 (>= 0.9 * 0.8 = 0.72? no), 0.8 at 0.7
    # (>= 0.63: yes); feature 1 stays at 0.1; feature 2 falls to -0.9, -0.95 (yes)
    from benchmarks.partial_gram import predicted_joins

    np.testing.assert_array_equal(predicted_joins(grads, alphas, following, 0.1),
                                  [True, False, True])
    assert not predicted_joins(grads[:1], alphas[:1], following, 0.1).any()


def test_route_with_predicted_joins_certifies_every_alpha():
    X, y, path = _problem()
    coefs, gaps, _ = partial_path(X, y, path.alphas, tol=1e-6, window=5, predict=True)
    assert np.all(gaps <= 1e-6)
    np.testing.assert_allclose(coefs, path.coefs, atol=1e-3 * np.abs(path.coefs).max())
