"""Full-build benchmark: Ashyq (Pelican) against Hugo on the same synthetic passports.

For each size N the script writes N synthetic passports in kk and ru (bench/synthetic.py) into
a temporary folder, once as an Ashyq content tree and once as a Hugo site (bench/hugo/ plus the
same Markdown bodies with YAML front matter), then times, each in its own child process:

* a cold Ashyq build: ``generator.build.build`` with a fresh cache directory;
* a warm Ashyq rebuild: the same build again, reusing that cache directory;
* ``hugo --quiet -d OUT`` with a fresh ``--cacheDir`` (skipped when ``hugo`` is not installed).

Wall time is measured around each child; peak memory is the child's own ``ru_maxrss`` from
``os.wait4`` (per child, not the running maximum of ``RUSAGE_CHILDREN``). Pages are the
``*.html`` files in the output. The targets (docs/benchmarks.md, TARGETS.md) are a cold build
within 1.5x Hugo's wall time and at most 1 GB peak.

    .venv/bin/python bench/build.py --sizes 1000 5000 20000 --out-json var/bench-build.json
"""
from __future__ import annotations

import argparse
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
HUGO_SKELETON = BENCH_DIR / "hugo"
sys.path.insert(0, str(BENCH_DIR))

from synthetic import BENCH_TODAY, write_hugo_content, write_synthetic_content  # noqa: E402

SITE_URL = "https://budget.example"

# Runs in the child: one Ashyq build, optionally under cProfile; prints the BuildResult as JSON.
ASHYQ_CHILD = r"""
import datetime as dt, json, logging, sys
from pathlib import Path
root, content, out, cache, today, site_url, profile = sys.argv[1:8]
sys.path.insert(0, root)
logging.basicConfig(level=logging.WARNING)
from generator.build import build

def run():
    return build(Path(content), Path(out), cache_dir=Path(cache),
                 today=dt.date.fromisoformat(today), site_url=site_url)

if profile:
    import cProfile
    prof = cProfile.Profile()
    result = prof.runcall(run)
    prof.dump_stats(profile)
else:
    result = run()
print(json.dumps({"pages": result.pages, "documents": result.documents,
                  "seconds": result.seconds}))
"""


@dataclass
class Measure:
    """One child process: wall seconds, its own peak RSS, what it printed."""

    seconds: float
    peak_mb: float
    stdout: str


@dataclass
class Row:
    n: int
    content_mb: float
    generate_seconds: float
    ashyq_pages: int | None = None
    ashyq_seconds: float | None = None
    ashyq_peak_mb: float | None = None
    ashyq_warm_seconds: float | None = None
    ashyq_warm_peak_mb: float | None = None
    hugo_pages: int | None = None
    hugo_seconds: float | None = None
    hugo_peak_mb: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.ashyq_seconds is None or not self.hugo_seconds:
            return None
        return self.ashyq_seconds / self.hugo_seconds


def run_child(cmd: list[str], cwd: Path, log: Path) -> Measure:
    """Run ``cmd``, wait for it with ``os.wait4`` and return its wall time and peak RSS."""
    with open(log, "w+b") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])}... failed ({proc.returncode}):\n{text[-3000:]}")
    return Measure(seconds, usage.ru_maxrss / 1024, text)  # ru_maxrss is in KiB on Linux


def ashyq_build(content: Path, out: Path, cache: Path, log: Path, profile: Path | None = None) -> tuple[Measure, dict]:
    cmd = [sys.executable, "-c", ASHYQ_CHILD, str(PROJECT_ROOT), str(content), str(out),
           str(cache), BENCH_TODAY.isoformat(), SITE_URL, str(profile or "")]
    measure = run_child(cmd, PROJECT_ROOT, log)
    return measure, json.loads(measure.stdout.strip().splitlines()[-1])


def hugo_build(site: Path, out: Path, cache: Path, log: Path) -> Measure:
    return run_child(["hugo", "--quiet", "-s", str(site), "-d", str(out), "--cacheDir", str(cache)],
                     site, log)


def count_pages(out: Path) -> int:
    return sum(1 for _ in Path(out).resolve().rglob("*.html"))


def tree_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def bench_size(n: int, work: Path, seed: int, *, ashyq: bool, warm: bool, hugo: bool) -> Row:
    started = time.perf_counter()
    content = work / "ashyq-content"
    if ashyq:
        write_synthetic_content(content, n, seed)
    site = work / "hugo-site"
    if hugo:
        shutil.copytree(HUGO_SKELETON, site)
        write_hugo_content(site, n, seed, BENCH_TODAY)
    generated = time.perf_counter() - started
    size = tree_mb(content if ashyq else site / "content")
    print(f"N={n}: content written in {generated:.1f} s ({size:.0f} MB per site)", flush=True)
    row = Row(n, size, generated)

    if ashyq:
        cache, out = work / "ashyq-cache", work / "ashyq-out"
        cold, result = ashyq_build(content, out, cache, work / "ashyq-cold.log")
        row.ashyq_pages, row.ashyq_seconds, row.ashyq_peak_mb = (
            count_pages(out), cold.seconds, cold.peak_mb)
        print(f"  ashyq cold: {cold.seconds:.1f} s, {cold.peak_mb:.0f} MB, {row.ashyq_pages} pages "
              f"(build() says {result['pages']} pages in {result['seconds']:.1f} s)", flush=True)
        if warm:
            again, _ = ashyq_build(content, out, cache, work / "ashyq-warm.log")
            row.ashyq_warm_seconds, row.ashyq_warm_peak_mb = again.seconds, again.peak_mb
            print(f"  ashyq warm: {again.seconds:.1f} s, {again.peak_mb:.0f} MB", flush=True)
        out.unlink(missing_ok=True)  # the output is a symbolic link into .ashyq-out.builds/
        shutil.rmtree(work / ".ashyq-out.builds", ignore_errors=True)
    if hugo:
        hugo_out = work / "hugo-out"
        measure = hugo_build(site, hugo_out, work / "hugo-cache", work / "hugo.log")
        row.hugo_pages, row.hugo_seconds, row.hugo_peak_mb = (
            count_pages(hugo_out), measure.seconds, measure.peak_mb)
        print(f"  hugo: {measure.seconds:.1f} s, {measure.peak_mb:.0f} MB, "
              f"{row.hugo_pages} pages", flush=True)
    return row


def profile_build(n: int, work: Path, seed: int, top: int) -> str:
    """A cold Ashyq build of ``n`` passports under cProfile; the top functions by cumulative time."""
    content = work / "profile-content"
    write_synthetic_content(content, n, seed)
    stats_file = work / "build.prof"
    ashyq_build(content, work / "profile-out", work / "profile-cache", work / "profile.log",
                profile=stats_file)
    buf = io.StringIO()
    pstats.Stats(str(stats_file), stream=buf).sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


def fmt(value, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def table(rows: list[Row]) -> str:
    head = ("| N passports | pages (Ashyq / Hugo) | Ashyq cold s | Ashyq peak MB | Ashyq warm s "
            "| Hugo s | Hugo peak MB | Ashyq / Hugo time |\n"
            "|---:|---:|---:|---:|---:|---:|---:|---:|\n")
    return head + "".join(
        f"| {r.n:,} | {fmt(r.ashyq_pages, ',')} / {fmt(r.hugo_pages, ',')} "
        f"| {fmt(r.ashyq_seconds, '.1f')} | {fmt(r.ashyq_peak_mb, '.0f')} "
        f"| {fmt(r.ashyq_warm_seconds, '.1f')} | {fmt(r.hugo_seconds, '.1f')} "
        f"| {fmt(r.hugo_peak_mb, '.0f')} | {fmt(r.ratio, '.2f')}{'×' if r.ratio else ''} |\n"
        for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000],
                        help="numbers of passports to build (each in kk and ru)")
    parser.add_argument("--hugo", action=argparse.BooleanOptionalAction, default=True,
                        help="also time the Hugo baseline (default: yes, when hugo is installed)")
    parser.add_argument("--ashyq", action=argparse.BooleanOptionalAction, default=True,
                        help="time the Ashyq build (--no-ashyq: the Hugo baseline only)")
    parser.add_argument("--warm", action=argparse.BooleanOptionalAction, default=True,
                        help="also time a warm rebuild reusing the cold build's cache")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out-json", type=Path, help="write the figures here as JSON")
    parser.add_argument("--workdir", type=Path, help="parent of the temporary folders")
    parser.add_argument("--profile", type=int, metavar="N",
                        help="also profile one cold build of N passports (cProfile)")
    parser.add_argument("--profile-top", type=int, default=25)
    args = parser.parse_args(argv)

    hugo = args.hugo
    if hugo and shutil.which("hugo") is None:
        print("hugo is not installed (apt-get install hugo): skipping the Hugo column", flush=True)
        hugo = False
    if hugo:
        version = subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.strip()
        print(f"baseline: {version}", flush=True)

    rows = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"ashyq-bench-{n}-", dir=args.workdir) as tmp:
            rows.append(bench_size(n, Path(tmp), args.seed, ashyq=args.ashyq,
                                   warm=args.warm, hugo=hugo))
    print()
    print(table(rows))
    profile = None
    if args.profile:
        with tempfile.TemporaryDirectory(prefix="ashyq-profile-", dir=args.workdir) as tmp:
            profile = profile_build(args.profile, Path(tmp), args.seed, args.profile_top)
        print(profile)
    if args.out_json:
        args.out_json.parent.mkdir(parents=True, exist_ok=True)
        args.out_json.write_text(json.dumps(
            {"today": BENCH_TODAY.isoformat(), "seed": args.seed,
             "rows": [asdict(r) | {"ratio": r.ratio} for r in rows]}, indent=2) + "\n",
            encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
