"""The analytics Parquet copy: the one place that knows its layout.

A key's current value is its row in the newest batch, ordered by run, then batch id.
Design: docs/stream.md#analytics-store
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from trendstream.core.settings import Settings

# table -> columns identifying one aggregate (the Kafka key and the "latest" grouping)
KEYS: dict[str, list[str]] = {
    "hashtags": ["window_start", "hashtag"],
    "engagement": ["window_start", "tweet_id"],
    "users": ["user_id", "window_start"],
}
RUN_MARKER = "analytics-run"  # in the checkpoint directory: that checkpoint's run id
_PART = "part-0.parquet"


@dataclass(frozen=True)
class BatchFile:
    """One written batch: where it is and its place in the write order."""

    path: Path
    run: str
    batch_id: int

    @property
    def order(self) -> tuple[str, int]:
        return self.run, self.batch_id


class AnalyticsStore:
    """Writes the stream's analytics batches and reads them back (latest row per key)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def of(cls, settings: Settings) -> AnalyticsStore:
        return cls(settings.paths.analytics_dir)

    # --- writing ------------------------------------------------------------------------------

    @staticmethod
    def run_for(checkpoint: Path, now: datetime | None = None) -> str:
        """The run id of the stream whose checkpoint is ``checkpoint``, made on first use and
        kept beside the checkpoint, so it lives and dies with it."""
        marker = checkpoint / RUN_MARKER
        if marker.exists():
            return marker.read_text().strip()
        started = (now or datetime.now(UTC)).astimezone(UTC)
        run = f"{started:%Y%m%dT%H%M%S.%fZ}-{checkpoint.name}"
        checkpoint.mkdir(parents=True, exist_ok=True)
        staging = marker.with_name(f".{RUN_MARKER}.tmp")
        staging.write_text(run + "\n")
        staging.replace(marker)
        return run

    def write_batch(self, table_name: str, run: str, batch_id: int, table: pa.Table) -> Path:
        """Write one batch's rows atomically (a re-executed batch replaces its directory)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        final = self._batch_dir(table_name, run, batch_id)
        staging = final.with_name(f".{final.name}.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        pq.write_table(
            table.append_column("batch_id", pa.array([batch_id] * table.num_rows, pa.int64())),
            staging / _PART,
        )
        shutil.rmtree(final, ignore_errors=True)
        staging.rename(final)
        return final / _PART

    def _batch_dir(self, table_name: str, run: str, batch_id: int) -> Path:
        return self.root / table_name / f"run={run}" / f"batch={batch_id}"

    # --- reading ------------------------------------------------------------------------------

    def batches(self, table_name: str) -> list[BatchFile]:
        """Every written batch of ``table_name``, oldest first (run, then batch id)."""
        found = []
        for path in (self.root / table_name).glob(f"run=*/batch=*/{_PART}"):
            run = path.parent.parent.name.removeprefix("run=")
            found.append(BatchFile(path, run, int(path.parent.name.removeprefix("batch="))))
        return sorted(found, key=lambda b: b.order)

    def read_batch(self, table_name: str, run: str, batch_id: int) -> pa.Table | None:
        """One batch's rows as written, or None when that batch wrote nothing."""
        import pyarrow.parquet as pq

        path = self._batch_dir(table_name, run, batch_id) / _PART
        return pq.read_table(path) if path.exists() else None

    def read(self, batches: list[BatchFile], columns: list[str] | None = None) -> pd.DataFrame:
        """The rows of ``batches`` (pandas) with their ``run`` and ``batch_id``, in write order."""
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not batches:
            return pd.DataFrame(columns=[*(columns or []), "run", "batch_id"])
        wanted = None if columns is None else [*columns, "batch_id"]
        tables = []
        for batch in sorted(batches, key=lambda b: b.order):
            table = pq.read_table(batch.path, columns=wanted)
            tables.append(table.append_column("run", pa.array([batch.run] * table.num_rows)))
        return pa.concat_tables(tables, promote_options="default").to_pandas()

    def latest(
        self,
        table_name: str,
        columns: list[str] | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame | None:
        """The current row of every key of ``table_name`` (the newest batch's), None when
        nothing was written; with ``start``/``end``, only windows starting in
        ``[start, end)``."""
        batches = self.batches(table_name)
        if not batches:
            return None
        keys = KEYS[table_name]
        wanted = None if columns is None else list(dict.fromkeys([*keys, *columns]))
        frame = self.read(batches, wanted)
        if start is not None or end is not None:
            starts = frame["window_start"]
            if getattr(starts.dt, "tz", None) is None:
                starts = starts.dt.tz_localize("UTC")  # Spark writes UTC instants
            inside = starts.notna()
            if start is not None:
                inside &= starts >= start
            if end is not None:
                inside &= starts < end
            frame = frame[inside]
        # rows are in write order, so each key's last row is its newest
        latest = frame.drop_duplicates(keys, keep="last")
        return latest.sort_values(keys, kind="stable").reset_index(drop=True)
