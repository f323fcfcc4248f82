"""trendstream: semantic trend detection over a live stream of short posts."""

__version__ = "0.1.0"
