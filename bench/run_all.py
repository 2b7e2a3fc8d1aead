"""Run every benchmark, then list every figure with its ratio, target and OK/MISSED. Exits 0.

`python bench/run_all.py [--quick] [--scale] [--only NAME,...]` (`make bench` runs it bare,
`make bench-scale` with --scale, both after `pip install -e '.[bench]'`).
Without --scale: the single-operation benchmarks. The big tables (10k filings / 50k submissions
/ 200k events; --quick: a tenth) are built once, through the services and then replicated
(bench/dataset.py), and handed to the benchmarks that need them in BENCH_DATASET_DIR.
With --scale: the large sizes (bench_scale.py: the audit trail 10k -> 1M events and the plot;
bench_bulk_send.py: bulk sends by task workers; bench_lists.py: list pages and searches at 100k
companies; bench_load.py: 50 users on gunicorn + PostgreSQL; bench_import.py: 300 companies).
--only picks benchmarks by file name (`--only scale,upload`). Each benchmark runs in its own
interpreter, as it would alone.
The figures are for reading, not a gate: a MISSED figure does not fail the run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import harness

HERE = Path(__file__).resolve().parent
# bench_signing.py is another engineer's and takes no options.
BENCHMARKS = [
    ("bench_signing.py", False),
    ("bench_upload.py", True),
    ("bench_admin.py", True),
    ("bench_verify.py", True),
    ("bench_export.py", True),
    ("bench_send.py", True),
]
SCALE = [
    ("bench_scale.py", True),
    ("bench_bulk_send.py", True),
    ("bench_lists.py", True),
    ("bench_load.py", True),
    ("bench_import.py", True),
]
NEEDS_DATASET = {"bench_admin.py", "bench_verify.py", "bench_export.py"}
# Seconds per benchmark; a stuck one is reported and the run goes on.
TIMEOUT = 900
TIMEOUTS = {
    "bench_scale.py": 3600,
    "bench_bulk_send.py": 1800,
    "bench_lists.py": 3600,
    "bench_load.py": 1800,
    "bench_import.py": 1800,
}
FIGURE = re.compile(r"\btarget [<>]=[\d.]+x\s+(OK|MISSED)\b")


def run(
    command: list[str], env: dict[str, str], timeout: int = TIMEOUT
) -> tuple[list[str], int | str]:
    """Run one benchmark, echoing its output as it comes; return its lines and exit status."""
    lines: list[str] = []
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=HERE.parent,
    ) as child:
        deadline = time.monotonic() + timeout
        assert child.stdout is not None
        for line in child.stdout:
            print(line, end="", flush=True)
            lines.append(line.rstrip("\n"))
            if time.monotonic() > deadline:
                child.kill()
                return lines, f"killed after {timeout}s"
        return lines, child.wait()


def main() -> int:
    args = harness.arguments(
        __doc__.splitlines()[0],
        switches={"scale": "the large sizes (bench_scale.py, bench_bulk_send.py, ...)"},
        only="comma-separated benchmark names (scale, upload, ...)",
    )
    quick = ["--quick"] if args.quick else []
    chosen = SCALE if args.scale else BENCHMARKS
    if args.only:
        wanted = {
            f"bench_{name.strip().removeprefix('bench_').removesuffix('.py')}.py"
            for name in args.only.split(",")
        }
        chosen = [entry for entry in BENCHMARKS + SCALE if entry[0] in wanted]
    started = time.perf_counter()
    print(f"# {harness.machine()}", flush=True)
    print(f"# throwaway files under {harness.scratch_root() or 'the system temp dir'}", flush=True)

    env = dict(os.environ)
    if any(script in NEEDS_DATASET for script, _ in chosen):
        data_dir = harness.temp_dir("run-all-data")
        clock = time.perf_counter()
        print("\n## dataset.py (shared by admin, verify, export)", flush=True)
        _, status = run(
            [sys.executable, str(HERE / "dataset.py"), "--out", str(data_dir), *quick], env
        )
        print(f"  # built in {time.perf_counter() - clock:.0f}s", flush=True)
        if status == 0:
            env["BENCH_DATASET_DIR"] = str(data_dir)

    figures: list[str] = []
    problems: list[str] = []
    for script, takes_options in chosen:
        clock = time.perf_counter()
        print(f"\n## {script}", flush=True)
        command = [sys.executable, str(HERE / script), *(quick if takes_options else [])]
        lines, status = run(command, env, TIMEOUTS.get(script, TIMEOUT))
        print(f"  # {script} took {time.perf_counter() - clock:.0f}s", flush=True)
        figures += [line.strip() for line in lines if FIGURE.search(line)]
        if status != 0:
            problems.append(f"{script}: exit status {status}")

    print("\n## summary", flush=True)
    for line in figures:
        print(line)
    missed = sum(1 for line in figures if FIGURE.search(line).group(1) == "MISSED")  # type: ignore[union-attr]
    print(f"\n{len(figures)} figures, {len(figures) - missed} OK, {missed} MISSED", flush=True)
    for problem in problems:
        print(f"PROBLEM {problem}")
    print(f"# whole run {time.perf_counter() - started:.0f}s ({harness.machine()})", flush=True)
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
