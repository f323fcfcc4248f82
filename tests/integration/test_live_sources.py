"""Live connectors against local servers replaying recorded traffic, into the real broker.

- X: an HTTP server streams ``tests/data/live/x_filtered_stream.ndjson`` as a chunked
  response (keep-alives included), cuts a connection mid-line, answers 429 and 503,
  sends an operational-disconnect, stalls, and serves the rules endpoint.
- Bluesky: a websocket server replays ``tests/data/live/jetstream_posts.jsonl``, honours
  ``cursor`` like Jetstream, and drops the connection mid-way.
Every post must reach the Kafka topic exactly once, through the real ``Ingestor``.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from confluent_kafka import Consumer, TopicPartition
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from tests.support.sandbox import derive_settings
from trendstream.cli import main
from trendstream.core.settings import Settings, get_settings
from trendstream.kafka.admin import client_config
from trendstream.kafka.dead_letter import parse_dead_letter
from trendstream.sources.bluesky import JetstreamClient
from trendstream.sources.ingest import Ingestor
from trendstream.sources.live import run_live_source
from trendstream.sources.x_stream import XStreamClient, XStreamError

pytestmark = pytest.mark.integration

LIVE = Path(__file__).parents[1] / "data" / "live"
TOKEN = (
    "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3D"
    "EUifiRBkKG5E2XzMDjRfl76ZC9Ub0wnz4XsNiRVBChTYbJcE3F"
)
STALL_S = 1.0
KEEPALIVE_GAP_S = 0.45  # < STALL_S: keep-alives alone must keep a connection up
JETSTREAM_MARGIN_S = 1.5


class FakeClock:
    """Real time plus everything slept: backoff waits cost nothing and are recorded."""

    def __init__(self) -> None:
        self.slept: list[float] = []
        self._offset = 0.0

    def time(self) -> float:
        return time.time() + self._offset

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self._offset += seconds


def read_topic(settings: Settings, topic: str, expect: int, timeout_s: float = 20.0) -> list[bytes]:
    """Every message in ``topic`` (all partitions), waiting until at least ``expect`` arrived."""
    consumer = Consumer(
        client_config(
            settings,
            **{
                "group.id": f"{topic}-reader",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "enable.partition.eof": True,
            },
        )
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        values: list[bytes] = []
        deadline = time.monotonic() + timeout_s
        at_eof: set[int] = set()
        while time.monotonic() < deadline and (
            len(values) < expect or len(at_eof) < len(partitions)
        ):
            message = consumer.poll(0.2)
            if message is None:
                continue
            if message.error():
                at_eof.add(message.partition())
                continue
            at_eof.discard(message.partition())
            values.append(message.value())
        return values
    finally:
        consumer.close()


def _x_lines() -> list[bytes]:
    return (LIVE / "x_filtered_stream.ndjson").read_bytes().split(b"\r\n")[:-1]


def _x_post_ids() -> list[str]:
    return [json.loads(line)["data"]["id"] for line in _x_lines() if line.startswith(b'{"data"')]


# --- the X replay server -------------------------------------------------------------------


class XReplay(ThreadingHTTPServer):
    """Filtered stream + rules endpoints; each stream connection follows the next scripted step."""

    daemon_threads = True

    def __init__(self, clock: FakeClock, script: list[Callable[[XHandler], None]]) -> None:
        super().__init__(("127.0.0.1", 0), XHandler)
        self.clock = clock
        self.script = list(script)
        self.stream_requests: list[dict[str, list[str]]] = []
        self.rules: dict[str, dict[str, str]] = {}
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class XHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: XReplay

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {TOKEN}":
            return True
        self.json(
            401,
            {
                "title": "Unauthorized",
                "type": "about:blank",
                "status": 401,
                "detail": "Unauthorized",
            },
        )
        return False

    def json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        if not self._authorized():
            return
        url = urlsplit(self.path)
        if url.path == "/2/tweets/search/stream/rules":
            rules = list(self.server.rules.values())
            self.json(
                200,
                {
                    "data": rules,
                    "meta": {"sent": "2025-03-04T15:20:00.000Z", "result_count": len(rules)},
                }
                if rules
                else {"meta": {"sent": "2025-03-04T15:20:00.000Z", "result_count": 0}},
            )
        elif url.path == "/2/tweets/search/stream":
            self.server.stream_requests.append(parse_qs(url.query))
            # Past the script: 503s, whose backoff soon spends the run's fake hour, so a
            # client that loses posts fails fast instead of waiting forever.
            step = self.server.script.pop(0) if self.server.script else status(503)
            step(self)
        else:
            self.json(404, {"title": "Not Found Error"})

    def do_POST(self) -> None:  # noqa: N802
        if not self._authorized():
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        dry_run = "dry_run=true" in self.path
        rules = self.server.rules
        if "add" in body:
            created, errors = [], []
            for rule in body["add"]:
                if any(r["value"] == rule["value"] for r in rules.values()):
                    errors.append(
                        {
                            "value": rule["value"],
                            "id": "1",
                            "title": "DuplicateRule",
                            "type": "https://api.twitter.com/2/problems/duplicate-rules",
                        }
                    )
                    continue
                new = {"id": str(1859627845539094528 + len(rules) + len(created)), **rule}
                created.append(new)
            if not dry_run:
                rules.update({r["id"]: r for r in created})
            response: dict[str, Any] = {
                "meta": {
                    "sent": "2025-03-04T15:20:00.000Z",
                    "summary": {"created": len(created), "not_created": len(errors)},
                }
            }
            if created:
                response["data"] = created
            if errors:
                response["errors"] = errors
            self.json(201 if created else 200, response)
        else:
            ids = body["delete"]["ids"]
            deleted = [i for i in ids if rules.pop(i, None)]
            self.json(
                200,
                {
                    "meta": {
                        "sent": "2025-03-04T15:20:00.000Z",
                        "summary": {
                            "deleted": len(deleted),
                            "not_deleted": len(ids) - len(deleted),
                        },
                    }
                },
            )

    # chunked stream writing
    def start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-rate-limit-limit", "50")
        self.send_header("x-rate-limit-remaining", "49")
        self.send_header("x-rate-limit-reset", str(int(self.server.clock.time()) + 900))
        self.end_headers()

    def chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def send_lines(self, lines: list[bytes]) -> None:
        for line in lines:
            if not line:
                time.sleep(KEEPALIVE_GAP_S)
            self.chunk(line + b"\r\n")


def stream(lines: list[bytes], then: str, cut_line: bytes = b"") -> Callable[[XHandler], None]:
    """A 200 stream of ``lines``; ``then`` is "cut" (mid-line), "close" or "stall"."""

    def step(handler: XHandler) -> None:
        handler.start_stream()
        handler.send_lines(lines)
        if then == "cut":  # promise a whole line, send half, and vanish
            handler.wfile.write(b"%x\r\n%s" % (len(cut_line) + 2, cut_line[: len(cut_line) // 2]))
            handler.wfile.flush()
            handler.connection.shutdown(socket.SHUT_RDWR)
            handler.close_connection = True
        elif then == "close":
            handler.wfile.write(b"0\r\n\r\n")
            handler.close_connection = True
        else:  # stall: silence longer than the client's stall limit
            handler.server.stopping.wait(STALL_S * 3)
            handler.close_connection = True

    return step


def hold(lines: list[bytes], seconds: float = 5.0) -> Callable[[XHandler], None]:
    """Send ``lines``, then keep-alives until the client leaves (or ``seconds`` pass)."""

    def step(handler: XHandler) -> None:
        handler.start_stream()
        handler.send_lines(lines)
        deadline = time.monotonic() + seconds
        try:
            while not handler.server.stopping.wait(0.1) and time.monotonic() < deadline:
                handler.chunk(b"\r\n")
        except OSError:
            pass
        handler.close_connection = True

    return step


def status(
    code: int, headers: Callable[[FakeClock], dict[str, str]] | None = None
) -> Callable[[XHandler], None]:
    def step(handler: XHandler) -> None:
        problem = {
            429: {
                "title": "Too Many Requests",
                "detail": "Too Many Requests",
                "type": "about:blank",
                "status": 429,
            },
            503: {
                "title": "Service Unavailable",
                "detail": "Service Unavailable",
                "type": "about:blank",
                "status": 503,
            },
        }
        handler.json(code, problem[code], headers(handler.server.clock) if headers else None)

    return step


@pytest.fixture
def x_server(request: pytest.FixtureRequest) -> Iterator[XReplay]:
    clock = FakeClock()
    server = XReplay(clock, getattr(request, "param", []))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield server
    server.stopping.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def x_settings(settings: Settings, server: XReplay, token: str = TOKEN) -> Settings:
    return derive_settings(
        settings,
        sources={
            "x_bearer_token": token,
            "x_base_url": server.url,
            "x_stall_seconds": STALL_S,
            "x_backfill_minutes": 1,
        },
    )


def test_x_stream_reconnects_with_documented_backoff_and_delivers_each_post_once(
    settings: Settings, x_server: XReplay, caplog: pytest.LogCaptureFixture
) -> None:
    lines = _x_lines()
    x_server.script = [
        stream(lines[0:8], then="cut", cut_line=lines[8]),  # keep-alives span > stall limit
        status(
            429,
            lambda clock: {
                "x-rate-limit-limit": "50",
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(clock.time()) + 150),
            },
        ),
        status(503),
        status(503),
        stream(lines[7:14], then="close"),  # backfill overlap (line 7) + operational disconnect
        stream(lines[14:17], then="stall"),
        hold(lines[17:19]),
    ]
    caplog.set_level(logging.DEBUG)
    ids = _x_post_ids()
    result = run_live_source(
        x_settings(settings, x_server),
        "x",
        max_events=len(ids),
        duration_s=3600,
        clock=x_server.clock,
    )

    causes = [(r["cause"], r["delay_s"]) for r in result["reconnects"]]
    assert [c for c, _ in causes] == ["network", "rate_limit", "http", "http", "network", "network"]
    delays = [d for _, d in causes]
    assert delays[0] == 0.25  # network errors: linear from 250 ms
    assert 148 <= delays[1] <= 150  # 429: one minute doubling, but never before x-rate-limit-reset
    assert delays[2:] == [5.0, 10.0, 0.25, 0.25]  # HTTP: 5 s doubling; a good connect resets
    assert x_server.clock.slept == pytest.approx(delays)
    details = [r["detail"] for r in result["reconnects"]]
    assert "incomplete chunked read" in details[0]  # cut mid-line: the half line is dropped
    assert "operational-disconnect UpstreamOperationalDisconnect" in details[4]
    assert details[5].startswith("stalled")
    assert (result["posts"], result["duplicates"], result["connections"]) == (12, 1, 4)
    assert result["keep_alives"] >= 4
    assert result["ingest"]["tweets"] == 12 and result["ingest"]["rejected_total"] == 0

    first = x_server.stream_requests[0]
    assert first["expansions"] == ["author_id"] and first["user.fields"] == ["username"]
    assert set(first["tweet.fields"][0].split(",")) >= {
        "created_at",
        "author_id",
        "public_metrics",
        "entities",
        "lang",
        "referenced_tweets",
    }
    assert first["backfill_minutes"] == ["1"]

    produced = [json.loads(v) for v in read_topic(settings, settings.kafka.tweets_topic, len(ids))]
    assert sorted(t["id"] for t in produced) == sorted(ids)  # all of them, none twice
    by_id = {t["id"]: t for t in produced}
    assert by_id["1859634220876816384"]["author_username"] == "mira_builds"
    assert by_id["1859634220876816384"]["referenced_type"] == "replied_to"
    assert TOKEN not in caplog.text and TOKEN not in json.dumps(result)


def test_x_stream_rules_add_list_delete_and_refusals(settings: Settings, x_server: XReplay) -> None:
    with XStreamClient(x_settings(settings, x_server).sources) as client:
        assert (
            client.add_rules([("#solar lang:en", "solar")], dry_run=True)[0].value
            == "#solar lang:en"
        )
        assert client.list_rules() == []  # dry run stored nothing
        added = client.add_rules([("#solar lang:en", "solar"), ("(#LLM OR #AI) -is:retweet", "ai")])
        assert [(r.value, r.tag) for r in client.list_rules()] == [
            ("#solar lang:en", "solar"),
            ("(#LLM OR #AI) -is:retweet", "ai"),
        ]
        with pytest.raises(XStreamError, match="DuplicateRule"):
            client.add_rules([("#solar lang:en", "")])
        assert client.delete_rules([added[0].id]) == 1
        assert [r.tag for r in client.list_rules()] == ["ai"]


def test_x_stream_refused_token_fails_fast_without_retrying(
    settings: Settings, x_server: XReplay, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-token-that-must-not-be-logged"
    with XStreamClient(
        x_settings(settings, x_server, token=wrong).sources, clock=x_server.clock
    ) as client:
        with pytest.raises(XStreamError, match="401"):
            client.run(_ListSink(), duration_s=60)
    assert x_server.clock.slept == []
    assert wrong not in caplog.text


def test_cli_manages_rules_and_says_when_the_token_is_missing(
    settings: Settings, x_server: XReplay, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRENDSTREAM_SOURCES__X_BASE_URL", x_server.url)
    monkeypatch.delenv("TRENDSTREAM_SOURCES__X_BEARER_TOKEN", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    missing = runner.invoke(main, ["source", "x-stream", "--rules-list"])
    assert missing.exit_code == 1 and "TRENDSTREAM_SOURCES__X_BEARER_TOKEN" in missing.output

    monkeypatch.setenv("TRENDSTREAM_SOURCES__X_BEARER_TOKEN", TOKEN)
    get_settings.cache_clear()
    added = runner.invoke(main, ["source", "x-stream", "--rules-add", "#solar", "--tag", "solar"])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(main, ["source", "x-stream", "--rules-list"])
    assert "#solar\tsolar" in listed.output
    assert TOKEN not in added.output + listed.output


class _ListSink:
    def __init__(self) -> None:
        self.records: list[tuple[Any, str]] = []

    def submit(self, raw: Any, position: str) -> bool:
        self.records.append((raw, position))
        return True

    def flush(self) -> None:
        pass


# --- the Jetstream replay server ------------------------------------------------------------


def _jetstream_events() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (LIVE / "jetstream_posts.jsonl").read_text().splitlines()]


def _jetstream_posts() -> list[dict[str, Any]]:
    return [
        e
        for e in _jetstream_events()
        if e["kind"] == "commit"
        and e["commit"]["operation"] == "create"
        and e["commit"]["collection"] == "app.bsky.feed.post"
    ]


class JetstreamReplay:
    """Replays the recording from ``cursor`` (like Jetstream); connection 1 may drop mid-way."""

    def __init__(self, drop_after: int | None) -> None:
        self.events = _jetstream_events()
        self.drop_after = drop_after
        self.requests: list[dict[str, list[str]]] = []
        self.stopping = threading.Event()
        self.server = serve(self.handle, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/subscribe"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path).query)
        self.requests.append(query)
        cursor = int(query["cursor"][0]) if "cursor" in query else 0
        replay = [e for e in self.events if e["time_us"] >= cursor]
        drop = self.drop_after if len(self.requests) == 1 else None
        for index, event in enumerate(replay):
            if index == drop:
                ws.socket.shutdown(socket.SHUT_RDWR)  # vanish without a close frame
                return
            ws.send(json.dumps(event))
        try:  # stay open, like the live tail, until the client leaves
            while not self.stopping.is_set():
                try:
                    ws.recv(timeout=0.2)
                except TimeoutError:
                    continue
        except ConnectionClosed:
            pass

    def close(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def jetstream(request: pytest.FixtureRequest) -> Iterator[JetstreamReplay]:
    server = JetstreamReplay(drop_after=getattr(request, "param", None))
    yield server
    server.close()


def js_settings(settings: Settings, server: JetstreamReplay) -> Settings:
    return derive_settings(
        settings,
        sources={
            "bluesky_jetstream_url": server.url,
            "bluesky_cursor_margin_s": JETSTREAM_MARGIN_S,
            "bluesky_stall_seconds": 10.0,
        },
    )


def _assert_every_post_once(settings: Settings) -> None:
    posts = _jetstream_posts()
    valid = [p for p in posts if not p["commit"]["record"]["createdAt"].startswith("0001")]
    produced = [
        json.loads(v) for v in read_topic(settings, settings.kafka.tweets_topic, len(valid))
    ]
    expected = sorted(f"at://{p['did']}/app.bsky.feed.post/{p['commit']['rkey']}" for p in valid)
    assert sorted(t["uri"] for t in produced) == expected  # no gaps, no duplicates
    dead = [parse_dead_letter(v) for v in read_topic(settings, settings.kafka.dead_letter_topic, 1)]
    assert [(d["reason"], d["source"]) for d in dead] == [("bad_timestamp", "bluesky")]


@pytest.mark.parametrize("jetstream", [9], indirect=True)
def test_jetstream_drop_resumes_from_cursor_without_gaps_or_duplicates(
    settings: Settings, jetstream: JetstreamReplay
) -> None:
    clock = FakeClock()
    posts = _jetstream_posts()
    result = run_live_source(
        js_settings(settings, jetstream),
        "bluesky",
        max_events=len(posts),
        duration_s=30,
        dids=["did:plc:z72i7hdynmk6r22z27h6tvur"],
        clock=clock,
    )
    events = jetstream.events
    first, second = jetstream.requests
    assert first["wantedCollections"] == ["app.bsky.feed.post"]
    assert first["wantedDids"] == ["did:plc:z72i7hdynmk6r22z27h6tvur"]
    assert "cursor" not in first
    # resumed from the last event processed before the drop, minus the safety margin
    assert int(second["cursor"][0]) == events[8]["time_us"] - int(JETSTREAM_MARGIN_S * 1e6)
    assert [(r["cause"], r["delay_s"]) for r in result["reconnects"]] == [("network", 1.0)]
    assert clock.slept == [1.0]
    assert (result["posts"], result["connections"]) == (len(posts), 2)
    assert result["duplicates"] == 4  # the replayed overlap, dropped before Kafka
    _assert_every_post_once(settings)
    saved = json.loads(settings.paths.bluesky_cursor_file.read_text())
    assert saved["time_us"] == max(p["time_us"] for p in posts)


def test_jetstream_restart_resumes_from_the_saved_cursor(
    settings: Settings, jetstream: JetstreamReplay
) -> None:
    configured = js_settings(settings, jetstream)
    posts = _jetstream_posts()
    for run in (5, len(posts) - 5):  # two processes' worth of runs sharing the cursor file
        with Ingestor(configured, "bluesky") as ingestor:
            stats = JetstreamClient(configured).run(ingestor, max_events=run, duration_s=20)
        assert stats.posts == run
    saved_after_first = posts[4]["time_us"]
    assert int(jetstream.requests[1]["cursor"][0]) == saved_after_first - int(
        JETSTREAM_MARGIN_S * 1e6
    )
    _assert_every_post_once(settings)


def test_cli_streams_bluesky_with_settings_from_the_environment(
    settings: Settings, jetstream: JetstreamReplay, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRENDSTREAM_SOURCES__BLUESKY_JETSTREAM_URL", jetstream.url)
    get_settings.cache_clear()
    result = CliRunner().invoke(
        main,
        [
            "source",
            "bluesky",
            "--max-events",
            "3",
            "--duration",
            "20",
            "--did",
            "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    assert (summary["posts"], summary["ingest"]["tweets"]) == (3, 3)
    assert jetstream.requests[0]["wantedDids"] == ["did:plc:ewvi7nxzyoun6zhxrhs64oiz"]
    assert settings.paths.bluesky_cursor_file.is_file()


def test_sigterm_ends_a_cli_run_with_posts_flushed_and_cursor_saved(
    settings: Settings, jetstream: JetstreamReplay
) -> None:
    env = {**os.environ, "TRENDSTREAM_SOURCES__BLUESKY_JETSTREAM_URL": jetstream.url}
    cli = str(Path(sys.executable).parent / "trendstream")
    command = [cli, "source", "bluesky", "--duration", "60"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not jetstream.requests and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # the replay is sent at once; the client is idle on the live tail
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    finally:
        process.kill()
    assert "Aborted" in output, output
    saved = json.loads(settings.paths.bluesky_cursor_file.read_text())
    assert saved["time_us"] == jetstream.events[-1]["time_us"]
    _assert_every_post_once(settings)
