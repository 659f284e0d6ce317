"""Command line: ``invoiceflow <command> ...`` (``python -m core <command>`` is the same).

The top floor of ``core``: every command is a module of this package that registers itself on
the dispatcher below, so this file stays thin: ``extract`` (``core.cli.extract``), ``match`` and
``tune`` (``core.cli.match``), ``db`` and ``serve`` (``core.cli.db``: migrate, seed, the embedded
server, the demo supervisor), ``worker`` (``core.cli.worker``). The benchmarks' contract is
``python -m core extract|match|tune``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from pydantic import ValidationError

# command -> module exposing ``add_parser(subparsers)``; each sets ``func`` on its parser.
COMMAND_MODULES = {
    "extract": "core.cli.extract",
    "match": "core.cli.match",
    "tune": "core.cli.match",
    "db": "core.cli.db",
    "worker": "core.cli.worker",
    "demo": "core.cli.db",
    "serve": "core.cli.db",
}


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="invoiceflow", description="InvoiceFlow command line")
    sub = parser.add_subparsers(dest="command", required=True)
    wanted = argv[0] if argv and argv[0] in COMMAND_MODULES else None
    loaded: set[str] = set()
    for command, module_name in COMMAND_MODULES.items():
        # Only import the module the user asked for (startup time matters for batch scripts);
        # with no valid command, import them all so --help lists everything.
        if wanted is not None and command != wanted:
            continue
        if module_name in loaded:
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("core."):
                continue  # sub-command not built yet
            raise
        module.add_parser(sub)
        loaded.add(module_name)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValidationError as exc:
        if exc.title != "Settings":
            raise
        # The environment was refused (placeholder secret, missing key...): say which setting,
        # without a traceback, so a failing container's last log line is the fix.
        for error in exc.errors():
            print(
                f"configuration error: {error['msg'].removeprefix('Value error, ')}",
                file=sys.stderr,
            )
        return 2
