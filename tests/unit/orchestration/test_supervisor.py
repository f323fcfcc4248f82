"""Supervisor decisions, job lock/adoption and replay planning, on plain data and real processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trendstream.core.settings import Settings
from trendstream.orchestration import local_job
from trendstream.orchestration.alerts import read_alerts, task_failure_alert
from trendstream.orchestration.health import HealthState, HealthThresholds, assess_stream_health
from trendstream.orchestration.replay import ReplayConfError, is_replay, plan_replay
from trendstream.orchestration.supervisor import Action, RestartPolicy, decide
from trendstream.stream.heartbeat import Heartbeat

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
T = HealthThresholds(
    max_heartbeat_age_s=60, max_batch_duration_s=120, max_lag=1000, startup_grace_s=100
)


def beat(age_s: float, **kw) -> Heartbeat:
    return Heartbeat(timestamp=NOW - timedelta(seconds=age_s), **kw)


# --- health -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heartbeat", "lag", "alive", "age", "started", "state"),
    [
        (None, None, False, None, False, HealthState.NOT_RUNNING),
        (beat(1), 0, False, None, True, HealthState.DEAD),
        (None, None, True, 10, True, HealthState.STARTING),
        (None, None, True, 500, True, HealthState.STUCK),
        (beat(5, batch_duration_s=2), 10, True, 500, True, HealthState.ALIVE),
        (beat(61), 10, True, 500, True, HealthState.STUCK),
        (beat(5, batch_duration_s=121), 10, True, 500, True, HealthState.STUCK),
        (beat(5), 1001, True, 500, True, HealthState.LAGGING),
        # A heartbeat older than the process belongs to the previous run.
        (beat(50), 0, True, 20, True, HealthState.STARTING),
    ],
)
def test_assess_stream_health(heartbeat, lag, alive, age, started, state) -> None:
    health = assess_stream_health(
        heartbeat, lag, NOW, T, process_alive=alive, process_age_s=age, ever_started=started
    )
    assert health.state is state
    assert health.needs_restart == (state in (HealthState.STUCK, HealthState.DEAD))
    if state not in (HealthState.ALIVE,):
        assert health.reasons, "every unhealthy verdict says why"


# --- restart policy -----------------------------------------------------------------------


def test_decide_bounded_restarts_with_backoff() -> None:
    policy = RestartPolicy(max_restarts=3, window_s=600, backoff_base_s=10, backoff_max_s=25)
    dead = assess_stream_health(None, None, NOW, T, process_alive=False)
    assert decide(dead, [], NOW, policy).action is Action.RESTART
    # One restart 5 s ago: wait the remaining 5 s of the 10 s backoff.
    d = decide(dead, [NOW - timedelta(seconds=5)], NOW, policy)
    assert d.action is Action.BACKOFF and d.wait_s == pytest.approx(5)
    assert decide(dead, [NOW - timedelta(seconds=11)], NOW, policy).action is Action.RESTART
    # Backoff doubles (10, 20) and is capped (25).
    two = [NOW - timedelta(seconds=40), NOW - timedelta(seconds=15)]
    assert decide(dead, two, NOW, policy).action is Action.BACKOFF
    assert policy.backoff_s(5) == 25
    # Budget spent inside the window: give up; old restarts fall out of the window.
    three = [NOW - timedelta(seconds=s) for s in (300, 200, 100)]
    assert decide(dead, three, NOW, policy).action is Action.GIVE_UP
    old = [NOW - timedelta(seconds=s) for s in (900, 800, 700)]
    assert decide(dead, old, NOW, policy).action is Action.RESTART


def test_decide_leaves_healthy_and_lagging_jobs_alone() -> None:
    policy = RestartPolicy()
    for health in (
        assess_stream_health(beat(1), 0, NOW, T, process_alive=True, process_age_s=500),
        assess_stream_health(beat(1), 10**6, NOW, T, process_alive=True, process_age_s=500),
        assess_stream_health(None, None, NOW, T, process_alive=True, process_age_s=5),
    ):
        assert decide(health, [], NOW, policy).action is Action.NONE
    never = assess_stream_health(None, None, NOW, T, process_alive=False, ever_started=False)
    assert decide(never, [], NOW, policy).action is Action.LAUNCH


# --- lock / adoption on real processes ----------------------------------------------------


def test_launch_adopts_a_running_job_and_never_starts_two(tmp_path: Path, monkeypatch) -> None:
    settings = Settings(state_dir=tmp_path)
    # The real job spec with a stand-in program: same PID file, lock and identity check.
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)", "stream_job.py"]
    monkeypatch.setattr(local_job, "job_argv", lambda settings, args=(): sleeper)
    first = local_job.launch_local_job(settings)
    try:
        assert local_job.launch_local_job(settings) == first  # adopted, not a second copy
        pid, age = local_job.running_job(settings)
        assert pid == first and age is not None and age < 30
        # A PID file naming a *different* process (e.g. a recycled PID) is not our job.
        record = json.loads(settings.paths.pid_file(local_job.JOB_NAME).read_text())
        settings.paths.pid_file(local_job.JOB_NAME).write_text(
            json.dumps({**record, "start_ticks": 1})
        )
        assert local_job.running_job(settings) == (None, None)
        settings.paths.pid_file(local_job.JOB_NAME).write_text(json.dumps(record))
    finally:
        assert local_job.stop_local_job(settings, timeout_s=5)
    assert local_job.running_job(settings) == (None, None)


def test_kill_orphans_only_touches_the_dead_jobs_session() -> None:
    code = (
        "import subprocess, sys, time; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', 'stream_job.py']); "
        "time.sleep(60)"
    )
    leader = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    bystander = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "stream_job.py"]
    )
    try:
        time.sleep(1.0)
        leader.kill()
        leader.wait()
        assert local_job.kill_orphans(leader.pid) == 1
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_supervisor_lock_is_exclusive(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    probe = (
        "import fcntl, sys; f = open(sys.argv[1], 'w')\n"
        "try:\n    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB); print('got')\n"
        "except BlockingIOError:\n    print('busy')"
    )
    lock_file = str(settings.paths.lock_file(local_job.JOB_NAME))
    with local_job.supervisor_lock(settings):
        held = subprocess.run(
            [sys.executable, "-c", probe, lock_file], capture_output=True, text=True
        )
    free = subprocess.run([sys.executable, "-c", probe, lock_file], capture_output=True, text=True)
    assert (held.stdout.strip(), free.stdout.strip()) == ("busy", "got")


# --- replay ---------------------------------------------------------------------------------


def lookups(
    committed: dict[str, dict[int, int | None]], by_time: dict[str, dict[int, int]] | None = None
):
    return {
        "committed": lambda topic: committed[topic],
        "offsets_at": lambda topic, ms: (by_time or {})[topic],
    }


def test_replay_from_offsets_fills_other_partitions_from_the_group() -> None:
    s = Settings()
    committed = {s.kafka.tweets_topic: {0: 50, 1: None}, s.kafka.engagements_topic: {0: 7}}
    plan = plan_replay({"from_offsets": {"0": 10}}, s, NOW, **lookups(committed))
    offsets = json.loads(plan.env["TRENDSTREAM_STREAM__STARTING_OFFSETS"])
    assert offsets == {
        s.kafka.tweets_topic: {"0": 10, "1": -2},
        s.kafka.engagements_topic: {"0": 7},
    }
    assert plan.env["TRENDSTREAM_STREAM__CHECKPOINT_NAME"] == "replay-20261121T120000"
    explicit = plan_replay(
        {"from_offsets": {s.kafka.engagements_topic: {"0": 1}}}, s, NOW, **lookups(committed)
    )
    assert json.loads(explicit.env["TRENDSTREAM_STREAM__STARTING_OFFSETS"])[
        s.kafka.engagements_topic
    ] == {"0": 1}


def test_replay_from_time_uses_the_time_index_for_every_topic() -> None:
    s = Settings()
    t, e = s.kafka.tweets_topic, s.kafka.engagements_topic
    plan = plan_replay(
        {"from_time": "2026-11-21T11:00:00Z"},
        s,
        NOW,
        **lookups({t: {0: 99, 1: 99}, e: {0: 99}}, {t: {0: 3, 1: 4}, e: {0: 5}}),
    )
    assert json.loads(plan.env["TRENDSTREAM_STREAM__STARTING_OFFSETS"]) == {
        t: {"0": 3, "1": 4},
        e: {"0": 5},
    }
    assert plan.replay["requested"] == {"from_time": "2026-11-21T11:00:00Z"}


@pytest.mark.parametrize(
    "conf",
    [
        {},
        {"from_offsets": {}},
        {"from_offsets": {"0": -1}},
        {"from_offsets": {"other-topic": {"0": 1}}},
        {"from_offsets": {"x": "y"}},
        {"from_time": "yesterday"},
        {"from_time": "2030-01-01T00:00:00Z"},
        {"from_time": "2026-11-21T11:00:00Z", "from_offsets": {"0": 1}},
    ],
)
def test_replay_rejects_bad_conf(conf) -> None:
    s = Settings()
    with pytest.raises(ReplayConfError):
        plan_replay(
            conf, s, NOW, **lookups({s.kafka.tweets_topic: {}, s.kafka.engagements_topic: {}})
        )


def test_is_replay() -> None:
    assert not is_replay(None) and not is_replay({}) and not is_replay({"at": "x"})
    assert is_replay({"from_time": "x"}) and is_replay({"from_offsets": {}})


# --- alerts ---------------------------------------------------------------------------------


def test_failure_callback_writes_an_alert(tmp_path: Path, monkeypatch) -> None:
    from trendstream.core.settings import get_settings

    monkeypatch.setenv("TRENDSTREAM_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("TRENDSTREAM_ALERTS__SLACK_CONN_ID", "")  # file only: no Airflow here
    get_settings.cache_clear()
    try:
        ti = type(
            "TI",
            (),
            {
                "dag_id": "stream_supervisor",
                "task_id": "supervise",
                "run_id": "r1",
                "try_number": 3,
            },
        )()
        task_failure_alert({"ti": ti, "exception": RuntimeError("restart budget spent")})
        [alert] = read_alerts(get_settings())
    finally:
        get_settings.cache_clear()
    assert alert["source"] == "stream_supervisor.supervise"
    assert alert["message"] == "restart budget spent" and alert["run_id"] == "r1"


def test_a_job_that_heartbeats_but_never_finishes_a_batch_is_stuck() -> None:
    from trendstream.orchestration.supervisor import SupervisorState

    state = SupervisorState()
    hb = beat(1, pid=10, batch_id=None)
    assert state.stalled_s(hb, 500, NOW) == 0.0
    later = NOW + timedelta(seconds=400)
    stalled = state.stalled_s(hb, 500, later)
    assert stalled == 400
    thresholds = HealthThresholds(max_stall_s=300)
    health = assess_stream_health(
        hb, 500, NOW, thresholds, process_alive=True, process_age_s=999, stalled_s=stalled
    )
    assert health.state is HealthState.STUCK and "no micro-batch completed" in health.reasons[0]
    # Progress (a new batch id) or nothing waiting resets the clock.
    assert state.stalled_s(beat(1, pid=10, batch_id=4), 500, later) == 0.0
    assert state.stalled_s(beat(1, pid=10, batch_id=4), 0, later + timedelta(seconds=999)) is None
    assert state.stalled_s(beat(1, pid=10, batch_id=4), 5, later + timedelta(seconds=999)) == 0.0


# --- the supervisor tick on a real (stand-in) process ---------------------------------------


@pytest.fixture
def sleeper_job(tmp_path: Path, monkeypatch) -> Settings:
    """The real launch/stop/lock path with ``sleep`` standing in for spark-submit."""
    sleeper = [sys.executable, "-c", "import time; time.sleep(120)", "stream_job.py"]
    monkeypatch.setattr(local_job, "job_argv", lambda settings, args=(): [*sleeper, *args])
    settings = Settings(state_dir=tmp_path)
    yield settings
    local_job.stop_local_job(settings, timeout_s=5)


def test_supervise_once_launches_adopts_restarts_and_gives_up(sleeper_job: Settings) -> None:
    import os
    import signal

    import psutil

    from trendstream.orchestration.supervisor import SupervisorGaveUp, supervise_once

    settings = sleeper_job
    policy = RestartPolicy(max_restarts=2, window_s=600, backoff_base_s=0.0, backoff_max_s=0.0)
    tick = lambda: supervise_once(settings, policy=policy, lag_probe=lambda s: None, thresholds=T)  # noqa: E731
    first = tick()
    assert first.decision.action is Action.LAUNCH and first.pid is not None
    assert tick().decision.action is Action.NONE  # starting (no heartbeat yet): left alone, adopted
    pids = [first.pid]

    def kill(pid: int) -> None:
        os.kill(pid, signal.SIGKILL)
        psutil.Process(pid).wait(timeout=10)  # gone (and reaped: it is our child here)

    for _ in range(2):
        kill(pids[-1])
        report = tick()
        assert report.decision.action is Action.RESTART and report.health.state is HealthState.DEAD
        assert report.pid not in pids
        pids.append(report.pid)
    kill(pids[-1])
    with pytest.raises(SupervisorGaveUp, match="giving up"):
        tick()
    assert local_job.running_job(settings) == (None, None)


def test_apply_plan_relaunches_with_the_replay_settings(sleeper_job: Settings) -> None:
    from trendstream.orchestration.supervisor import (
        JobPlan,
        SupervisorState,
        apply_plan,
        supervise_once,
    )

    settings = sleeper_job
    old = supervise_once(settings, lag_probe=lambda s: None).pid
    plan = JobPlan(
        env={"TRENDSTREAM_STREAM__CHECKPOINT_NAME": "replay-x"}, replay={"checkpoint": "replay-x"}
    )
    new = apply_plan(settings, plan)
    assert new != old and local_job.running_job(settings)[0] == new
    import psutil

    # Read once the child has exec'd: between fork and exec /proc shows the parent's environment.
    deadline = time.monotonic() + 10
    while "stream_job.py" not in psutil.Process(new).cmdline() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert psutil.Process(new).environ().get("TRENDSTREAM_STREAM__CHECKPOINT_NAME") == "replay-x"
    state = SupervisorState.load(settings)
    assert state.plan == plan and state.restarts == [] and state.last["action"] == "replay"
