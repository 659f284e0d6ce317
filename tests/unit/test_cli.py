"""The ``invoiceflow`` command line: every command registers, ``serve`` is ``demo serve``."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from core.cli import COMMAND_MODULES, build_parser


@pytest.mark.parametrize("command", sorted(COMMAND_MODULES))
def test_every_command_registers_on_the_dispatcher(command: str) -> None:
    parser = build_parser([command])
    assert command in parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]


@pytest.mark.parametrize("argv", [["serve"], ["demo", "serve"]])
def test_serve_and_demo_serve_take_the_same_options(argv: list[str]) -> None:
    args = build_parser(argv).parse_args(
        [*argv, "--api-port", "9000", "--without", "worker", "--without", "console"]
    )
    assert (args.api_port, args.console_port, args.without) == (9000, 8501, ["worker", "console"])
    assert callable(args.func)


def test_the_installed_console_script_is_the_same_command_line() -> None:
    script = shutil.which(
        "invoiceflow", path=str(__import__("pathlib").Path(sys.executable).parent)
    )
    assert script is not None, "make install installs the project (pip install -e .)"
    done = subprocess.run([script, "--help"], capture_output=True, text=True, check=True)
    for command in ("extract", "match", "tune", "db", "serve", "worker"):
        assert command in done.stdout
