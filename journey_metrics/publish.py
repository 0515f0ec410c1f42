"""Build the warehouse without disturbing its readers: `python -m journey_metrics.publish [dbt args]`.

DuckDB allows one writer or many readers per file, never both, so dashboards and analysts must not
read the file dbt is writing. JOURNEY_DUCKDB_PATH is therefore a symbolic link to the published
release, `<dir>/releases/<id>/<name>.duckdb`. A build:

1. copies the published file into a new release folder (incremental models keep their state) or
   starts empty;
2. runs `dbt <args>` (default: `build`) against the copy, in a subprocess;
3. validates the new release with the error-level Great Expectations suites (`--validate`, default
   staging and marts; `none` for a partial build that does not make them);
4. only when both succeed, switches the link to the new release in one atomic rename; otherwise
   deletes the new release (its folder included) and leaves the published one untouched.

A reader opening JOURNEY_DUCKDB_PATH (read-only) always gets a complete release: the previous one
while a build runs, the new one after. A reader that opened the previous release keeps it until it
closes; releases older than the last `--keep` are deleted (an open file lives on until closed).
A release is a plain file: views name no catalog (macros/utils/ref.sql), so a copy under any name,
or one ATTACHed under any alias, answers every model.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from journey_metrics.paths import REPO_ROOT, default_duckdb_path

# The suites a release must pass before readers see it (the raw suite checks files, not releases).
DEFAULT_LAYERS = ("staging", "marts")


def releases_dir(link: Path) -> Path:
    return link.parent / "releases"


def new_release(link: Path) -> Path:
    """A new, empty release folder; its warehouse file has the link's file name."""
    folder = releases_dir(link) / time.strftime("%Y%m%dT%H%M%S") / str(time.time_ns())
    folder.mkdir(parents=True)
    return folder / link.name


def switch(link: Path, target: Path) -> None:
    """Point `link` at `target` atomically (a rename over the old link or file)."""
    temporary = link.with_name(f".{link.name}.{os.getpid()}.switch")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(os.path.relpath(target, link.parent))
    os.replace(temporary, link)


def prune(link: Path, keep: int) -> None:
    """Delete all but the `keep` newest releases, never the published one."""
    published = link.resolve() if link.exists() else None
    files = sorted(releases_dir(link).glob(f"*/*/{link.name}"), key=lambda p: p.parent.name, reverse=True)
    for old in files[keep:]:
        if old.resolve() != published:
            shutil.rmtree(old.parent, ignore_errors=True)
            with contextlib.suppress(OSError):  # the dated folder still holds another release
                old.parent.parent.rmdir()


def discard(target: Path) -> None:
    """Delete a release that will not be published, and its dated folder once empty."""
    shutil.rmtree(target.parent, ignore_errors=True)
    with contextlib.suppress(OSError):  # the dated folder still holds another release
        target.parent.parent.rmdir()


def validate(target: Path, layers: list[str]) -> int:
    """The error-level Great Expectations suites of `layers` on the new release, in a subprocess;
    prints the failed expectations, returns its exit code (0: passed, warnings allowed)."""
    command = [
        sys.executable,
        "-m",
        "journey_metrics.validate",
        "--db",
        str(target),
        "--suites",
        ",".join(layers),
        "--no-docs",
    ]
    return subprocess.run(command, cwd=REPO_ROOT).returncode


def publish(dbt_args: list[str], link: Path, keep: int = 2, layers: list[str] | None = None) -> int:
    layers = list(DEFAULT_LAYERS) if layers is None else layers
    link = link.absolute()
    link.parent.mkdir(parents=True, exist_ok=True)
    target = new_release(link)
    if link.exists():
        shutil.copy2(link.resolve(), target)
    env = {**os.environ, "JOURNEY_DUCKDB_PATH": str(target)}
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run([str(dbt), *dbt_args], cwd=REPO_ROOT, env=env)
    if result.returncode != 0:
        discard(target)
        print(
            f"dbt failed: {link} still serves the previous release. (If an incremental model's columns "
            "changed, rebuild from scratch: `make build BUILD_ARGS=--full-refresh`.)",
            file=sys.stderr,
        )
        return result.returncode
    if layers:
        validated = validate(target, layers)
        if validated != 0:
            discard(target)
            print(
                f"validation failed ({', '.join(layers)}): {link} still serves the previous release.", file=sys.stderr
            )
            return validated
    switch(link, target)
    prune(link, keep)
    print(f"published {target} as {link}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build into a new release and switch readers to it atomically.")
    parser.add_argument("--keep", type=int, default=2, help="releases to keep (default 2)")
    parser.add_argument(
        "--validate",
        default=",".join(DEFAULT_LAYERS),
        help="Great Expectations layers the release must pass before it is published "
        "(default: staging,marts; 'none' for a partial build)",
    )
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, help="dbt command and arguments (default: build)")
    args = parser.parse_args(argv)
    link = Path(os.environ.get("JOURNEY_DUCKDB_PATH") or default_duckdb_path())
    dbt_args = [a for a in args.dbt_args if a != "--"] or ["build"]
    layers = [] if args.validate.strip() == "none" else [x.strip() for x in args.validate.split(",") if x.strip()]
    return publish(dbt_args, link, keep=args.keep, layers=layers)


if __name__ == "__main__":
    raise SystemExit(main())
