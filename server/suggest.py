"""Smart Assist's ranking: similar cases and relevant knowledge articles for the words a case (or a conversation)
is written in, never for its topic or subject label, so it works on free text as agents and customers write it.

Two stages, both over the database's own full-text index (``server.db.search``, SQLite FTS5 or PostgreSQL):

1. **Retrieve.** The source's words become index terms (the engine's own stemmer), weighted by field (a title says
   what the problem is: 3x; description, notes and messages 1x) and by rarity (BM25 idf from the index's document
   counts). The rarest-and-most-said terms form small conjunctions (the best three, then pairs of the best four,
   then single terms if those found too little), searched as one OR of conjunctions; the engine reads at most a
   bounded number of matches, newest first, with its field-weighted rank (bm25 with column weights / ts_rank
   with A/B weights; for cases on SQLite the rerank's own field weighting stands in, see ``_rank``).
2. **Rerank** the pooled candidates in Python with the same term statistics: the share of the source's weighted
   terms a candidate holds, each saturated by its count and normalised by the candidate's length against the pool
   (BM25's k1/b). That share is the confidence (0-1); the shared terms, heaviest first, are the key phrases.

Feedback: a "No" for a suggestion hides it for that case and, like every vote, nudges its confidence everywhere
(each net vote 10%, within 0.5x-1.2x). Resolved cases come first among the best. Measured in
``bench/smart_assist.py`` and written up in ``docs/productivity.md``.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import combinations

from sqlalchemy.engine import Connection

from server.db.budget import check_deadline
from server.db.search import Candidate, SearchEngine

# Common English function words: the FTS5 porter tokenizer indexes them (PostgreSQL drops its own list). Not
# "off", "down" or "not": in support text they say what is wrong ("printer off", "site down").
STOP_WORDS = frozenset("""
a about after again against all also am an and any are as at be been before being below between both but by can
cannot could did do does doing done during each even ever every few for from further get gets got had has
have having he her here hers him his how i if in into is it its itself just last let like made make many may me
more most much must my new no nor now of on once one only or other our ours out over own per please same
she should since so some still such than that the their them then there these they this those through to too
two under until up us very via want wants was we were what when where which while who whom why will with within
without would yes yet you your yours
""".split())
_WORD = re.compile(r"[^\W_]+")

TITLE_WEIGHT = 3.0
BODY_WEIGHT = 1.0
RETRIEVAL_TERMS = 8  # terms a source contributes to retrieval at most
COMMON_SHARE = 0.25  # a term in more than this share of records is too common to retrieve by (still scored)
CANDIDATES = 150  # matches read for one source (newest first, all groups together): bounds the work at any scale
MIN_POOL = 30  # below this many candidates from conjunctions, single terms are tried as well
MIN_CONFIDENCE = 0.15  # below this a suggestion is noise: the empty state is more honest
# Evidence: the summed idf of the shared terms. Two distinctive words in common (idf ~3.4 each: a word in one
# record of 30) are the least that says "same problem"; "customer" + "called" (idf ~1 and ~2.2) is not. Below
# EVIDENCE_FULL the confidence is scaled down in proportion.
MIN_EVIDENCE = 5.0
EVIDENCE_FULL = 8.0
K1, B = 1.2, 0.75
CANDIDATE_FIELDS = {"incident": (("title", 2.0), ("description", 1.0)),
                    "knowledgearticle": (("title", 2.0), ("keywords", 1.5), ("content", 1.0))}
STATS_TTL = 300.0  # seconds a document count is reused: term statistics drift slowly
CACHE_LIMIT = 50_000


def words_of(text: str | None) -> list[str]:
    """The meaningful words of ``text``: lower-case letters/digits, no stop words, no one-letter or short numbers."""
    return [w for w in _WORD.findall((text or "").lower())
            if len(w) > 1 and w not in STOP_WORDS and not (w.isdigit() and len(w) < 3)]


@dataclass(frozen=True)
class Suggestion:
    """One card's data."""

    kind: str  # "case" or "article"
    id: str
    title: str
    confidence: float
    keyphrases: list[str]
    summary: str
    fields: dict = field(default_factory=dict)
    engine_score: float = 0.0

    def to_json(self) -> dict:
        body = {"id": self.id, "title": self.title, "confidence": round(self.confidence, 3),
                "keyphrases": self.keyphrases, "summary": self.summary}
        if self.kind == "case":
            body.update(statecode=self.fields.get("statecode"), statuscode=self.fields.get("statuscode"),
                        resolution=self.fields.get("resolution"), ticketnumber=self.fields.get("ticketnumber"))
        else:
            body.update(articlepublicnumber=self.fields.get("articlepublicnumber"))
        return body


@dataclass(frozen=True)
class Votes:
    """Feedback on one suggestion: this source's own verdict (if any) and every source's totals."""

    here: bool | None = None
    yes: int = 0
    no: int = 0

    @property
    def factor(self) -> float:
        return min(1.2, max(0.5, 1.0 + 0.1 * (self.yes - self.no)))


VotesLoader = Callable[[Connection, str, list[str]], dict[str, Votes]]


def _no_votes(conn: Connection, kind: str, ids: list[str]) -> dict[str, Votes]:
    return {}


def summary_of(text: str | None, limit: int = 200) -> str:
    """The first ``limit`` characters of ``text`` on one line, cut at a word with an ellipsis."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0] + "…"


class Ranker:
    """Smart Assist over one database engine; keeps the word->term map and term counts between requests.

    Args:
        engine: The database's full-text engine.
        clock: Monotonic seconds (tests pass a fake).
    """

    def __init__(self, engine: SearchEngine, clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.clock = clock
        self._stems: dict[str, str | None] = {}
        self._frequencies: dict[tuple[str, str], tuple[float, int]] = {}
        self._totals: dict[str, tuple[float, int]] = {}
        # Requests run in worker threads and share the caches: a clear() in one must not meet a read in another.
        self._lock = threading.Lock()

    # -- term statistics -----------------------------------------------------------------------------------------

    def stems(self, conn: Connection, words: Iterable[str]) -> dict[str, str]:
        """word -> index term; the engine is asked only about words not seen before (stemming never changes)."""
        words = set(words)
        with self._lock:
            known = {w: self._stems[w] for w in words if w in self._stems}
        new = [w for w in words if w not in known]
        if new:
            found = self.engine.analyze(conn, new)
            with self._lock:
                if len(self._stems) + len(new) > CACHE_LIMIT:
                    self._stems.clear()
                for word in new:
                    self._stems[word] = known[word] = found.get(word)
        return {w: s for w, s in known.items() if s}

    def frequencies(self, conn: Connection, entity: str, terms: Iterable[str]) -> tuple[int, dict[str, int]]:
        """Record count and per-term document counts for ``entity``, reused for ``STATS_TTL`` seconds."""
        now = self.clock()
        terms = set(terms)
        with self._lock:
            fresh = {t: hit[1] for t in terms
                     if (hit := self._frequencies.get((entity, t))) is not None and now - hit[0] <= STATS_TTL}
            total_hit = self._totals.get(entity)
        stale = sorted(terms - set(fresh))
        if stale or total_hit is None or now - total_hit[0] > STATS_TTL:
            total, counts = self.engine.document_frequencies(conn, entity, stale)
            with self._lock:
                self._totals[entity] = total_hit = (now, total)
                if len(self._frequencies) + len(stale) > CACHE_LIMIT:
                    self._frequencies.clear()
                for term in stale:
                    self._frequencies[(entity, term)] = (now, counts.get(term, 0))
                    fresh[term] = counts.get(term, 0)
        return total_hit[1], fresh

    # -- ranking -------------------------------------------------------------------------------------------------

    def suggest(self, conn: Connection, source: list[tuple[str | None, float]], *, exclude: str | None = None,
                votes: VotesLoader | None = None, top_cases: int = 5, top_articles: int = 3,
                rerank: bool = True) -> dict[str, list[Suggestion]]:
        """Similar cases and relevant articles for ``source`` (``(text, weight)`` fields).

        Args:
            conn: An open connection (inside the request's time budget).
            source: The texts the agent or customer wrote, each with its field weight.
            exclude: The source case's own id (never suggested to itself).
            votes: Reads the feedback on candidates: ``(conn, kind, ids) -> {id: Votes}``.
            top_cases, top_articles: How many of each to return.
            rerank: False ranks by the engine's score alone (the bench's comparison); confidence is the same.

        Returns:
            ``{"cases": [...], "articles": [...]}``, resolved cases first, then by confidence.
        """
        votes = votes or _no_votes
        weighted: Counter[str] = Counter()
        surface: dict[str, str] = {}
        field_words = [(words_of(text), weight) for text, weight in source]
        stems = self.stems(conn, (w for words, _ in field_words for w in words))
        for words, weight in field_words:
            for word in words:
                if (stem := stems.get(word)) is not None:
                    weighted[stem] += weight
                    surface.setdefault(stem, word)
        result = {}
        for kind, entity, top in (("cases", "incident", top_cases), ("articles", "knowledgearticle", top_articles)):
            found = self._rank(conn, entity, weighted, surface, exclude, votes, rerank) if weighted else []
            shown = found[: 2 * top]
            if kind == "cases":  # the best, resolved ones (with their resolution) first
                shown.sort(key=lambda s: s.fields.get("statecode") != 1)
            result[kind] = shown[:top]
        return result

    def _rank(self, conn: Connection, entity: str, weighted: Counter[str], surface: dict[str, str],
              exclude: str | None, votes: VotesLoader, rerank: bool) -> list[Suggestion]:
        total, df = self.frequencies(conn, entity, weighted)
        idf = {t: math.log(1 + (total - n + 0.5) / (n + 0.5)) for t, n in df.items() if n > 0}
        query = {t: (1 + math.log(weighted[t])) * idf[t] for t in weighted if t in idf}
        if not query:
            return []
        retrievable = sorted((t for t in query if df[t] <= COMMON_SHARE * total), key=lambda t: (-query[t], t))
        best = [surface[t] for t in retrievable[:RETRIEVAL_TERMS]]
        groups = ([best[:3]] if len(best) >= 3 else []) + [list(pair) for pair in combinations(best[:4], 2)]
        # The engine's field-weighted rank orders the result only without the rerank, and for articles (a few
        # hundred records, where it is cheap); for cases the rerank's own field-weighted scoring replaces it,
        # since FTS5's bm25() costs more than the retrieval itself at a million cases (server/db/search.py).
        rank = not rerank or entity != "incident"
        pool = self.engine.related(conn, entity, groups or [best], CANDIDATES, exclude, rank) if best else []
        if len(pool) < MIN_POOL and best:
            seen = {c.id for c in pool}
            pool += [c for c in self.engine.related(conn, entity, [[w] for w in best], CANDIDATES, exclude,
                                                    rank) if c.id not in seen]
        kind = "case" if entity == "incident" else "article"
        return self._score(conn, kind, entity, pool, query, idf, votes, rerank)

    def _score(self, conn: Connection, kind: str, entity: str, pool: list[Candidate], query: dict[str, float],
               idf: dict[str, float], votes_of: VotesLoader, rerank: bool) -> list[Suggestion]:
        votes = votes_of(conn, kind, [c.id for c in pool]) if pool else {}
        pool = [c for c in pool if votes.get(c.id, Votes()).here is not False]  # a "No" here hides it here
        if not pool:
            return []
        columns = CANDIDATE_FIELDS[entity]
        # Each candidate's words once: (original spelling, weight) per meaningful word, by field.
        texts = [[(raw, weight) for name, weight in columns for raw in _WORD.findall(c.fields.get(name) or "")
                  if raw.lower() not in STOP_WORDS] for c in pool]
        stems = self.stems(conn, {raw.lower() for words in texts for raw, _ in words})
        docs = []
        for words in texts:
            check_deadline()  # the rerank is Python work inside the request's time budget
            counts: Counter[str] = Counter()
            first: dict[str, str] = {}
            length = 0.0
            for raw, weight in words:
                stem = stems.get(raw.lower())
                if stem is None:
                    continue
                counts[stem] += weight
                length += weight
                first.setdefault(stem, raw)
            docs.append((counts, first, length))
        average = sum(length for _, _, length in docs) / len(docs) or 1.0
        norm = sum(query.values())
        scored = []
        for candidate, (counts, first, length) in zip(pool, docs, strict=True):
            shares = {}
            for term, weight in query.items():
                tf = counts.get(term)
                if tf:
                    saturation = tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
                    shares[term] = weight * min(1.0, saturation)
            evidence = sum(idf[t] for t in shares)
            if evidence < MIN_EVIDENCE:
                continue
            vote = votes.get(candidate.id, Votes())
            coverage = sum(shares.values()) / norm
            confidence = min(1.0, coverage * min(1.0, evidence / EVIDENCE_FULL) * vote.factor)
            if confidence < MIN_CONFIDENCE:
                continue
            phrases = [first[t] for t in sorted(shares, key=lambda t: (-shares[t], t))][:5]
            text = candidate.fields.get("description" if kind == "case" else "content")
            scored.append(Suggestion(kind, candidate.id, candidate.fields["title"], confidence, phrases,
                                     summary_of(text), candidate.fields, candidate.score * vote.factor))
        if rerank:
            scored.sort(key=lambda s: (-s.confidence, -s.engine_score, s.id))
        else:
            scored.sort(key=lambda s: (-s.engine_score, s.id))
        return scored
