"""Data quality: Great Expectations suites over recent output, and their runner.

Design: docs/quality.md
"""
