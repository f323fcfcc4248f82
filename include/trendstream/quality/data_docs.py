"""Great Expectations Data Docs: the quality results as the static HTML site users read.

Validations run in a file-backed GE project under ``<state_dir>/quality/gx`` so every run's
result is kept and the site at ``paths.data_docs_dir`` lists them all (an ephemeral context
forgets them). The suites run as parallel DAG tasks and GE rewrites one project config file, so
a file lock serialises whole validations.
Design: docs/quality.md#data-docs
"""

from __future__ import annotations

import copy
import fcntl
import html
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pandas as pd

from trendstream.core.settings import Settings
from trendstream.quality.suites import SuiteSpec

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

SITE = "trendstream"
LOCK = "quality-gx"
KEEP_RUNS = 500  # runs listed on the index page (every 15 minutes: about 5 days)
RUNS_FILE = "runs.json"


def site_config(base_directory: Path) -> dict[str, Any]:
    """A static Data Docs site written as files under ``base_directory`` (pure)."""
    return {
        "class_name": "SiteBuilder",
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(base_directory),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }


def index_page(settings: Settings) -> Path:
    """The Data Docs entry page (exists once a suite has run)."""
    return settings.paths.data_docs_dir / "index.html"


@contextmanager
def project(settings: Settings) -> Iterator[Any]:
    """The GE file context, held exclusively, with our site pointed at ``data_docs_dir``."""
    import great_expectations as gx

    lock = settings.paths.lock_file(LOCK)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            context = gx.get_context(mode="file", project_root_dir=str(settings.paths.quality_dir))
            context.variables.progress_bars = {"globally": False}
            wanted = site_config(settings.paths.data_docs_dir)
            sites = context.variables.data_docs_sites or {}
            # Rewritten when the state dir moved: the site path is stored absolute.
            if sites.get(SITE) != wanted:
                if SITE in sites:
                    context.update_data_docs_site(SITE, wanted)
                else:
                    context.add_data_docs_site(SITE, wanted)
            yield context
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_with_docs(context: Any, suite: SuiteSpec, frame: pd.DataFrame) -> Any:
    """Validate ``frame`` through a checkpoint that stores the result and updates the site;
    returns GE's ``ExpectationSuiteValidationResult``."""
    import great_expectations as gx

    source = context.data_sources.add_or_update_pandas(f"{suite.name}_source")
    try:
        batch = source.get_asset(suite.name).get_batch_definition(f"{suite.name}_batch")
    except (LookupError, KeyError):  # the first run in this state dir
        asset = source.add_dataframe_asset(suite.name)
        batch = asset.add_batch_definition_whole_dataframe(f"{suite.name}_batch")
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(
            name=f"{suite.name}_validation",
            data=batch,
            suite=context.suites.add_or_update(
                gx.ExpectationSuite(
                    name=suite.name, expectations=[copy.copy(e) for e in suite.expectations]
                )
            ),
        )
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"{suite.name}_checkpoint",
            validation_definitions=[definition],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[SITE])],
        )
    )
    outcome = checkpoint.run(batch_parameters={"dataframe": frame})
    key, result = next(iter(outcome.run_results.items()))
    _index_run(context, key, suite.name, bool(result.success))
    return result


def _index_run(context: Any, key: Any, suite: str, success: bool) -> None:
    """Add the run's page to our ledger and rewrite ``index.html`` from it. GE's own index
    draws its table with JavaScript from CDNs, which an offline browser never loads."""
    [site] = context.get_docs_sites_urls(resource_identifier=key, site_name=SITE)
    docs = Path(context.variables.data_docs_sites[SITE]["store_backend"]["base_directory"])
    page = Path(url2pathname(urlsplit(site["site_url"]).path)).relative_to(docs)
    ledger = docs / RUNS_FILE
    runs = json.loads(ledger.read_text()) if ledger.exists() else []
    at = key.run_id.run_time.isoformat(timespec="seconds")
    runs = [{"suite": suite, "at": at, "success": success, "page": page.as_posix()}, *runs]
    for dropped in runs[KEEP_RUNS:]:  # the site keeps what the index lists
        (docs / dropped["page"]).unlink(missing_ok=True)
    runs = runs[:KEEP_RUNS]
    ledger.write_text(json.dumps(runs, indent=1))
    (docs / "index.html").write_text(render_index(runs))


def render_index(runs: list[dict[str, Any]]) -> str:
    """The Data Docs entry page: the latest run per suite, then every run, newest first —
    plain HTML, no scripts (pure)."""

    def row(run: dict[str, Any]) -> str:
        mark = "&#10004; passed" if run["success"] else "&#10008; failed"
        cls = "ok" if run["success"] else "bad"
        suite = html.escape(run["suite"])
        return (
            f'<tr><td>{suite}</td><td class="{cls}">{mark}</td>'
            f'<td><a href="{html.escape(run["page"])}">{html.escape(run["at"])}</a></td>'
            f'<td><a href="expectations/{suite}.html">suite</a></td></tr>'
        )

    latest = {r["suite"]: r for r in reversed(runs)}
    head = "<tr><th>suite</th><th>result</th><th>run (UTC)</th><th>expectations</th></tr>"
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Data quality · Data Docs</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; }}
table {{ border-collapse: collapse; margin-bottom: 2rem; }}
td, th {{ padding: .3rem .8rem; border-bottom: 1px solid #ddd; text-align: left; }}
.ok {{ color: #1a7f37; }} .bad {{ color: #cf222e; font-weight: bold; }}
</style></head><body>
<h1>Data quality</h1>
<p>Great Expectations validations run by the <code>data_quality</code> DAG; each run links
its Data Docs page (every expectation, its outcome and unexpected values).</p>
<h2>Latest per suite</h2>
<table>{head}{"".join(row(latest[s]) for s in sorted(latest))}</table>
<h2>All runs</h2>
<table>{head}{"".join(row(r) for r in runs)}</table>
</body></html>
"""
