"""Orchestration logic the Airflow DAGs call: supervise the stream job, replay, alerts.

Pure decisions (health, restart policy, replay planning) live apart from the few functions
that act (launch, stop, read the heartbeat), so the decisions are unit-tested on plain data
and the DAG files stay wiring only. Nothing here imports Airflow.
"""
