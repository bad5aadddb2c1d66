import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import instructions

PROGRAM = """
import os
def work(n):
    total = 0
    for i in range(n):
        total += i
os.getloadavg(); work(1_000); os.getloadavg(); work(100_000); os.getloadavg()
"""


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind")
def test_each_mark_closes_a_count(tmp_path: Path):
    out = tmp_path / "cg.out"
    subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--dump-before={instructions.MARK}*",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-c",
            PROGRAM,
        ],
        check=True,
        capture_output=True,
    )
    small = instructions._summary(Path(f"{out}.2"))
    large = instructions._summary(Path(f"{out}.3"))
    # The loops' counts, between the marks: a hundred times the work, about a hundred times
    # the instructions (each iteration costs the same).
    assert 50 < large / small < 150
