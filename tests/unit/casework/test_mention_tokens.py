"""Mentions in notes: the token, reading it back, showing it, and completing what the agent types after "@"."""

from __future__ import annotations

from casework.mentions import MAX_MENTIONS, Mention, complete, mention_token, mentions_in, plain, segments, typing_at

ANN = "0b7f5a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
BEN = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


def test_a_token_reads_back_as_the_person_and_shows_as_their_name() -> None:
    ann, ben = mention_token("Ann Lee", ANN.upper()), mention_token("Ben [QA]", BEN)
    text = f"Ask {ann} and {ben}, then {mention_token('Ann Lee', ANN)}"
    assert mentions_in(text) == [Mention(ANN, "Ann Lee"), Mention(BEN, "Ben  QA")]  # once each, ids lower-case
    assert plain(text) == "Ask @Ann Lee and @Ben  QA, then @Ann Lee"
    assert segments(text)[:2] == [("Ask ", None), ("@Ann Lee", ANN)]


def test_text_that_only_looks_like_a_mention_is_text() -> None:
    for text in ("@Ann", "@[Ann](user:not-an-id)", "mail ann@example.com", f"@[](user:{ANN})", None, ""):
        assert mentions_in(text) == []
        assert plain(text) == (text or "")


def test_a_note_mentions_at_most_twenty_people() -> None:
    ids = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(MAX_MENTIONS + 5)]
    assert len(mentions_in(" ".join(mention_token(f"P{i}", user) for i, user in enumerate(ids)))) == MAX_MENTIONS


def test_typing_after_an_at_sign_is_a_name_query_until_it_is_completed() -> None:
    assert typing_at("Hi @an", 6) == (3, "an")
    assert typing_at("@", 1) == (0, "")
    assert typing_at("Hi @Agent 6 Ro", 14) == (3, "Agent 6 Ro")
    assert typing_at("mail ann@exa", 12) is None  # inside a word: an e-mail address, not a mention
    assert typing_at("Hi @an and more words", 21) is None  # names have three words at most: typing went on
    text, cursor = complete("Hi @an please", 6, 3, "Ann Lee", ANN)
    assert text == f"Hi @[Ann Lee](user:{ANN}) please" and text[cursor:] == "please"
    assert typing_at(text, cursor) is None
