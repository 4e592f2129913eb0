"""Full-text search over cases, accounts, contacts and knowledge articles, behind one interface.

Two implementations of :class:`SearchEngine`: SQLite FTS5 (external-content tables kept in sync by triggers) and
PostgreSQL full-text search (a generated ``tsvector`` column with a GIN index, in sync by construction). Both rank
by relevance and return snippets as *segments* (``[{"text": ..., "match": bool}]``), never HTML, so a client can
render them as text nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection

from server import page_modules
from server.db.budget import check_deadline

# The query's words and the snippets of the hits are made by the page's own code (the static demo searches with
# it), so a snippet looks the same from either backend: the column with the most matches, a 16-word window holding
# the most, '…' where text was cut; a word is marked when it starts with a query term or its root (the Porter
# stemmer indexes "battery" as "batteri"); linear in the first SNIPPET_SCAN_WORDS words of a column.
_page_search = page_modules.load("casework/static_search.py")
MAX_TERMS = _page_search.MAX_TERMS
SNIPPET_WORDS = _page_search.SNIPPET_WORDS
SNIPPET_SCAN_WORDS = _page_search.SNIPPET_SCAN_WORDS
terms_of = _page_search.terms_of
snippet_of = _page_search.snippet_of

# Markers the engines put around matches; control characters cannot occur in user-visible record text we store
# (they would be stripped by any sane client) and never collide with text a user types.
START, STOP = "\x02", "\x03"
# Matches ranked per entity and query: enough that the best of a page are among them for any real query, few
# enough that a word in 30,000 of a million cases is ranked in milliseconds (measured in docs/records.md).
CANDIDATES = 200
# Past this many records holding a term, PostgreSQL stops counting them (Smart Assist's idf; see there).
FREQUENCY_CAP = 50_000
# SQLite counts a term's records among the newest this many (Smart Assist's idf; see SqliteSearch).
SAMPLE_ROWS = 20_000
# SQLite looks for related records among the newest this many (Smart Assist's retrieval; see SqliteSearch).
RELATED_WINDOW = 100_000


@dataclass(frozen=True)
class Source:
    """A searchable entity: its table, key column, title column and indexed text columns (first ranks highest)."""

    entity: str
    table: str
    key: str
    title: str
    columns: tuple[str, ...]


SOURCES: dict[str, Source] = {
    s.entity: s
    for s in (
        Source("incident", "incidents", "incidentid", "title", ("title", "ticketnumber", "description")),
        Source("account", "accounts", "accountid", "name",
               ("name", "accountnumber", "address1_city", "emailaddress1")),
        Source("contact", "contacts", "contactid", "fullname", ("fullname", "emailaddress1", "telephone1")),
        Source("knowledgearticle", "knowledgearticles", "knowledgearticleid", "title",
               ("title", "keywords", "content")),
    )
}


@dataclass(frozen=True)
class Hit:
    """One search result."""

    entity: str
    id: str
    title: str
    score: float
    snippet: list[dict]


def segments(marked: str) -> list[dict]:
    """Split engine output with START/STOP markers into ``[{"text", "match"}]`` segments."""
    result: list[dict] = []
    for part in re.split(f"({START}.*?{STOP})", marked or "", flags=re.S):
        if not part:
            continue
        if part.startswith(START) and part.endswith(STOP):
            result.append({"text": part[1:-1], "match": True})
        else:
            result.append({"text": part.replace(START, "").replace(STOP, ""), "match": False})
    return result


@dataclass(frozen=True)
class Candidate:
    """A record the engine found related to a set of terms (for Smart Assist's rerank)."""

    id: str
    score: float  # the engine's field-weighted rank, higher is better
    fields: dict


# Columns Smart Assist reads of a related record (beyond key and title), and the weights its engine rank gives the
# indexed columns: the title says what the problem is, the body says it at length (SOURCES order).
RELATED_FIELDS = {
    "incident": ("description", "statecode", "statuscode", "resolution", "ticketnumber"),
    "knowledgearticle": ("content", "keywords", "articlepublicnumber", "statecode"),
}
RELATED_WEIGHTS = {"incident": (4.0, 0.0, 1.0), "knowledgearticle": (3.0, 2.0, 1.0)}
RELATED_WHERE = {"incident": "r.statecode <> 2", "knowledgearticle": "r.statecode = 3"}  # no cancelled, published


def snippets_within_budget(rows, make):
    """``make(row)`` for each row, checking the request's time budget between them."""
    result = []
    for row in rows:
        check_deadline()
        result.append(make(row))
    return result


class SearchEngine(Protocol):
    """What the search API and Smart Assist need of a database's full-text engine."""

    def install(self, conn: Connection) -> None:
        """Create the index structures (inside a migration) and index existing rows."""

    def search(self, conn: Connection, query: str, entities: list[str], top: int) -> list[Hit]:
        """Rank records of ``entities`` matching every term of ``query`` (prefix match on each term)."""

    def analyze(self, conn: Connection, words: list[str]) -> dict[str, str]:
        """The index term (stem) of each word, as the engine's own tokenizer makes it; stop words are left out."""

    def document_frequencies(self, conn: Connection, entity: str, words: list[str]) -> tuple[int, dict[str, int]]:
        """How many records of ``entity`` are indexed, and in how many of them each word's term occurs."""

    def related(self, conn: Connection, entity: str, groups: list[list[str]], candidates: int,
                exclude: str | None, rank: bool = True) -> list[Candidate]:
        """Records of ``entity`` matching any group (each group: all of its words), with the engine's
        field-weighted rank as ``score`` (``rank=False``: no rank where it costs extra, score 0).

        At most ``candidates``, the newest matches (a bounded walk of the index however common the words);
        cancelled cases and unpublished articles are left out, and so is the record ``exclude``."""


class SqliteSearch:
    """SQLite FTS5: one external-content table per source, maintained by insert/update/delete triggers.

    External content keeps one copy of the text (the record table's) and uses its implicit rowid; if a VACUUM ever
    renumbers rowids, :meth:`rebuild` re-syncs the index.
    """

    def install(self, conn: Connection) -> None:
        for s in SOURCES.values():
            fts = f"{s.table}_fts"
            cols = ", ".join(s.columns)
            new = ", ".join(f"new.{c}" for c in s.columns)
            old = ", ".join(f"old.{c}" for c in s.columns)
            conn.exec_driver_sql(
                f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{s.table}', tokenize='porter unicode61')"
            )
            conn.exec_driver_sql(
                f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {s.table} BEGIN "
                f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.rowid, {new}); END"
            )
            conn.exec_driver_sql(
                f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {s.table} BEGIN "
                f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.rowid, {old}); END"
            )
            conn.exec_driver_sql(
                f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {s.table} BEGIN "
                f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.rowid, {old}); "
                f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.rowid, {new}); END"
            )
        self.rebuild(conn)

    def rebuild(self, conn: Connection) -> None:
        """Re-index every source from its table."""
        for s in SOURCES.values():
            conn.exec_driver_sql(f"INSERT INTO {s.table}_fts({s.table}_fts) VALUES ('rebuild')")

    def search(self, conn: Connection, query: str, entities: list[str], top: int) -> list[Hit]:
        terms = terms_of(query)
        if not terms:
            return []
        # Every term is prefix-matched ("prin" finds printers). A prefix query merges the doclists of every token
        # with that prefix, 3-4x the cost of one token's doclist at a million cases (measured: "thermostat"* 7.1 ms,
        # "thermostat" 1.9 ms). So the exact words go first; when they alone fill the candidate set (a complete,
        # common word) those candidates are ranked, else the prefix query runs as before. Words the porter stemmer
        # folds together ("printers") are the same token, so exact already covers them.
        exact = " AND ".join(f'"{term}"' for term in terms)
        prefix = " AND ".join(f'"{term}"*' for term in terms)
        candidates = max(CANDIDATES, top)
        hits: list[Hit] = []
        for entity in entities:
            rows, filled = self._ranked(conn, SOURCES[entity], exact, top, candidates)
            if not filled:
                rows, _ = self._ranked(conn, SOURCES[entity], prefix, top, candidates)
            hits.extend(snippets_within_budget(
                rows, lambda row, entity=entity: Hit(entity, row[0], row[1], -float(row[2]),
                                                     snippet_of(list(row[4:]), terms))))
        hits.sort(key=lambda h: (-h.score, h.entity, h.id))
        return hits[:top]

    @staticmethod
    def _ranked(conn: Connection, s: Source, match: str, top: int, candidates: int) -> tuple[list, bool]:
        """The best ``top`` of the newest ``candidates`` matches of ``match``, and whether there were that many."""
        fts = f"{s.table}_fts"
        # The first column (the title) weighs ten times the others in the BM25 rank.
        weights = ", ".join(["10.0", *["1.0"] * (len(s.columns) - 1)])
        texts = ", ".join(f"r.{c}" for c in s.columns)
        # Rank a bounded candidate set: the newest CANDIDATES matches (FTS5 walks its doclists in rowid order
        # and stops there), so a common word at a million cases costs ~200 BM25 scores, not 30,000 plus a
        # sort. Snippets are made in Python for the returned page only: FTS5's snippet() ran inside the
        # candidate subquery, so all 200 candidates paid for one (~7 ms of a 21 ms search at 1M, measured),
        # and a second FTS5 query for the page would merge the prefix doclists again (~6 ms per term).
        rows = conn.execute(
            text(
                f"WITH c AS (SELECT rowid, bm25({fts}, {weights}) AS score"
                f" FROM {fts} WHERE {fts} MATCH :match ORDER BY rowid DESC LIMIT :candidates)"
                f" SELECT r.{s.key}, r.{s.title}, c.score, (SELECT count(*) FROM c), {texts}"
                f" FROM c JOIN {s.table} r ON r.rowid = c.rowid ORDER BY c.score, r.{s.key} LIMIT :top"
            ),
            {"match": match, "top": top, "candidates": candidates},
        ).all()
        return rows, bool(rows) and rows[0][3] >= candidates

    def analyze(self, conn: Connection, words: list[str]) -> dict[str, str]:
        if not words:
            return {}
        # The index's own tokenizer, run on the words in a scratch FTS5 table of this connection (temp schema: no
        # write to the database file); each word is its own row, so the row id maps a term back to its word.
        conn.exec_driver_sql("CREATE VIRTUAL TABLE IF NOT EXISTS temp.casework_tokens"
                             " USING fts5(word, tokenize='porter unicode61')")
        conn.exec_driver_sql("CREATE VIRTUAL TABLE IF NOT EXISTS temp.casework_tokens_terms"
                             " USING fts5vocab(temp, casework_tokens, 'instance')")
        conn.exec_driver_sql("INSERT INTO temp.casework_tokens(rowid, word) VALUES (?, ?)", list(enumerate(words)))
        rows = conn.exec_driver_sql("SELECT doc, term FROM temp.casework_tokens_terms ORDER BY doc, offset").all()
        conn.exec_driver_sql("DELETE FROM temp.casework_tokens")
        stems: dict[str, str] = {}
        for doc, term in rows:
            stems.setdefault(words[doc], term)
        return stems

    def document_frequencies(self, conn: Connection, entity: str, terms: list[str]) -> tuple[int, dict[str, int]]:
        s = SOURCES[entity]
        # max(rowid), not count(*): one b-tree step instead of a scan of a million rows; deleted rows make it a
        # slight over-count, which only nudges every idf by the same amount.
        total = conn.exec_driver_sql(f"SELECT coalesce(max(rowid), 0) FROM {s.table}").scalar_one()
        # Counted in the newest SAMPLE_ROWS records and scaled up: FTS5 seeks a rowid range in a doclist, so the
        # cost is bounded whatever the term. An exact count walks the whole doclist: "customer", in half of a
        # million cases, took ~50 ms (fts5vocab too, measured); in the sample ~1 ms. Exact up to SAMPLE_ROWS.
        since = max(0, total - SAMPLE_ROWS)
        scale = total / (total - since) if total > since else 1.0
        counts = {}
        for term in terms:
            found = conn.exec_driver_sql(
                f"SELECT count(*) FROM {s.table}_fts WHERE {s.table}_fts MATCH ? AND rowid > ?",
                (f'"{term}"', since)).scalar_one()
            counts[term] = round(found * scale)
        return total, counts

    def related(self, conn: Connection, entity: str, groups: list[list[str]], candidates: int,
                exclude: str | None, rank: bool = True) -> list[Candidate]:
        s = SOURCES[entity]
        fts = f"{s.table}_fts"
        weights = ", ".join(str(w) for w in RELATED_WEIGHTS[entity])
        extra = RELATED_FIELDS[entity]
        columns = ", ".join(f"r.{c}" for c in extra)
        # bm25() counts every phrase's matching records once per statement (its idf): at a million cases that is
        # 2-6 ms a statement against 0.1-0.5 ms for the bounded walk itself (measured); rank=False skips it.
        score = f"bm25({fts}, {weights})" if rank else "0.0"
        # Only the newest RELATED_WINDOW records: a conjunction with few matches otherwise walks the whole doclists
        # of its words (a pair of words in 33,000 cases each but rarely together: several ms at 1M, measured); in
        # the window the walk is bounded however rare the pair.
        newest = conn.exec_driver_sql(f"SELECT coalesce(max(rowid), 0) FROM {s.table}").scalar_one()
        sql = text(
            f"WITH c AS (SELECT rowid, {score} AS score FROM {fts} WHERE {fts} MATCH :match AND rowid > :since"
            f" ORDER BY rowid DESC LIMIT :candidates)"
            f" SELECT r.{s.key}, r.{s.title}, c.score, {columns} FROM c JOIN {s.table} r ON r.rowid = c.rowid"
            f" WHERE {RELATED_WHERE[entity]} AND r.{s.key} <> :exclude"
        )
        # One statement for all groups (OR of conjunctions): one bounded walk, and bm25's per-phrase counts once.
        match = " OR ".join("(" + " AND ".join(f'"{word}"' for word in group) + ")" for group in groups)
        found: dict[str, Candidate] = {}
        for key, title, score, *values in conn.execute(
                sql, {"match": match, "candidates": candidates, "exclude": exclude or "",
                      "since": max(0, newest - RELATED_WINDOW)}):
            found[key] = Candidate(key, -float(score), {"title": title, **dict(zip(extra, values, strict=True))})
        return list(found.values())


class PostgresSearch:
    """PostgreSQL full-text search: a stored generated ``search_vector`` per source with a GIN index."""

    def install(self, conn: Connection) -> None:
        for s in SOURCES.values():
            first, *rest = s.columns
            rest_text = " || ' ' || ".join(f"coalesce({c}, '')" for c in rest)
            conn.exec_driver_sql(
                f"ALTER TABLE {s.table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
                f"setweight(to_tsvector('english'::regconfig, coalesce({first}, '')), 'A') || "
                f"setweight(to_tsvector('english'::regconfig, {rest_text}), 'B')) STORED"
            )
            conn.exec_driver_sql(f"CREATE INDEX ix_{s.table}_search ON {s.table} USING GIN (search_vector)")

    def search(self, conn: Connection, query: str, entities: list[str], top: int) -> list[Hit]:
        terms = terms_of(query)
        if not terms:
            return []
        tsquery = " & ".join(f"{term}:*" for term in terms)
        hits: list[Hit] = []
        for entity in entities:
            s = SOURCES[entity]
            document = " || ' ' || ".join(f"coalesce({c}, '')" for c in s.columns)
            # Same bound as SQLite: ts_rank_cd runs on the first CANDIDATES matches the GIN bitmap scan yields (in
            # table order), ts_headline on the returned page only.
            rows = conn.execute(
                text(
                    f"WITH q AS (SELECT to_tsquery('english'::regconfig, :q) AS q),"
                    f" candidates AS (SELECT {s.key} AS key, {s.title} AS title, {document} AS document,"
                    f" ts_rank_cd(search_vector, q.q) AS rank FROM {s.table}, q WHERE search_vector @@ q.q"
                    f" LIMIT :candidates),"
                    f" best AS (SELECT * FROM candidates ORDER BY rank DESC, key LIMIT :top)"
                    f" SELECT key, title, rank, ts_headline('english'::regconfig, document, q.q,"
                    f" 'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxWords=24, MinWords=8')"
                    f" FROM best, q ORDER BY rank DESC, key"
                ),
                {"q": tsquery, "top": top, "candidates": max(CANDIDATES, top)},
            )
            hits.extend(Hit(entity, key, title, float(rank), segments(snip)) for key, title, rank, snip in rows)
        hits.sort(key=lambda h: (-h.score, h.entity, h.id))
        return hits[:top]

    def analyze(self, conn: Connection, words: list[str]) -> dict[str, str]:
        if not words:
            return {}
        rows = conn.execute(text(
            "SELECT w, (SELECT lexeme FROM unnest(to_tsvector('english'::regconfig, w)) ORDER BY positions[1]"
            " LIMIT 1) FROM unnest(CAST(:words AS text[])) AS w"), {"words": words}).all()
        return {word: stem for word, stem in rows if stem}

    def document_frequencies(self, conn: Connection, entity: str, terms: list[str]) -> tuple[int, dict[str, int]]:
        s = SOURCES[entity]
        # The planner's row estimate (kept by autovacuum), not count(*): no scan of a million rows per request.
        total = conn.execute(text("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = :t"),
                             {"t": s.table}).scalar_one()
        if total == 0:
            total = conn.execute(text(f"SELECT count(*) FROM {s.table}")).scalar_one()
        frequencies = {}
        for term in terms:
            # Counted on the GIN index up to a cap: past it a term is common enough that its exact count no longer
            # changes the ranking much, and counting it would cost a scan of its whole posting list.
            frequencies[term] = conn.execute(text(
                f"SELECT count(*) FROM (SELECT 1 FROM {s.table} WHERE search_vector @@ CAST(:q AS tsquery)"
                " LIMIT :cap) s"), {"q": "'" + term.replace("'", "''") + "'", "cap": FREQUENCY_CAP}).scalar_one()
        return max(total, 1), frequencies

    def related(self, conn: Connection, entity: str, groups: list[list[str]], candidates: int,
                exclude: str | None, rank: bool = True) -> list[Candidate]:
        s = SOURCES[entity]
        extra = RELATED_FIELDS[entity]
        columns = ", ".join(f"r.{c}" for c in extra)
        title, _, body = RELATED_WEIGHTS[entity]
        # ts_rank's weights are {D, C, B, A}: the title is A, the other columns B (see install).
        weights = f"'{{0, 0, {body / title:.3f}, 1}}'"
        sql = text(
            f"SELECT r.{s.key}, r.{s.title}, ts_rank({weights}::real[], r.search_vector, q.q) AS score, {columns}"
            f" FROM {s.table} r, (SELECT to_tsquery('english'::regconfig, :q) AS q) q"
            f" WHERE r.search_vector @@ q.q AND {RELATED_WHERE[entity]} AND r.{s.key} <> :exclude LIMIT :candidates"
        )
        query = " | ".join("(" + " & ".join(group) + ")" for group in groups)
        found: dict[str, Candidate] = {}
        for key, name, score, *values in conn.execute(
                sql, {"q": query, "candidates": candidates, "exclude": exclude or ""}):
            found[key] = Candidate(key, float(score), {"title": name, **dict(zip(extra, values, strict=True))})
        return list(found.values())


def engine_for(dialect: str) -> SearchEngine:
    """The search engine for a database dialect name."""
    if dialect == "sqlite":
        return SqliteSearch()
    if dialect == "postgresql":
        return PostgresSearch()
    raise ValueError(f"no full-text search for the {dialect} dialect")
