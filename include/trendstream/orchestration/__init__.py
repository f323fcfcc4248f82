"""Orchestration logic the Airflow DAGs call: supervise the stream job, replay, alerts.

Pure decisions (health, restart policy, replay planning) live apart from the few functions
that act (launch, stop, read the heartbeat), so the decisions are unit-tested on plain data
and the DAG files stay wiring only. Each DAG has one entry module here named after it
(``stream_supervisor``, ``trend_snapshot``, ``milvus_maintenance``, ``data_quality``,
``live_sources``); Airflow itself is imported only inside functions (``connections``).
"""
