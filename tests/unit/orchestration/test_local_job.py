"""The local launch of the stream job: the spark-submit command line."""

from __future__ import annotations

from trendstream.core.settings import Settings
from trendstream.orchestration.local_job import JOB_SCRIPT, job_argv


def test_spark_submit_runs_on_the_settings_master(tmp_path) -> None:
    settings = Settings(state_dir=tmp_path, stream={"master": "spark://m:7077"})
    argv = job_argv(settings, ["--available-now"])
    assert argv[argv.index("--master") + 1] == "spark://m:7077"
    assert argv[-2:] == [argv[-2], "--available-now"] and argv[-2].endswith(str(JOB_SCRIPT))


def test_a_local_master_ships_nothing_extra(tmp_path) -> None:
    argv = job_argv(Settings(state_dir=tmp_path))
    assert "--py-files" not in argv and "spark.cores.max" not in " ".join(argv)


def test_the_local_cluster_gets_executors_its_workers_fit(tmp_path) -> None:
    cluster = {"master_port": 27001, "workers": 2, "worker_cores": 1, "worker_memory": "1g"}
    ours = job_argv(
        Settings(
            state_dir=tmp_path,
            stream={"master": "spark://127.0.0.1:27001"},
            spark_cluster=cluster,
        )
    )
    confs = {ours[i + 1] for i, a in enumerate(ours) if a == "--conf"}
    assert {"spark.executor.cores=1", "spark.cores.max=2", "spark.executor.memory=1g"} <= confs
    # The driver ships the package itself: --py-files would put the zip on its own path too.
    assert "--py-files" not in ours
    foreign = job_argv(
        Settings(state_dir=tmp_path, stream={"master": "spark://m:7077"}, spark_cluster=cluster)
    )
    assert "spark.cores.max=2" not in " ".join(foreign)


def test_java_options_reach_the_driver_and_the_local_clusters_executors(tmp_path) -> None:
    flags = "-XX:TieredStopAtLevel=1"
    # Explicit "": the session's test platform exports its own flags to the environment.
    none = Settings(state_dir=tmp_path, stream={"java_options": ""})
    assert "--driver-java-options" not in job_argv(none)
    argv = job_argv(
        Settings(
            state_dir=tmp_path,
            stream={"master": "spark://127.0.0.1:27001", "java_options": flags},
            spark_cluster={"master_port": 27001},
        )
    )
    assert argv[argv.index("--driver-java-options") + 1] == flags
    assert f"spark.executor.extraJavaOptions={flags}" in argv
