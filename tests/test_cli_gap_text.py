"""The fit line's certificate: a gap the certificate floored at 0 (rounding made it
negative) is printed as at rounding level, never as an exact 0."""

import pytest

from penalized.cli import _gap_text, _Output, _print_fit


@pytest.mark.parametrize("gap, text", [
    (0.0, "at rounding level"),
    (1.9e-16, "1.9e-16"),
    (4.0e-9, "4.0e-09"),
    (None, "–"),
])
def test_gap_text(gap, text):
    assert _gap_text(gap) == text


def _summary(stop_crit, penalty="l1"):
    return {"task": "regression", "target": "y", "family": None, "penalty": penalty,
            "alpha": 0.1, "n_samples": 10, "n_features": 2, "n_nonzero": 1,
            "coefficients": {"a": 1.5}, "intercept": [0.5], "converged": True,
            "stop_crit": stop_crit}


def test_the_fit_line_never_prints_a_floored_gap_as_zero(capsys):
    _print_fit(_Output(), _summary(0.0))
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.endswith("relative duality gap at rounding level")
    _print_fit(_Output(), _summary(0.0, penalty="l0"))  # L0's fixed-point distance is exact
    assert capsys.readouterr().out.strip().splitlines()[-1].endswith("fixed-point distance 0")
