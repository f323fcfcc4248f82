"""The local launch of the stream job: the spark-submit command line."""

from __future__ import annotations

from trendstream.core.settings import Settings
from trendstream.orchestration.local_job import JOB_SCRIPT, job_argv


def test_spark_submit_runs_on_the_settings_master() -> None:
    argv = job_argv(Settings(stream={"master": "spark://m:7077"}), ["--available-now"])
    assert argv[argv.index("--master") + 1] == "spark://m:7077"
    assert argv[-2:] == [argv[-2], "--available-now"] and argv[-2].endswith(str(JOB_SCRIPT))
