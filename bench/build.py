"""Build benchmark: Ashyq (Pelican) against Hugo on the same synthetic passports (issue 10).

For each size N the script writes N synthetic passports in kk and ru (bench/synthetic.py) into
a temporary folder, once as an Ashyq content tree and once as a Hugo site (bench/hugo/ plus the
same Markdown bodies with YAML front matter), then runs, each build in its own child process,
these scenarios one after the other on the same output:

* ``cold``: ``generator.build.build`` with an empty cache and no previous site (the search
  index is made before the swap);
* ``nothing``: the same content again;
* ``edit``: one passport's kk and ru text changed;
* ``add``: one passport added;
* ``edit-again``: another passport's text changed (from the third build on, a build recycles
  the oldest kept build directory: the steady state of an editor's day);
* ``day``: the next day (statuses change);

and, before them, ``hugo --quiet -d OUT`` with a fresh ``--cacheDir`` (skipped when ``hugo``
is missing). The folders stay until the whole run is over (deleting them slows the next
build's new files on this machine's file system: ``bench_size``).

Wall time is measured around each child (the site is swapped in when it exits). The incremental
scenarios re-index the search in a detached background process; its lag (child exit to the
new index linked) is printed too. Peak memory is the peak of the *sum* over the process tree -
the child, its render processes, Pagefind, and the detached indexer - sampled every 50 ms from
``/proc``: RSS (shared pages counted in every process) and PSS (shared pages split).

    .venv/bin/python bench/build.py --sizes 1000 5000 20000 --out-json var/bench-build.json
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
HUGO_SKELETON = BENCH_DIR / "hugo"
sys.path.insert(0, str(BENCH_DIR))

from synthetic import (  # noqa: E402
    BENCH_TODAY, write_hugo_content, write_synthetic_content,
)

SITE_URL = "https://budget.example"
SCENARIOS = ("cold", "nothing", "edit", "add", "edit-again", "day")

# Runs in the child: one Ashyq build; prints the BuildResult as JSON.
ASHYQ_CHILD = r"""
import datetime as dt, json, logging, sys
from pathlib import Path
root, content, out, cache, today, site_url = sys.argv[1:7]
sys.path.insert(0, root)
logging.basicConfig(level=logging.WARNING)
from generator.build import build
result = build(Path(content), Path(out), cache_dir=Path(cache),
               today=dt.date.fromisoformat(today), site_url=site_url)
print(json.dumps({"pages": result.pages, "documents": result.documents,
                  "rendered": result.rendered, "carried": result.carried,
                  "swapped_at": result.swapped_at, "build_dir": str(result.build_dir)}))
"""


@dataclass
class Measure:
    """One child process: wall seconds, peak summed RSS and PSS of its tree, its output."""

    seconds: float
    rss_mb: float
    pss_mb: float
    stdout: str
    cpu: float  # user + system seconds of the child and the processes it waited for


@dataclass
class Scenario:
    name: str
    seconds: float
    rss_mb: float
    pss_mb: float
    rendered: int | None = None
    carried: int | None = None
    search_lag: float | None = None  # seconds from the swap to the new search index
    cpu: float | None = None  # CPU seconds (the detached search indexer not included)
    swapped: float | None = None  # seconds from the start until the new site was swapped in


@dataclass
class Row:
    n: int
    content_mb: float
    pages: int | None = None
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    hugo_pages: int | None = None
    hugo: Scenario | None = None

    @property
    def ratio(self) -> float | None:
        """The cold build's time to its swap (the site served) over Hugo's wall time."""
        cold = self.scenarios.get("cold")
        if not cold or not self.hugo:
            return None
        return (cold.swapped if cold.swapped is not None else cold.seconds) / self.hugo.seconds


def _kib(path: str, field_name: str) -> int:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(field_name):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pids(root: int, marker: str) -> set[int]:
    """``root`` and its living descendants, and any process whose command line holds
    ``marker`` (the detached search indexer). A process that has ended but is not yet reaped
    (a zombie: its memory is already gone) is not one of them, so a process ending while
    the tree is read is seen to end (:class:`TreeMemory`)."""
    parents, found = {}, {root}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                state, parent = f.read().rsplit(")", 1)[1].split()[:2]
            if state in ("Z", "X"):
                continue
            parents[int(entry)] = int(parent)
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.add(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.add(pid)
                grew = True
    return found


class TreeMemory(threading.Thread):
    """Samples the summed RSS and PSS of a process tree until stopped; keeps the peaks.

    Reading ``smaps_rollup`` walks a process's page tables: at 20,000 documents a few
    milliseconds a process, every 50 ms, for the build's two or three processes - a quarter
    to a half of a core taken from the build it measures (an add at 20,000 swapped in
    0.4-1.1 s later with the sampler than without). So the sampler runs at the lowest
    priority (nice 19): it reads when a core is free, and the build it measures keeps both
    cores (its peaks were the same: 1,024-1,082 MB against 1,008-1,100 MB, three adds each).
    """

    def __init__(self, pid: int, marker: str, every: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.marker, self.every = pid, marker, every
        self.rss = self.pss = 0
        self.skipped = 0  # samples read while the tree changed
        self.done = threading.Event()

    def run(self) -> None:
        try:  # this thread only (Linux: a thread's own nice value)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except (OSError, AttributeError):
            pass
        while not self.done.is_set():
            rss = pss = 0
            pids = tree_pids(self.pid, self.marker)
            for pid in pids:
                rss += _kib(f"/proc/{pid}/status", "VmRSS:")
                pss += _kib(f"/proc/{pid}/smaps_rollup", "Pss:")
            # A process that starts or ends while the tree is read changes how the pages
            # shared with it are split (PSS): the processes read before and after it are
            # summed on different splits, a shared page counted up to twice (a cold build
            # forks and reaps a render process every second). Such a sample is not kept.
            if tree_pids(self.pid, self.marker) == pids:
                self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)
            else:
                self.skipped += 1
            self.done.wait(self.every)


def run_child(cmd: list[str], cwd: Path, log: Path, marker: str,
              until=None) -> Measure:
    """Run ``cmd``; its wall time, and the peak memory of its tree (sampled also while
    ``until()`` is false after it exits: the background indexer)."""
    with open(log, "w+b") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeMemory(proc.pid, marker)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)  # usage: the child and what it waited for
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        sampler.done.set()
        raise SystemExit(f"{' '.join(cmd[:3])}... failed ({proc.returncode}):\n{text[-3000:]}")
    while until is not None and not until(text):
        time.sleep(0.05)
    sampler.done.set()
    sampler.join()
    if sampler.skipped:
        print(f"    ({sampler.skipped} memory samples read while processes started or ended: "
              "not kept)", flush=True)
    return Measure(seconds, sampler.rss / 1024, sampler.pss / 1024, text,
                   usage.ru_utime + usage.ru_stime)


def ashyq_build(content: Path, out: Path, cache: Path, log: Path, today: dt.date,
                work: Path) -> Scenario:
    cmd = [sys.executable, "-c", ASHYQ_CHILD, str(PROJECT_ROOT), str(content), str(out),
           str(cache), today.isoformat(), SITE_URL]
    indexed: dict[str, float] = {}

    def search_done(text: str) -> bool:
        build_dir = Path(json.loads(text.strip().splitlines()[-1])["build_dir"])
        if (build_dir.parent / f"search-{build_dir.name}.pending").exists():
            return False
        # when the index was linked (the link is made in one rename: its time is that of the
        # rename), which may be before the child ended - even before its swap
        link = build_dir / "pagefind"
        indexed.setdefault("at", link.lstat().st_mtime if link.is_symlink() else time.time())
        return True
    started_epoch = time.time()
    measure = run_child(cmd, PROJECT_ROOT, log, str(work), until=search_done)
    result = json.loads(measure.stdout.strip().splitlines()[-1])
    swapped = result["swapped_at"] - started_epoch if result["swapped_at"] else None
    # from the swap (the pages served) to the index linked; from the child's end if no swap
    lag = indexed["at"] - started_epoch - (swapped if swapped is not None else measure.seconds)
    return Scenario(log.stem, measure.seconds, measure.rss_mb, measure.pss_mb,
                    result["rendered"], result["carried"], max(0.0, lag), measure.cpu, swapped)


def edit_one(content: Path, which: int = 0) -> None:
    """Change the text of a passport (the first, or another) in both languages."""
    folder = sorted((content / "discussions").iterdir())[which]
    for path in sorted(folder.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        head, _, body = text.partition("\n\n")
        new = "Өзгертілген мәтін." if path.name.endswith(".kk.md") else "Изменённый текст."
        path.write_text(head + "\n\n" + new + "\n\n" + body, encoding="utf-8")


DROP_CACHES = Path("/proc/sys/vm/drop_caches")


def drop_caches(allowed: bool) -> bool:
    """Write the page cache back and drop it (root only), so that each cold build, Hugo's and
    Ashyq's, reads its content from the disk and allocates its memory anew, as after a reboot:
    Hugo at 20,000 after the 5,000 scenarios, the cache full, took 74 s (42-47 s alone)."""
    os.sync()
    if not allowed:
        return False
    try:
        DROP_CACHES.write_text("3\n", encoding="ascii")
    except OSError:
        return False
    time.sleep(2)  # (the memory handed back settles)
    return True


def count_pages(out: Path) -> int:
    return sum(1 for _ in Path(out).resolve().rglob("*.html"))


def tree_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def bench_size(n: int, work: Path, seed: int, *, scenarios: tuple[str, ...],
               hugo: bool, drop: bool = False) -> Row:
    content = work / "ashyq-content"
    write_synthetic_content(content, n, seed)
    row = Row(n, tree_mb(content))
    print(f"N={n}: {row.content_mb:.0f} MB of content", flush=True)
    # Hugo first, and nothing deleted until the whole run is over (main): on a file system
    # without a journal (this machine's ext4) every new file or folder is slow for a minute
    # or more after many are deleted (ext4 skips the inodes freed in that time, looking each
    # one up), so a build measured after the previous size's folders were removed paid for
    # the benchmark's own cleanup - Ashyq's cold build at 20,000 more than Hugo's.
    if hugo:
        site = work / "hugo-site"
        shutil.copytree(HUGO_SKELETON, site)
        write_hugo_content(site, n, seed, BENCH_TODAY)
        hugo_out = work / "hugo-out"
        dropped = drop_caches(drop)
        measure = run_child(["hugo", "--quiet", "-s", str(site), "-d", str(hugo_out),
                             "--cacheDir", str(work / "hugo-cache")], site, work / "hugo.log",
                            str(work / "hugo-"))
        row.hugo = Scenario("hugo", measure.seconds, measure.rss_mb, measure.pss_mb,
                            cpu=measure.cpu)
        row.hugo_pages = count_pages(hugo_out)
        print(f"  hugo: {measure.seconds:.1f} s ({measure.cpu:.1f} s CPU), peak {measure.rss_mb:.0f} MB RSS / "
              f"{measure.pss_mb:.0f} MB PSS, {row.hugo_pages} pages"
              f"{' (page cache dropped before)' if dropped else ''}", flush=True)
    cache, out = work / "ashyq-cache", work / "ashyq-out"
    today = BENCH_TODAY
    for name in ("cold", *[s for s in SCENARIOS[1:] if s in scenarios]):
        if name == "edit":
            edit_one(content)
        elif name == "edit-again":  # a third build on: the oldest kept build is recycled
            edit_one(content, 1)
        elif name == "add":
            write_synthetic_content(content, n + 1, seed, only=n + 1)
        elif name == "day":
            today = BENCH_TODAY + dt.timedelta(days=1)
        dropped = drop_caches(drop) if name == "cold" else False
        scenario = ashyq_build(content, out, cache, work / f"{name}.log", today, work)
        row.scenarios[name] = scenario
        if name == "cold":
            row.pages = count_pages(out)
        swap = "no new site" if scenario.swapped is None else f"swapped in at {scenario.swapped:.1f} s"
        print(f"  ashyq {name}: {scenario.seconds:.1f} s ({swap}; {scenario.cpu:.1f} s CPU), peak {scenario.rss_mb:.0f} MB RSS / "
              f"{scenario.pss_mb:.0f} MB PSS, {scenario.rendered} rendered, "
              f"{scenario.carried} carried; search index {scenario.search_lag:.1f} s later"
              f"{' (page cache dropped before)' if dropped else ''}", flush=True)
    return row


def fmt(value, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def table(rows: list[Row]) -> str:
    head = ("| N | scenario | Ashyq s: wall / swapped in (CPU) | rendered / carried "
            "| peak MB RSS / PSS (tree) | search index after the swap s | Hugo cold s (CPU s) "
            "| Hugo peak MB | Ashyq swapped in / Hugo |\n"
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|\n")
    lines = []
    for r in rows:
        for name, s in r.scenarios.items():
            cold = name == "cold"
            lines.append(
                f"| {r.n:,} | {name} | {s.seconds:.1f} / {fmt(s.swapped, '.1f')} "
                f"({fmt(s.cpu, '.1f')}) "
                f"| {fmt(s.rendered, ',')} / "
                f"{fmt(s.carried, ',')} | {s.rss_mb:.0f} / {s.pss_mb:.0f} "
                f"| {fmt(s.search_lag, '.1f')} "
                f"| {fmt(r.hugo.seconds if cold and r.hugo else None, '.1f')} "
                f"({fmt(r.hugo.cpu if cold and r.hugo else None, '.1f')}) "
                f"| {fmt(r.hugo.rss_mb if cold and r.hugo else None, '.0f')} "
                f"| {fmt(r.ratio if cold else None, '.2f')} |\n")
    return head + "".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000],
                        help="numbers of passports to build (each in kk and ru)")
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    parser.add_argument("--hugo", action=argparse.BooleanOptionalAction, default=True,
                        help="also time the Hugo baseline (default: yes, when hugo is installed)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--drop-caches", action=argparse.BooleanOptionalAction, default=True,
                        help="drop the page cache before each cold build, Hugo's and Ashyq's "
                        "(default: yes, where allowed: root)")
    parser.add_argument("--out-json", type=Path, help="write the figures here as JSON")
    parser.add_argument("--workdir", type=Path, help="parent of the temporary folders")
    args = parser.parse_args(argv)

    hugo = args.hugo and shutil.which("hugo") is not None
    if hugo:
        version = subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.strip()
        print(f"baseline: {version}", flush=True)
    print(f"load average before: {os.getloadavg()}", flush=True)
    rows = []
    with contextlib.ExitStack() as folders:  # removed at the end (see bench_size)
        for n in args.sizes:
            tmp = folders.enter_context(tempfile.TemporaryDirectory(
                prefix=f"ashyq-bench-{n}-", dir=args.workdir))
            rows.append(bench_size(n, Path(tmp), args.seed, scenarios=tuple(args.scenarios),
                                   hugo=hugo, drop=args.drop_caches))
    print(f"load average after: {os.getloadavg()}\n")
    print(table(rows))
    if args.out_json:
        args.out_json.parent.mkdir(parents=True, exist_ok=True)
        args.out_json.write_text(json.dumps(
            {"today": BENCH_TODAY.isoformat(), "seed": args.seed, "load": os.getloadavg(),
             "rows": [asdict(r) | {"ratio": r.ratio} for r in rows]}, indent=2) + "\n",
            encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
