"""``trendstream bench``: run the benchmarks under ``benchmarks/`` (a source checkout).

The runner lives beside the library, not in it (benchmarks are not shipped in the
package), so this command runs ``python -m benchmarks`` from the checkout root.
"""

from __future__ import annotations

import subprocess
import sys

import click


@click.command("bench")
@click.argument("names", nargs=-1)
@click.option("--quick", is_flag=True, help="Small smoke sizes (a few minutes in all).")
@click.option("--no-readme", is_flag=True, help="Do not rewrite benchmarks/README.md.")
@click.option(
    "--collect",
    is_flag=True,
    help="Do not run: tabulate the JSON already under benchmarks/results/.",
)
def bench(names: tuple[str, ...], quick: bool, no_readme: bool, collect: bool) -> None:
    """Run benchmarks (default: all): each on 2 pinned cores with its own local services;
    writes JSON + PNG under benchmarks/results/ and the figures table in benchmarks/README.md."""
    from trendstream.core.paths import repo_root

    root = repo_root()
    if not (root / "benchmarks" / "runner.py").is_file():
        raise click.ClickException(
            f"no benchmarks/runner.py under {root}: `trendstream bench` needs a source checkout "
            "(pip install -e . from the repository)"
        )
    argv = [sys.executable, "-m", "benchmarks", *names]
    argv += ["--quick"] if quick else []
    argv += ["--no-readme"] if no_readme else []
    argv += ["--collect"] if collect else []
    code = subprocess.call(argv, cwd=root)
    if code:
        raise click.ClickException(
            f"benchmarks failed (exit {code}); logs in benchmarks/results/*.log"
        )
