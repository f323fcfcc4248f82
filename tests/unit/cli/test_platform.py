"""``trendstream platform``: options, unknown services, and logs before anything ran."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import Invoke, fails_with, help_names


def test_help(cli: Invoke) -> None:
    help_names(cli("platform", "--help"), "up", "down", "status", "logs")
    help_names(cli("platform", "up", "--help"), "--services", "broker, milvus, spark, airflow")
    help_names(cli("platform", "down", "--help"), "--services")
    help_names(cli("platform", "status", "--help"), "--services", "--json")
    help_names(cli("platform", "logs", "--help"), "SERVICE", "--lines", "--follow")


def test_unknown_services_are_refused_before_anything_starts(cli: Invoke, state_dir: Path) -> None:
    for command in ("up", "down", "status"):
        result = cli("platform", command, "--services", "broker,kafka-ui")
        fails_with(
            result, 1, "unknown service(s) kafka-ui; choose from broker, milvus, spark, airflow"
        )
    assert not (state_dir / "run").exists()


def test_logs_of_an_unknown_service_name_the_known_ones(cli: Invoke) -> None:
    result = cli("platform", "logs", "zookeeper")
    fails_with(result, 1, "unknown service 'zookeeper'; choose from broker, milvus, spark, airflow")


def test_logs_before_a_service_ran(cli: Invoke, state_dir: Path) -> None:
    result = cli("platform", "logs", "broker")
    assert result.exit_code == 0, result.output
    assert "(no log yet at" in result.output and str(state_dir) in result.output


def test_logs_show_the_tail_of_a_service_log(cli: Invoke, state_dir: Path) -> None:
    first = cli("platform", "logs", "broker")
    log = Path(first.output.split("(no log yet at ")[1].rstrip().rstrip(")"))
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    result = cli("platform", "logs", "broker", "-n", "3")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["line 97", "line 98", "line 99"]
