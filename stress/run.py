"""Entry point of ``nox -s stress``: the load run, the fault run, or both.

    python stress/run.py                      # load: 200 clients, 60 s
    python stress/run.py load --quick         # load: 10 s
    python stress/run.py faults               # killed backends and a restart under load
    python stress/run.py all --quick          # both, the load run for 10 s

Exits non-zero when any run does.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stress import faults, load


def main(argv: list[str]) -> int:
    what, rest = (argv[0], argv[1:]) if argv and not argv[0].startswith("-") else ("load", argv)
    if what == "load":
        return load.main(rest)
    if what == "faults":
        return faults.main(rest)
    if what == "all":
        return max(load.main(rest), faults.main([]))
    print(f"unknown run {what!r}: load, faults or all", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
