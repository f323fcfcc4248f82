"""
### Stream supervisor

Keeps the Kafka → Spark → Milvus streaming job alive.

**Local** (`deployment=local`): every minute a tick checks the job — its process (PID file
with a start-time identity check), heartbeat age, last batch duration, and the consumer
group's lag — then launches it, adopts the one already running, or restarts a dead/stuck one
with bounded retries and exponential backoff (`trendstream.orchestration.supervisor`).
The job runs *detached*: a streaming query must outlive the task that starts it, so the
task launches `spark-submit spark_jobs/stream_job.py` in its own session and returns. (A
`SparkSubmitOperator` would block a worker slot for the job's whole life and kill the
driver whenever the task is stopped, times out or its worker dies.) A file lock plus the
PID identity check mean a dead worker can never leave two copies running: the next tick
adopts the survivor.

**Kubernetes** (`deployment=kubernetes`): `SparkKubernetesOperator` submits the
`SparkApplication` built by `trendstream.orchestration.spark_application` (the same manifest the
Helm chart renders). Its fixed name is the lock: a new try re-attaches to the running
application instead of starting a second one; the Spark operator's restart policy restarts
the driver.

**Replay**: trigger with the params `from_offsets` (`{"tweets": {"0": 120}}`, or `{"0": 120}`
for the tweets topic) or `from_time` (`2026-11-21T10:00:00Z`) — from the trigger form or as
conf over the REST API; Airflow refuses a run whose values break their schema (negative
offsets, a time that is not ISO-8601). The job restarts on a fresh checkpoint from there;
Milvus upserts by tweet id, so re-embedding is idempotent. Leave both empty for a normal
tick.

When the restart budget is spent the task fails and the failure callback raises an alert:
a line in `<state_dir>/alerts/alerts.jsonl`, then e-mail (`alerts.email_to` over the SMTP
connection) and Slack (when the `slack_alerts` connection exists).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, task

from trendstream.orchestration.stream_supervisor import (
    DEFAULT_ARGS,
    PARAMS,
    application_for_run,
    kubernetes_target,
    supervise_or_replay,
)

CLUSTER = kubernetes_target()
ON_KUBERNETES = CLUSTER is not None


@dag(
    dag_id="stream_supervisor",
    doc_md=__doc__,
    # On Kubernetes the submit task watches the application for as long as it runs.
    schedule="@continuous" if ON_KUBERNETES else timedelta(minutes=1),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={name: Param(**schema) for name, schema in PARAMS.items()},
    tags=["trendstream", "stream", "supervisor"],
)
def stream_supervisor():
    if ON_KUBERNETES:
        from airflow.providers.cncf.kubernetes.operators.spark_kubernetes import (
            SparkKubernetesOperator,
        )

        @task
        def spark_application(params: dict | None = None) -> dict:
            return application_for_run(params or {})

        manifest = spark_application()
        SparkKubernetesOperator(
            task_id="run_stream_job",
            template_spec=manifest,
            namespace=CLUSTER.namespace,
            name=CLUSTER.app_name,
            random_name_suffix=False,
            reattach_on_restart=True,
            delete_on_termination=False,
            get_logs=True,
            execution_timeout=None,
        )
    else:

        @task(execution_timeout=timedelta(minutes=5))
        def supervise(params: dict | None = None) -> dict:
            """One supervisor tick, or a replay when the run's params ask for one."""
            return supervise_or_replay(params or {})

        supervise()


stream_supervisor()
