"""``python -m loadtui.demo [HOST] [PORT]``: the demo target as its own process.

Prints the bound port alone on stdout's first line (for :func:`start_subprocess`), the
listening URL on stderr, and exits cleanly on SIGINT/SIGTERM.
"""

from __future__ import annotations

import sys

from loadtui.demo.runner import DEFAULT_HOST, run_forever

USAGE = "usage: python -m loadtui.demo [HOST] [PORT]"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 2 or any(a in ("-h", "--help") for a in args):
        print(USAGE, file=sys.stderr)
        return 0 if args and args[0] in ("-h", "--help") else 2
    host = args[0] if args else DEFAULT_HOST
    try:
        port = int(args[1]) if len(args) > 1 else 0
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        print(f"{USAGE}\nbad port: {args[1]!r}", file=sys.stderr)
        return 2
    try:
        run_forever(host, port, announce_port=True)
    except OSError as exc:
        print(f"demo target: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
