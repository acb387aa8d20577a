"""Every benchmark in one command, each printing its figures beside its baseline or target
(record them in docs/benchmarks.md with the machine and the date).

    .venv/bin/python bench/all.py            # 1,000 and 5,000 documents
    .venv/bin/python bench/all.py --full     # adds the 20,000-document runs (long)
    .venv/bin/python bench/all.py --ci       # small and quick, for every CI run
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
    parser.add_argument("--ci", action="store_true", help="1,000 documents, short runs")
    args = parser.parse_args()
    sizes = ["1000"] if args.ci else ["1000", "5000"] + (["20000"] if args.full else [])
    runs = [
        ["build.py", "--sizes", *sizes, "--scenarios", "cold", "edit"] if args.ci
        else ["build.py", "--sizes", *sizes],
        ["publish.py", "--sizes", *sizes, "--rounds", "10" if args.ci else "20"],
        ["api_load.py", "--rounds", "1", "--duration", "5", "--synchronous", "FULL",
         "--profile", "never"] if args.ci else ["api_load.py", "--rounds", "1"],
        ["report.py", "--proposals", "500"] if args.ci else ["report.py"],
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
