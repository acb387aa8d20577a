"""Every benchmark in one command, each printing its figures beside its baseline or target
(record them in docs/benchmarks.md with the machine and the date).

    .venv/bin/python bench/all.py            # CI-sized: 1,000 and 5,000 documents
    .venv/bin/python bench/all.py --full     # adds the 20,000-document runs (long)
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="include 20,000 documents")
    args = parser.parse_args()
    sizes = ["1000", "5000"] + (["20000"] if args.full else [])
    runs = [
        ["build.py", "--sizes", *sizes],
        ["publish.py", "--sizes", *sizes, "--rounds", "20"],
        ["api_load.py", "--rounds", "1"],
        ["report.py"],
        ["weights.py"],
    ]
    failed = []
    for run in runs:
        print(f"\n=== bench/{' '.join(run)}", flush=True)
        if subprocess.run([sys.executable, str(BENCH / run[0]), *run[1:]]).returncode:
            failed.append(run[0])
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
