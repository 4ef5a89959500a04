"""Secrets for management commands come from a prompt, stdin or the environment, never the command line
(a command line is visible to every user in ``ps`` and stays in shell history)."""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.core.management.base import CommandError


def refuse_on_command_line(options: dict[str, Any], flags: dict[str, str]) -> None:
    """``flags`` maps an option's dest to the way to give it instead."""
    for dest, instead in flags.items():
        if options.get(dest) is not None:
            flag = "--" + dest.replace("_", "-")
            raise CommandError(
                f"{flag} on the command line is refused: it would be visible in `ps` and shell history. "
                f"Give it {instead}."
            )


def read_secrets(names: list[tuple[str, str, str]], *, from_stdin: bool) -> dict[str, str]:
    """``names`` is (key, environment variable, what it is) per secret. With ``from_stdin``, one line each
    from stdin in that order; otherwise the environment variable, else a prompt when stdin is a terminal."""
    values: dict[str, str] = {}
    if from_stdin:
        for key, _, label in names:
            line = sys.stdin.readline().rstrip("\r\n")
            if not line:
                raise CommandError(f"--secret-stdin: no line for the {label} on stdin.")
            values[key] = line
        return values
    for key, variable, label in names:
        value = os.environ.get(variable, "")
        if not value and sys.stdin.isatty():
            value = getpass.getpass(f"{label[0].upper()}{label[1:]}: ")
        if not value:
            raise CommandError(
                f"No {label}: set {variable}, pipe it with --secret-stdin, or run the command in a terminal "
                "to be prompted."
            )
        values[key] = value
    return values
