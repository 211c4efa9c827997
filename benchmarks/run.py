"""Run every benchmark on one network lab and print the tables (needs root)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the package `benchmarks` and the lab

from lab import Lab  # noqa: E402

from benchmarks import ping_rtt  # noqa: E402


def main() -> None:
    with Lab.build() as lab:
        ping_rtt.bench(lab).print()


if __name__ == "__main__":
    main()
