"""A seedable synthetic tweet stream with planted trends, decoys and ground truth.

The same :class:`GeneratorConfig` always gives byte-identical files.
Design: docs/sources.md#synthetic-stream
"""

from __future__ import annotations

import heapq
import math
import random
import string
from bisect import bisect
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any

import orjson

from trendstream.core.schema import format_time
from trendstream.sources.corpus import (
    BOT_RING,
    CHATTER,
    CHATTER_WEIGHTS,
    DECOYS,
    SPAM,
    STORM_POST,
    TREND_CLOSERS,
    TREND_OPENERS,
    TRENDS,
    WILD_TRENDS,
    WORLDCUP_SPELLINGS,
    Family,
)

TWITTER_EPOCH_MS = 1288834974657
DEFAULT_START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TWEETS_FILE = "tweets.jsonl"
ENGAGEMENTS_FILE = "engagements.jsonl"
GROUND_TRUTH_FILE = "ground_truth.json"
_WORKER_TWEETS = 1
_WORKER_ENGAGEMENTS = 2
_ENGAGEMENT_TYPES = ("like", "retweet", "reply", "quote", "follow")
_ENGAGEMENT_CUM = tuple(accumulate((0.6, 0.15, 0.1, 0.05, 0.1)))
PROFILES = ("clean", "wild")
# The wild profile (docs/sources.md#wild-profile): its stories, decoys and their sizes.
WILD_REGULAR_TRENDS = 4
WILD_CHATTER_RETWEETS = 0.3  # retweets mixed into chatter (clean: retweet_share for all)
SPAM_POSTS = 100
STORM_RETWEETS = 200
BOT_ACCOUNTS = 80
FADED_TRICKLE = 0.05  # a faded burst's leftover rate, as a share of its peak
_CASE_SPAM, _CASE_STORM, _CASE_BOTS = 0, 1, 2


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. ``rate`` is background (chatter) posts per second; trends and
    decoys come on top of it, scaled from it, so the shape is the same at any rate."""

    seed: int = 7
    minutes: float = 60.0
    rate: float = 20.0
    start: datetime = DEFAULT_START
    trends: int | None = None  # default: 6 per hour, at least 2
    decoys: int = 3
    trend_peak_share: float = 0.3  # a trend's peak rate as a share of ``rate``
    decoy_share: float = 0.06  # each decoy's constant rate as a share of ``rate``
    hashtag_use: float = 0.85  # share of a hashtag trend's posts that carry the tag
    users: int = 5000
    engagements_per_post: float = 0.6  # chatter; trend posts get 4x
    retweet_share: float = 0.1
    reply_share: float = 0.06
    quote_share: float = 0.03
    profile: str = "clean"  # "wild" adds spam, storms, bot rings, ramps, tag spellings …

    def __post_init__(self) -> None:
        if self.minutes <= 0 or self.rate <= 0:
            raise ValueError("minutes and rate must be positive")
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}")
        if self.start.tzinfo is None:
            object.__setattr__(self, "start", self.start.replace(tzinfo=UTC))
        if self.trend_count > len(TRENDS):
            raise ValueError(f"at most {len(TRENDS)} trends (one per written family)")
        if self.decoys > len(DECOYS):
            raise ValueError(f"at most {len(DECOYS)} decoys")

    @property
    def trend_count(self) -> int:
        """Regular planted trends (the wild profile's cases come on top)."""
        if self.trends is not None:
            return self.trends
        if self.profile == "wild":
            return WILD_REGULAR_TRENDS
        return max(2, round(6 * self.minutes / 60))

    @property
    def seconds(self) -> int:
        return max(1, round(self.minutes * 60))


@dataclass(frozen=True)
class PlantedTrend:
    trend_id: str
    kind: str  # "hashtag" | "no_hashtag"
    hashtag: str | None
    description: str
    start_s: float
    peak_s: float
    end_s: float
    family: Family = field(repr=False)
    case: str = ""  # wild profile: which case this story is ("" = a regular trend)
    shape: str = "burst"  # "burst" | "linear" (slow ramp) | "faded" (burst, then a trickle)

    def intensity(self, t: float) -> float:
        """0..1 share of the peak rate at second ``t``: rise, peak, fade (convex sides); a
        ``linear`` ramp rises evenly to its end; a ``faded`` burst is over by
        ``peak + 2·(peak − start)`` and trickles on at ``FADED_TRICKLE`` until ``end``."""
        if t < self.start_s or t >= self.end_s:
            return 0.0
        if self.shape == "linear":
            return (t - self.start_s) / (self.end_s - self.start_s)
        end = self.end_s
        if self.shape == "faded":
            end = self.peak_s + 2 * (self.peak_s - self.start_s)
            if t >= end:
                return FADED_TRICKLE
        if t < self.peak_s:
            return ((t - self.start_s) / (self.peak_s - self.start_s)) ** 1.5
        return ((end - t) / (end - self.peak_s)) ** 1.5


@dataclass
class GeneratedStream:
    """A stream held in memory: JSONL lines (without newlines) and the ground truth."""

    config: GeneratorConfig
    tweets: list[bytes]
    engagements: list[bytes]
    ground_truth: dict[str, Any]


@dataclass(frozen=True)
class StreamPaths:
    tweets: Path
    engagements: Path
    ground_truth: Path


def plan_trends(
    config: GeneratorConfig, rng: random.Random, pool: tuple[Family, ...] = TRENDS
) -> list[PlantedTrend]:
    """Pick families from ``pool`` and place them in time: after a warm-up (so a baseline
    exists), spread over the stream, alternating hashtag and no-hashtag kinds."""
    total = config.seconds
    families = rng.sample(pool, config.trend_count)
    duration = min(max(total * 0.2, 180.0), 1200.0, total * 0.6)
    first, last = total * 0.2, max(total * 0.2, total * 0.95 - duration)
    n = len(families)
    plans = []
    for i, family in enumerate(families):
        slot = first + (last - first) * (i / max(n - 1, 1))
        start = min(max(first, slot + rng.uniform(-0.05, 0.05) * duration), last)
        peak = start + duration * rng.uniform(0.35, 0.5)
        kind = "hashtag" if i % 2 == 0 else "no_hashtag"
        plans.append(
            PlantedTrend(
                trend_id=f"trend-{i + 1:02d}-{family.slug}",
                kind=kind,
                hashtag=family.hashtag.lower() if kind == "hashtag" and family.hashtag else None,
                description=family.description,
                start_s=round(start, 3),
                peak_s=round(peak, 3),
                end_s=round(start + duration, 3),
                family=family,
            )
        )
    return plans


WILD_CASE_FAMILIES = {
    "faded_burst": "aurora-splashdown",
    "slow_ramp": "heat-record",
    "close_story_a": "subway-strike",
    "close_story_b": "metro-fare-rise",
    "hashtag_variants": "worldcup-final",
}


def plan_wild(config: GeneratorConfig, rng: random.Random) -> list[PlantedTrend]:
    """The wild profile's stories: regular trends from the families no case uses, plus a
    faded burst (a decoy: over long before most windows), a slow linear ramp, two close but
    distinct stories at once, and a story whose tag comes in several spellings."""
    total = config.seconds
    families = {f.slug: f for f in (*TRENDS, *WILD_TRENDS)}
    used = set(WILD_CASE_FAMILIES.values())
    regular = plan_trends(config, rng, tuple(f for f in TRENDS if f.slug not in used))
    duration = min(max(total * 0.2, 180.0), 1200.0, total * 0.6)

    def case(name: str, kind: str, start: float, peak: float, end: float, shape: str):
        family = families[WILD_CASE_FAMILIES[name]]
        return PlantedTrend(
            trend_id=f"case-{name}-{family.slug}",
            kind=kind,
            hashtag=family.hashtag.lower() if kind == "hashtag" and family.hashtag else None,
            description=family.description,
            start_s=round(start, 3),
            peak_s=round(peak, 3),
            end_s=round(end, 3),
            family=family,
            case=name,
            shape=shape,
        )

    close = total * 0.45
    return [
        *regular,
        case("faded_burst", "no_hashtag", total * 0.03, total * 0.06, total, "faded"),
        case("slow_ramp", "no_hashtag", total * 0.3, total, total, "linear"),
        case("close_story_a", "hashtag", close, close + duration * 0.4, close + duration, "burst"),
        case(
            "close_story_b", "no_hashtag", close, close + duration * 0.4, close + duration, "burst"
        ),
        case(
            "hashtag_variants",
            "hashtag",
            total * 0.62,
            total * 0.62 + duration * 0.4,
            total * 0.62 + duration,
            "burst",
        ),
    ]


class _Templates:
    """A family's templates prepared for fast filling (slot names parsed once)."""

    __slots__ = ("family", "items")

    def __init__(self, family: Family) -> None:
        self.family = family
        self.items = [
            (t, [name for _, name, _, _ in string.Formatter().parse(t) if name])
            for t in family.templates
        ]

    def fill(self, rnd: Any) -> str:
        template, names = self.items[int(rnd() * len(self.items))]
        if not names:
            return template
        slots = self.family.slots
        values = {}
        for name in names:
            options = slots[name]
            values[name] = options[int(rnd() * len(options))]
        return " ".join(template.format_map(values).split())


class _Generator:
    """Generates second by second; engagements wait in a heap until their time comes."""

    def __init__(self, config: GeneratorConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.rnd = self.rng.random
        self.start_ms = int(config.start.timestamp() * 1000)
        self.wild = config.profile == "wild"
        self.trends = plan_wild(config, self.rng) if self.wild else plan_trends(config, self.rng)
        self.decoys = list(DECOYS[: config.decoys])
        self.chatter = [_Templates(f) for f in CHATTER]
        self.chatter_cum = list(accumulate(CHATTER_WEIGHTS))
        self.trend_templates = [_Templates(t.family) for t in self.trends]
        self.decoy_templates = [_Templates(f) for f in self.decoys]
        self.users = self._make_users(config.users)
        # Recent posts per family, for retweets / replies / quotes: family key → ring.
        self.recent: dict[str, list[tuple[str, str, str]]] = {}
        self.members: dict[str, list[str]] = {t.trend_id: [] for t in self.trends}
        self.decoy_counts: dict[str, int] = {f.slug: 0 for f in self.decoys}
        self.pending: list[tuple[int, int, int, str, str]] = []  # engagement heap
        self.seq = 0
        self.last_id_ms = {_WORKER_TWEETS: -1, _WORKER_ENGAGEMENTS: -1}
        self.id_seq = {_WORKER_TWEETS: 0, _WORKER_ENGAGEMENTS: 0}
        self.tweet_count = 0
        self.engagement_count = 0
        # Wild-profile decoys: posts planned per second, their members, their accounts.
        self.case_events: dict[int, list[tuple[int, int]]] = {}
        self.case_members: dict[int, list[str]] = {_CASE_SPAM: [], _CASE_STORM: [], _CASE_BOTS: []}
        self.spam_templates = _Templates(SPAM)
        self.bot_templates = _Templates(BOT_RING)
        self.storm_original: tuple[str, str] | None = None  # (tweet id, handle)
        self.bots_posted = 0
        if self.wild:
            self.spam_user = self.users[int(self.rnd() * len(self.users))]
            self.storm_user = self.users[int(self.rnd() * len(self.users))]
            self._plan_cases()

    # --- identities ------------------------------------------------------------------

    def _make_users(self, n: int) -> list[tuple[str, str, str]]:
        syllables = [
            "ka",
            "lo",
            "mi",
            "ra",
            "ne",
            "to",
            "su",
            "vi",
            "an",
            "el",
            "or",
            "ju",
            "pa",
            "de",
            "si",
            "mo",
            "ri",
            "za",
            "be",
            "no",
            "ta",
            "li",
            "ku",
            "xe",
        ]
        firsts = [
            "Alex",
            "Sam",
            "Maya",
            "Leo",
            "Nina",
            "Omar",
            "Iris",
            "Theo",
            "Zoe",
            "Ravi",
            "Ana",
            "Jonas",
            "Mei",
            "Luca",
            "Sara",
            "Kofi",
            "Elif",
            "Tom",
            "Yuki",
            "Ines",
        ]
        users = []
        for i in range(n):
            handle = "".join(self.rng.choice(syllables) for _ in range(self.rng.randint(2, 4)))
            handle = f"{handle}{self.rng.choice(['', '_', ''])}{self.rng.randint(0, 999)}"[:15]
            uid = str(10_000_000 + i * 7919 + self.rng.randint(0, 7918))
            users.append((uid, handle, f"{self.rng.choice(firsts)} {handle[:1].upper()}."))
        return users

    def _snowflake(self, ms: int, worker: int) -> int:
        if ms == self.last_id_ms[worker]:
            self.id_seq[worker] += 1
        else:
            self.last_id_ms[worker] = ms
            self.id_seq[worker] = 0
        return ((ms - TWITTER_EPOCH_MS) << 22) | (worker << 17) | (self.id_seq[worker] & 0x1FFFF)

    def _plan_cases(self) -> None:
        """When each wild decoy posts: a spam burst at 35–40 % of the stream, a retweet storm
        from 50 % (original first, retweets over the next five minutes), a bot ring at
        75–80 %."""
        total = self.config.seconds
        plans = (
            (_CASE_SPAM, total * 0.35, total * 0.05, SPAM_POSTS),
            (_CASE_STORM, total * 0.5 + 30, 300.0, STORM_RETWEETS),
            (_CASE_BOTS, total * 0.75, total * 0.05, BOT_ACCOUNTS),
        )
        times = [(total * 0.5, _CASE_STORM)]  # the storm's original post
        for case, start, span, n in plans:
            times += [(start + self.rnd() * span, case) for _ in range(n)]
        for at, case in sorted(times):
            if at < total:
                ms = int(at * 1000)
                self.case_events.setdefault(ms // 1000, []).append((ms % 1000, case))

    # --- posts -----------------------------------------------------------------------

    def _count(self, expected: float) -> int:
        """An integer draw with the given mean (floor + Bernoulli on the fraction)."""
        whole = int(expected)
        return whole + (1 if self.rnd() < expected - whole else 0)

    def _second(self, s: int) -> list[bytes]:
        c = self.config
        rnd = self.rnd
        t = s + 0.5
        # Each planned post: (ms offset, family kind, index).
        plan: list[tuple[int, int, int]] = []
        for _ in range(self._count(c.rate)):
            topic = bisect(self.chatter_cum, rnd() * self.chatter_cum[-1])
            plan.append((int(rnd() * 1000), 0, topic))
        for i in range(len(self.decoys)):
            for _ in range(self._count(c.rate * c.decoy_share)):
                plan.append((int(rnd() * 1000), 1, i))
        for i, trend in enumerate(self.trends):
            level = trend.intensity(t)
            if level:
                for _ in range(self._count(c.rate * c.trend_peak_share * level)):
                    ms = int(rnd() * 1000)
                    # Keep members strictly inside [start, end].
                    if trend.start_s * 1000 <= s * 1000 + ms < trend.end_s * 1000:
                        plan.append((ms, 2, i))
        plan.extend((ms, 3, case) for ms, case in self.case_events.get(s, ()))
        plan.sort()
        base = self.start_ms + s * 1000
        return [self._post(base + ms, kind, index) for ms, kind, index in plan]

    def _post(self, ms: int, kind: int, index: int) -> bytes:
        if kind == 3:
            return self._case_post(ms, index)
        c = self.config
        rnd = self.rnd
        user = self.users[int(rnd() * len(self.users))]
        tid = str(self._snowflake(ms, _WORKER_TWEETS))
        retweet_share = c.retweet_share
        if kind == 0:
            templates = self.chatter[index]
            family = templates.family
            key = family.slug
            text = templates.fill(rnd)
            if family.hashtags and rnd() < 0.15:
                tag = family.hashtags[int(rnd() * len(family.hashtags))]
                text = f"{text} {tag}"
            engagement_mean = c.engagements_per_post
            if self.wild:
                retweet_share = WILD_CHATTER_RETWEETS
        elif kind == 1:
            templates = self.decoy_templates[index]
            family = templates.family
            key = "decoy:" + family.slug
            text = templates.fill(rnd)
            if family.hashtags and rnd() < 0.9:
                text = f"{text} {family.hashtags[0]}"
            self.decoy_counts[family.slug] += 1
            engagement_mean = c.engagements_per_post
        else:
            trend = self.trends[index]
            templates = self.trend_templates[index]
            family = templates.family
            key = trend.trend_id
            opener = TREND_OPENERS[int(rnd() * len(TREND_OPENERS))]
            closer = TREND_CLOSERS[int(rnd() * len(TREND_CLOSERS))]
            text = " ".join(filter(None, (opener, templates.fill(rnd), closer)))
            if trend.hashtag and rnd() < c.hashtag_use:
                tag = "#" + (family.hashtag or "")
                if trend.case == "hashtag_variants":
                    tag = WORLDCUP_SPELLINGS[int(rnd() * len(WORLDCUP_SPELLINGS))]
                text = f"{tag} {text}" if rnd() < 0.25 else f"{text} {tag}"
            self.members[key].append(tid)
            engagement_mean = c.engagements_per_post * 4
        ref: tuple[str, str] | None = None
        recent = self.recent.setdefault(key, [])
        if recent:
            r = rnd()
            if r < retweet_share:
                rid, rname, rtext = recent[int(rnd() * len(recent))]
                text, ref = f"RT @{rname}: {rtext}", ("retweeted", rid)
            elif r < retweet_share + c.reply_share:
                rid, rname, _ = recent[int(rnd() * len(recent))]
                text, ref = f"@{rname} {text}", ("replied_to", rid)
            elif r < retweet_share + c.reply_share + c.quote_share:
                rid, _, _ = recent[int(rnd() * len(recent))]
                ref = ("quoted", rid)
        if ref is None or ref[0] != "retweeted":
            if len(recent) < 64:
                recent.append((tid, user[1], text))
            else:
                recent[int(rnd() * 64)] = (tid, user[1], text)
        return self._emit(ms, tid, user, text, family.lang, ref, engagement_mean)

    def _case_post(self, ms: int, case: int) -> bytes:
        """A wild decoy's post: one spammer's promotion, the storm's original or one of its
        retweets, or a fresh bot account's pitch."""
        rnd = self.rnd
        tid = str(self._snowflake(ms, _WORKER_TWEETS))
        ref: tuple[str, str] | None = None
        if case == _CASE_SPAM:
            user, text = self.spam_user, self.spam_templates.fill(rnd)
        elif case == _CASE_STORM and self.storm_original is None:
            user, text = self.storm_user, STORM_POST
            self.storm_original = (tid, user[1])
        elif case == _CASE_STORM:
            user = self.users[int(rnd() * len(self.users))]
            text = f"RT @{self.storm_original[1]}: {STORM_POST}"
            ref = ("retweeted", self.storm_original[0])
        else:
            self.bots_posted += 1
            n = self.bots_posted
            user = (str(900_000_000 + n), f"moonfan{n:04d}", f"Moon Fan {n}")
            text = self.bot_templates.fill(rnd)
        self.case_members[case].append(tid)
        return self._emit(ms, tid, user, text, "en", ref, self.config.engagements_per_post)

    def _emit(
        self,
        ms: int,
        tid: str,
        user: tuple[str, str, str],
        text: str,
        lang: str,
        ref: tuple[str, str] | None,
        engagement_mean: float,
    ) -> bytes:
        """One post as an X API v2 line (metrics, entities, references), engagements planned."""
        rnd = self.rnd
        hashtags: list[str] = []
        if "#" in text:
            hashtags = [w for w in text.split() if w.startswith("#") and len(w) > 1]
        data: dict[str, Any] = {
            "id": tid,
            "text": text,
            "author_id": user[0],
            "created_at": self._iso(ms),
            "lang": lang,
            "conversation_id": ref[1] if ref and ref[0] == "replied_to" else tid,
            "public_metrics": {
                "retweet_count": int(rnd() * rnd() * 20),
                "reply_count": int(rnd() * rnd() * 8),
                "like_count": int(rnd() * rnd() * 80),
                "quote_count": int(rnd() * rnd() * 3),
            },
            "edit_history_tweet_ids": [tid],
        }
        entities: dict[str, Any] = {}
        if hashtags:
            entities["hashtags"] = [self._entity(text, h, "tag") for h in hashtags]
        if text.startswith("@") or text.startswith("RT @"):
            name = text.split("@", 1)[1].split(":", 1)[0].split(" ", 1)[0]
            entities["mentions"] = [self._entity(text, "@" + name, "username")]
        if entities:
            data["entities"] = entities
        if ref is not None:
            data["referenced_tweets"] = [{"type": ref[0], "id": ref[1]}]
        line = orjson.dumps(
            {
                "data": data,
                "includes": {"users": [{"id": user[0], "name": user[2], "username": user[1]}]},
            }
        )
        self.tweet_count += 1
        self._plan_engagements(ms, tid, user[0], engagement_mean)
        return line

    @staticmethod
    def _entity(text: str, token: str, field_name: str) -> dict[str, Any]:
        start = text.find(token)
        return {"start": start, "end": start + len(token), field_name: token[1:]}

    @staticmethod
    def _iso(ms: int) -> str:
        return f"{_second_prefix(ms // 1000)}{ms % 1000:03d}Z"

    # --- engagements -------------------------------------------------------------------

    def _plan_engagements(self, ms: int, tweet_id: str, author_id: str, mean: float) -> None:
        rnd = self.rnd
        n = self._count(mean * 2 * rnd())
        end_ms = self.start_ms + self.config.seconds * 1000 - 1
        for _ in range(n):
            delay = int(-60000 * math.log1p(-rnd()))  # exponential, mean one minute
            r = rnd()
            kind = 0
            while kind < 4 and r >= _ENGAGEMENT_CUM[kind]:
                kind += 1
            user = self.users[int(rnd() * len(self.users))][0]
            self.seq += 1
            heapq.heappush(
                self.pending,
                (
                    min(ms + delay, end_ms),
                    self.seq,
                    kind,
                    user,
                    tweet_id if kind != 4 else author_id,
                ),
            )

    def _due_engagements(self, until_ms: int) -> list[bytes]:
        out = []
        pending = self.pending
        while pending and pending[0][0] < until_ms:
            ms, _, kind, user, target = heapq.heappop(pending)
            etype = _ENGAGEMENT_TYPES[kind]
            out.append(
                orjson.dumps(
                    {
                        "kind": "engagement",
                        "id": str(self._snowflake(ms, _WORKER_ENGAGEMENTS)),
                        "type": etype,
                        "user_id": user,
                        "created_at": self._iso(ms),
                        "tweet_id": target if etype != "follow" else "",
                        "target_user_id": target if etype == "follow" else "",
                        "source": "generator",
                    }
                )
            )
        self.engagement_count += len(out)
        return out

    # --- the whole stream --------------------------------------------------------------

    def chunks(self, seconds_per_chunk: int = 10) -> Iterator[tuple[list[bytes], list[bytes]]]:
        """(tweet lines, engagement lines) per ``seconds_per_chunk``, both in time order."""
        total = self.config.seconds
        for first in range(0, total, seconds_per_chunk):
            tweets: list[bytes] = []
            engagements: list[bytes] = []
            for s in range(first, min(first + seconds_per_chunk, total)):
                tweets.extend(self._second(s))
                engagements.extend(self._due_engagements(self.start_ms + (s + 1) * 1000))
            yield tweets, engagements
        yield [], self._due_engagements(1 << 62)

    def ground_truth(self) -> dict[str, Any]:
        c = self.config
        at = self.config.start

        def iso(sec: float) -> str:
            return format_time(at + timedelta(seconds=sec))

        config = asdict(c)
        config["start"] = iso(0)
        return {
            "config": config,
            "stream": {
                "start": iso(0),
                "end": iso(c.seconds),
                "tweets": self.tweet_count,
                "engagements": self.engagement_count,
            },
            "trends": [
                {
                    "trend_id": t.trend_id,
                    "kind": t.kind,
                    **({"case": t.case} if t.case else {}),
                    "hashtag": t.hashtag,
                    "description": t.description,
                    "start": iso(t.start_s),
                    "peak": iso(t.peak_s),
                    "end": iso(t.end_s),
                    "size": len(self.members[t.trend_id]),
                    "member_tweet_ids": self.members[t.trend_id],
                }
                for t in self.trends
                if t.shape != "faded"
            ],
            "decoys": [
                {
                    "decoy_id": f"decoy-{f.slug}",
                    "hashtag": f.hashtag.lower() if f.hashtag else None,
                    "description": f.description,
                    "rate_per_minute": round(c.rate * c.decoy_share * 60, 2),
                    "size": self.decoy_counts[f.slug],
                }
                for f in self.decoys
            ]
            + self._case_decoys(),
        }

    def _case_decoys(self) -> list[dict[str, Any]]:
        """The wild profile's decoys, with their posts: none may be reported as a trend."""
        if not self.wild:
            return []
        named = {
            _CASE_SPAM: ("spam_burst", SPAM.description),
            _CASE_STORM: ("retweet_storm", "one post retweeted by many accounts"),
            _CASE_BOTS: ("bot_ring", BOT_RING.description),
        }
        out = [
            {
                "decoy_id": f"case-{name}",
                "case": name,
                "hashtag": None,
                "description": description,
                "size": len(self.case_members[case]),
                "member_tweet_ids": self.case_members[case],
            }
            for case, (name, description) in named.items()
        ]
        out += [
            {
                "decoy_id": t.trend_id,
                "case": t.case,
                "hashtag": None,
                "description": f"{t.description} (faded long before most windows)",
                "size": len(self.members[t.trend_id]),
                "member_tweet_ids": self.members[t.trend_id],
            }
            for t in self.trends
            if t.shape == "faded"
        ]
        return out


@lru_cache(maxsize=8192)
def _second_prefix(epoch_s: int) -> str:
    """ "2025-06-01T12:00:05." for an epoch second; strftime per post was a hot spot."""
    return datetime.fromtimestamp(epoch_s, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.")


def generate_stream(config: GeneratorConfig) -> GeneratedStream:
    """The whole stream in memory (for tests and the quality harness; small streams)."""
    gen = _Generator(config)
    tweets: list[bytes] = []
    engagements: list[bytes] = []
    for t, e in gen.chunks():
        tweets.extend(t)
        engagements.extend(e)
    return GeneratedStream(config, tweets, engagements, gen.ground_truth())


def write_stream(
    out_dir: Path | str,
    config: GeneratorConfig,
    progress: Any = None,
) -> StreamPaths:
    """Write tweets.jsonl, engagements.jsonl and ground_truth.json into ``out_dir``.

    Streams to disk chunk by chunk, so memory stays flat for million-event runs.
    ``progress(seconds_done, seconds_total)`` is called after each chunk when given.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = StreamPaths(out / TWEETS_FILE, out / ENGAGEMENTS_FILE, out / GROUND_TRUTH_FILE)
    gen = _Generator(config)
    done = 0
    with paths.tweets.open("wb") as tf, paths.engagements.open("wb") as ef:
        for tweets, engagements in gen.chunks(seconds_per_chunk=10):
            if tweets:
                tf.write(b"\n".join(tweets) + b"\n")
            if engagements:
                ef.write(b"\n".join(engagements) + b"\n")
            done = min(done + 10, config.seconds)
            if progress is not None:
                progress(done, config.seconds)
    paths.ground_truth.write_bytes(
        orjson.dumps(gen.ground_truth(), option=orjson.OPT_INDENT_2) + b"\n"
    )
    return paths
