"""Report charts as inline base64 PNG (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777")


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width: float = 7.0, height: float = 3.0):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def line_chart(series: dict[str, Sequence[float]], title: str, xlabel: str, ylabel: str) -> str:
    fig, ax = _figure()
    for i, (name, values) in enumerate(series.items()):
        ax.plot(
            range(len(values)),
            values,
            label=name[:40],
            color=PALETTE[i % len(PALETTE)],
            lw=1.8,
            marker="o",
            ms=3,
        )
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.xaxis.get_major_locator().set_params(integer=True)
    if series:
        ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    return _png(fig)


def bar_chart(
    labels: Sequence[str], values: Sequence[float], title: str, ylabel: str, *, log: bool = False
) -> str:
    fig, ax = _figure()
    ax.bar(
        range(len(values)), values, color=[PALETTE[i % len(PALETTE)] for i in range(len(values))]
    )
    ax.set_xticks(
        range(len(labels)), [label[:18] for label in labels], rotation=30, ha="right", fontsize=8
    )
    ax.set(title=title, ylabel=ylabel)
    if log and any(v > 0 for v in values):
        ax.set_yscale("log")
    ax.grid(alpha=0.3, axis="y")
    return _png(fig)
