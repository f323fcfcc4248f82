"""Orchestration logic the Airflow DAGs call: supervise the stream job, replay, alerts.

Pure decisions live apart from the few functions that act; one entry module per DAG.
Design: docs/orchestration.md
"""
