"""Smart Assist's ranker over a stand-in engine: term statistics reused for their lifetime and then refreshed,
words stemmed once, a candidate sharing only common words is not suggested."""

from __future__ import annotations

from server.db.search import Candidate
from server.suggest import STATS_TTL, Ranker, words_of


class CountingEngine:
    """An engine over a fixed set of cases that counts what it is asked."""

    def __init__(self) -> None:
        self.analyzed: list[str] = []
        self.counted: list[list[str]] = []
        self.cases = {
            "c1": {"title": "Printer offline", "description": "The printer shows offline after the driver update.",
                   "statecode": 1},
            "c2": {"title": "Customer called", "description": "The customer called again.", "statecode": 0},
        }

    def analyze(self, conn, words):
        self.analyzed += words
        return {w: w.rstrip("s") for w in words}

    def document_frequencies(self, conn, entity, terms):
        self.counted.append(sorted(terms))
        common = {"customer": 500, "called": 300}
        return 1000, {t: common.get(t, 10) for t in terms}

    def related(self, conn, entity, groups, candidates, exclude, rank=True):
        if entity != "incident":
            return []
        return [Candidate(key, 1.0, fields) for key, fields in self.cases.items()]


def test_term_statistics_are_reused_until_they_expire() -> None:
    now = [0.0]
    engine = CountingEngine()
    ranker = Ranker(engine, clock=lambda: now[0])
    source = [("Printer offline", 3.0)]
    ranker.suggest(None, source)
    asked = len(engine.counted)
    ranker.suggest(None, source)
    assert len(engine.counted) == asked  # nothing asked again within the lifetime
    now[0] += STATS_TTL + 1
    ranker.suggest(None, source)
    assert len(engine.counted) > asked


def test_each_word_is_stemmed_once() -> None:
    engine = CountingEngine()
    ranker = Ranker(engine)
    ranker.suggest(None, [("Printer offline printer", 3.0)])
    ranker.suggest(None, [("printer", 3.0)])
    assert engine.analyzed.count("printer") == 1


def test_common_words_alone_are_not_evidence_of_the_same_problem() -> None:
    found = Ranker(CountingEngine()).suggest(None, [("Customer called about the printer offline", 3.0)])
    assert [s.id for s in found["cases"]] == ["c1"]
    assert set(found["cases"][0].keyphrases) == {"offline", "Printer"}  # the matching words, as the case spells them


def test_stop_words_and_short_numbers_are_not_terms() -> None:
    assert words_of("The printer is down since 12 o'clock, error E21 and 404") == [
        "printer", "down", "clock", "error", "e21", "404"]
