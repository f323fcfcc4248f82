"""Semantic trend detection: cluster a window's embeddings, score bursts against a
baseline, track trends across snapshots, label them, and report.

The core is pure (arrays in, dataclasses out), so it runs without services.
Design: docs/trends.md
"""
