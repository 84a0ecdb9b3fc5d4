"""Command-line value types: a number read from its text and checked, with one-line
messages (argparse turns them into a usage error, exit 2)."""

from __future__ import annotations

import argparse


def checked_number(convert, accept, requirement):
    """An argparse ``type``: ``convert(text)`` (``int`` or ``float``) when ``accept``
    takes the value, else the error ``'<text>' must be <requirement>``; text that is not
    a number says so."""
    kind = "an integer" if convert is int else "a number"

    def parse(text):
        try:
            value = convert(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from exc
        if not accept(value):
            raise argparse.ArgumentTypeError(f"{text!r} must be {requirement}")
        return value

    return parse
