"""Shared by the benchmarks: a throwaway Django set-up, timing, memory probes and the figure line.

Not a benchmark itself. Every benchmark imports this first, so the repository is importable and
Django runs on a throwaway SQLite database in a temporary PORTAL_VAR_DIR (never var/).
"""

from __future__ import annotations

import argparse
import atexit
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# The sandbox verifies with these keys and the portal signs with the same ones.
SANDBOX_AK = "AKLTbenchsandbox0001"
SANDBOX_SK = "bench-sandbox-secret-not-real"
MB = 1024 * 1024

# Variables that could point a benchmark at a real database, bucket or endpoint.
_FOREIGN_ENV = (
    "DATABASE_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_S3_ADDRESSING_STYLE",
    "VOLC_VMS_ENDPOINT",
)


def arguments(
    description: str, *, switches: dict[str, str] | None = None, **extra: str
) -> argparse.Namespace:
    """--quick, one --name VALUE option per `extra`, one --name flag per `switches`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    for name, text in (switches or {}).items():
        parser.add_argument(f"--{name.replace('_', '-')}", action="store_true", help=text)
    for name, text in extra.items():
        parser.add_argument(f"--{name.replace('_', '-')}", default=None, help=text)
    return parser.parse_args()


def scratch_root() -> str | None:
    """Where throwaway files go: BENCH_TMP, else /dev/shm (tmpfs), else the system default.

    A tmpfs keeps this VM's disk out of the figures: one fsync costs about 5 ms here, so SQLite
    commits would measure the virtual disk, not the code. BENCH_TMP=/tmp puts the disk back in.
    """
    chosen = os.environ.get("BENCH_TMP")
    if chosen:
        return chosen
    shm = Path("/dev/shm")  # noqa: S108  (only the parent of mkdtemp's private 0700 directory)
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def temp_dir(prefix: str, *, keep: bool = False) -> Path:
    """A fresh directory, removed when the process exits unless `keep`."""
    path = Path(tempfile.mkdtemp(prefix=f"portal-bench-{prefix}-", dir=scratch_root()))
    if not keep:
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def setup_django(var_dir: Path, *, env: dict[str, str] | None = None) -> Path:
    """Point the portal at `var_dir` (SQLite file + media) and start Django. Returns the DB path."""
    for name in _FOREIGN_ENV:
        os.environ.pop(name, None)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "PORTAL_VAR_DIR": str(var_dir),
            "DEBUG": "true",  # the sandbox is development-only
            "VOLC_SANDBOX_ENABLED": "true",
            "VOLC_SANDBOX_ACCESSKEY": SANDBOX_AK,
            "VOLC_SANDBOX_SECRETKEY": SANDBOX_SK,
            "VOLC_ACCESSKEY": SANDBOX_AK,
            "VOLC_SECRETKEY": SANDBOX_SK,
            "LOG_LEVEL": "WARNING",  # the client logs every send at INFO
            **(env or {}),
        }
    )
    import django

    django.setup()
    return var_dir / "portal.sqlite3"


def bare_admin_site(name: str) -> Any:
    """A throwaway AdminSite for bare ModelAdmin baselines (register the models on it).

    The portal's templates link to its own admin views (the review queue, ...): the site gets
    the same names so those links reverse; they are never requested. Models it does not
    register at all (notifications, bulk runs, ...) get all their names the same way.
    """
    from django.contrib import admin
    from django.urls import include, path

    class BareSite(admin.AdminSite):
        def get_urls(self) -> list[Any]:
            urls = super().get_urls()
            for model, portal_admin in admin.site._registry.items():
                bare_admin = self._registry.get(model)
                have = {p.name for p in bare_admin.get_urls()} if bare_admin else set()
                extra = [p for p in portal_admin.get_urls() if p.name not in have]
                info = f"{model._meta.app_label}/{model._meta.model_name}/"
                urls.append(path(f"portal-only/{info}", include(extra)))
            return urls

    return BareSite(name=name)


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def use_database(path: Path) -> None:
    """Switch the default connection to another SQLite file (closed first, reopened lazily)."""
    from django.db import connections

    connection = connections["default"]
    connection.close()
    connection.settings_dict["NAME"] = str(path)


def copy_database(source: Path, target: Path) -> None:
    from django.db import connections

    connections["default"].close()
    shutil.copyfile(source, target)


# --- timing ----------------------------------------------------------------------------------


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def interleaved(
    subjects: dict[str, Callable[[], object]], repeats: int, *, warmup: int = 1
) -> dict[str, list[float]]:
    """Seconds per call of each subject; subjects alternate so drift hits them alike."""
    for fn in subjects.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in subjects}
    for _ in range(repeats):
        for name, fn in subjects.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return samples


def median(values: list[float]) -> float:
    return statistics.median(values)


# --- memory ----------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def probe(script: str, *options: str) -> dict[str, float]:
    """Run `script --probe ...` in a fresh interpreter; it prints one JSON object last."""
    command = [sys.executable, script, *options]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure_memory(mode: str, subject: Callable[[], object]) -> dict[str, float]:
    """Peak memory of one call, in KiB: "rss" is the peak RSS growth over the RSS before it;
    "both" also runs tracemalloc (its peak is "tracemalloc"; the RSS then includes its tables)."""
    traced = mode == "both"
    if traced:
        tracemalloc.start()
    try:
        before = reset_peak_rss()
        subject()
        result = {"rss": float(peak_rss_kb() - before), "rss_before": float(before)}
        if traced:
            result["tracemalloc"] = tracemalloc.get_traced_memory()[1] / 1024
        return result
    finally:
        if traced:
            tracemalloc.stop()


def flat_memory_figures(
    name: str,
    small: dict[str, float],
    full: dict[str, float],
    sizes: tuple[int, int],
    target: float,
) -> None:
    """The two memory figures (tracemalloc peak, peak RSS growth): full size against small."""
    for key, label in (("tracemalloc", "tracemalloc peak"), ("rss", "peak RSS growth")):
        figure(
            f"{name}_{key}",
            full[key],
            small[key],
            target,
            show=megabytes,
            labels=(rows(sizes[1]), rows(sizes[0])),
            note=f"{label}, fresh interpreter per size; rows x{sizes[1] / sizes[0]:.0f}",
        )


def reset_peak_rss() -> int:
    """Reset the kernel's peak-RSS mark (VmHWM) to the current RSS; return the RSS in KiB."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def peak_rss_kb() -> int:
    return _status_kb("VmHWM")


# --- output ----------------------------------------------------------------------------------


def seconds(value: float) -> str:
    return f"{value * 1000:.1f}ms" if value < 1 else f"{value:.2f}s"


def rows(n: int) -> str:
    """10000 -> "10k", 2500 -> "2.5k", 250 -> "250"."""
    return f"{n / 1000:g}k" if n >= 1000 else str(n)


def megabytes(kib: float) -> str:
    return f"{kib / 1024:.1f}MB"


def figure(
    name: str,
    portal: float,
    baseline: float,
    target: float,
    *,
    show: Callable[[float], str] = seconds,
    at_least: bool = False,
    labels: tuple[str, str] = ("portal", "baseline"),
    note: str = "",
    ok: bool | None = None,
) -> bool:
    """Print one figure line; `at_least` for throughput-like figures (higher is better);
    `ok` decides OK/MISSED instead of the ratio (for figures that must be exact)."""
    ratio = portal / baseline if baseline else float("inf")
    if ok is None:
        ok = ratio >= target if at_least else ratio <= target
    sign = ">=" if at_least else "<="
    line = (
        f"{name}  {labels[0]} {show(portal)}  {labels[1]} {show(baseline)}  "
        f"ratio {ratio:.2f}x  target {sign}{target:.2f}x  {'OK' if ok else 'MISSED'}"
    )
    print(line + (f"  ({note})" if note else ""), flush=True)
    return ok


def info(text: str) -> None:
    """Context lines (sizes, set-up times, breakdowns), prefixed so they never read as figures."""
    print(f"  # {text}", flush=True)


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    import django

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"nproc {os.cpu_count()}, CPU {cpu}, Python {platform.python_version()}, "
        f"Django {django.get_version()}, load average {load}"
    )
