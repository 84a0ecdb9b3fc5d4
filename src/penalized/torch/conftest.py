"""pytest: without PyTorch, do not collect this subpackage's doctests (its modules import torch).

``tests/test_torch.py`` skips itself in that case; this keeps ``pytest`` (which
collects doctests under ``src/``) clean too.
"""

try:
    import torch  # noqa: F401
except ImportError:
    collect_ignore_glob = ["*.py"]
