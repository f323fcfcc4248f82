"""Semantic trend detection: cluster a window's embeddings, score bursts against a
baseline, track trends across snapshots, label them, and report.

The core (:func:`trendstream.trends.engine.detect_trends`) is pure — numpy arrays and
lists in, dataclasses out; :func:`trendstream.trends.snapshot.run_snapshot` is the one
entry point that loads posts from Milvus and writes the reports.
"""
