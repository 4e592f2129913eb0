"""Global search in Python over the static demo's records: the answer shape of ``GET /api/search``.

Every query word must start a word of the record's indexed columns (prefix match, all words required, as the
server's engines do); the rank is a field-weighted term count (the title weighs ten times the other columns, as in
the server's BM25 weights), ties by entity and id. The server stems words (Porter) and this does not: "batteries"
finds "battery" there, here only "batter…" does.

:func:`terms_of` and :func:`snippet_of` are the server's too (``server/db/search.py`` loads this file by path), so
a hit's snippet is the same from either backend. Standard library only.
"""

from __future__ import annotations

import itertools
import re

MAX_TERMS = 12
SNIPPET_WORDS = 16
SNIPPET_SCAN_WORDS = 1000
_WORD = re.compile(r"\w+")
_ENDINGS = ("ing", "ies", "es", "ed", "e", "s", "y")


def terms_of(query: str) -> list[str]:
    """The words of a user query (letters and digits only: no engine syntax can get through)."""
    return re.findall(r"\w+", query.lower())[:MAX_TERMS]


def _roots(terms: list[str]) -> tuple[str, ...]:
    roots = set(terms)
    for term in terms:
        for ending in _ENDINGS:
            if term.endswith(ending) and len(term) - len(ending) >= 3:
                roots.add(term[: -len(ending)])
                break
    return tuple(roots)


def _best_window(marks: list[int], count: int, width: int) -> tuple[int, int]:
    """``(matches, start)`` of the ``width``-word window holding the most of ``marks`` (sorted word indexes),
    each candidate window starting a word or two before a match; the earliest on a tie. Linear: two pointers."""
    best = (0, 0)
    low = high = 0
    for mark in marks:
        start = max(0, min(mark - 2, count - width))
        while low < len(marks) and marks[low] < start:
            low += 1
        high = max(high, low)
        while high < len(marks) and marks[high] < start + width:
            high += 1
        if high - low > best[0]:
            best = (high - low, start)
    return best


def snippet_of(columns: list[str | None], terms: list[str], width: int = SNIPPET_WORDS) -> list[dict]:
    """Snippet segments ``[{"text", "match"}]`` like FTS5's ``snippet(t, -1, ..., '…', width)``: the column with
    the most matching words (the first on a tie), a window of ``width`` words holding the most matches, '…' where
    text was cut. A word matches when it starts with a query term or its root (``_ENDINGS``: the endings the
    Porter stemmer takes off): the search itself is the engine's, this only decides what to mark in its hits.
    Linear in the words examined, the first :data:`SNIPPET_SCAN_WORDS` of each column (a long description that
    repeats the word once cost O(n²) here: 15 s for one search, measured). Text only: never markup."""
    roots = _roots(terms)
    best: tuple[int, int, str, list[re.Match]] | None = None
    best_start = 0
    for index, value in enumerate(columns):
        if not value:
            continue
        words = list(itertools.islice(_WORD.finditer(value), SNIPPET_SCAN_WORDS))
        marks = [i for i, word in enumerate(words) if word.group().lower().startswith(roots)]
        if not marks:
            if best is None:
                best, best_start = (0, -index, value, words), 0
            continue
        count, start = _best_window(marks, len(words), width)
        if best is None or count > best[0]:
            best, best_start = (count, -index, value, words), start
    if best is None:
        return []
    _, _, value, words = best
    window = words[best_start: best_start + width]
    if not window:
        return [{"text": value[:200], "match": False}]
    segments: list[dict] = []
    position = window[0].start()
    if best_start > 0:
        segments.append({"text": "…", "match": False})
    for word in window:
        if word.group().lower().startswith(roots):
            if word.start() > position:
                segments.append({"text": value[position: word.start()], "match": False})
            segments.append({"text": word.group(), "match": True})
            position = word.end()
    tail = value[position: window[-1].end()]
    more = len(words) == SNIPPET_SCAN_WORDS and _WORD.search(value, words[-1].end()) is not None
    if best_start + width < len(words) or more:
        tail += "…"
    if tail:
        segments.append({"text": tail, "match": False})
    merged: list[dict] = []
    for segment in segments:  # neighbouring plain texts as one segment, as the server's marker split gives
        if merged and not segment["match"] and not merged[-1]["match"]:
            merged[-1] = {"text": merged[-1]["text"] + segment["text"], "match": False}
        else:
            merged.append(segment)
    return merged


def _score(row: dict, columns: list[str], terms: list[str]) -> float:
    """0 when a term starts no word of the columns; else the title-weighted count of matching words."""
    total = 0.0
    words_by_column = [[w.lower() for w in _WORD.findall(str(row.get(c) or ""))] for c in columns]
    for term in terms:
        found = 0.0
        for index, words in enumerate(words_by_column):
            hits = sum(1 for w in words if w.startswith(term))
            found += hits * (10.0 if index == 0 else 1.0)
        if not found:
            return 0.0
        total += found
    return total


def _details(entity: str, row: dict, lookups: dict[str, dict[str, dict]]) -> dict:
    """What tells hits apart (``server/db/search_details.py``)."""
    def name_of(table: str, record_id: object, field: str) -> str:
        return str((lookups.get(table, {}).get(str(record_id or "")) or {}).get(field) or "")

    if entity == "incident":
        customers = "accounts" if row.get("customeridtype") == "account" else "contacts"
        return {"number": row.get("ticketnumber"),
                "customer": name_of(customers, row.get("customerid"), "name" if customers == "accounts"
                                    else "fullname"),
                "statecode": row.get("statecode"), "statuscode": row.get("statuscode"),
                "owner": name_of("systemusers", row.get("ownerid"), "fullname"), "modifiedon": row.get("modifiedon")}
    if entity == "contact":
        return {"account": name_of("accounts", row.get("parentcustomerid"), "name"),
                "email": row.get("emailaddress1") or ""}
    if entity == "account":
        return {"number": row.get("accountnumber"), "city": row.get("address1_city") or "",
                "email": row.get("emailaddress1") or ""}
    if entity == "knowledgearticle":
        return {"number": row.get("articlepublicnumber"), "statecode": row.get("statecode"),
                "modifiedon": row.get("modifiedon")}
    return {}


def search(query: str, entities: list[str], top: int, sources: dict[str, dict], tables: dict[str, list[dict]],
           lookups: dict[str, dict[str, dict]]) -> list[dict]:
    """Ranked hits ``{"entity", "id", "title", "score", "snippet", "details"}`` over ``tables[entity]`` rows.

    Args:
        sources: Per entity ``{"table", "key", "title", "columns"}`` (the build's ``meta["search"]``).
        tables: Per entity, its current rows (seed plus overlay).
        lookups: ``accounts``/``contacts``/``systemusers`` rows by id, for the details.
    """
    terms = terms_of(query)
    if not terms:
        return []
    scored: list[tuple[float, str, str, dict]] = []
    for entity in entities:
        source = sources[entity]
        for row in tables[entity]:
            score = _score(row, source["columns"], terms)
            if score:
                scored.append((score, entity, str(row[source["key"]]), row))
    scored.sort(key=lambda hit: (-hit[0], hit[1], hit[2]))
    hits = []
    for score, entity, record_id, row in scored[:top]:
        source = sources[entity]
        hits.append({"entity": entity, "id": record_id, "title": row.get(source["title"]) or "",
                     "score": round(score, 6), "snippet": snippet_of([row.get(c) for c in source["columns"]], terms),
                     "details": _details(entity, row, lookups)})
    return hits
