"""Knowledge search's pure side: query parameters, restore shape, link and message, and the shown texts."""

from __future__ import annotations

from casework import knowledge as kb


def test_query_parameters_leave_empty_filters_out():
    assert kb.KnowledgeQuery().params() == {"top": "10"}
    query = kb.KnowledgeQuery(" printer offline ", "LaserJet 400", "driver, , spooler ,", 1036)
    assert query.params(5) == {"top": "5", "q": "printer offline", "product": "LaserJet 400",
                               "keywords": "driver,spooler", "language": "1036"}
    assert query.with_text("fax").params()["q"] == "fax"


def test_query_round_trips_and_never_raises_on_bad_data():
    query = kb.KnowledgeQuery("a", "b", "c", 1033)
    assert kb.KnowledgeQuery.from_json(query.to_json()) == query
    assert kb.KnowledgeQuery.from_json({"text": 3, "language": True}) == kb.KnowledgeQuery()
    assert kb.KnowledgeQuery.from_json("junk") == kb.KnowledgeQuery()
    assert kb.parse_language("") is None and kb.parse_language("1036") == 1036 and kb.parse_language("x") is None


def test_link_message_and_texts():
    url = kb.article_url("http://127.0.0.1:8000", "a-1")
    assert url == "http://127.0.0.1:8000/#knowledgearticle/a-1"
    article = {"title": "Printer offline", "articlepublicnumber": "KA-10001", "productname": "LaserJet",
               "languagecode": 1036, "views": 1234, "rating": 4.5, "ratingcount": 2}
    assert kb.article_message(article, url) == f"Printer offline (KA-10001): {url}"
    assert kb.article_message({}, url) == f"Knowledge article: {url}"
    assert kb.rating_text(4.0, 1) == "4 of 5 (1 rating)" and kb.rating_text(None, 0) == "Not rated yet"
    assert kb.views_text(1) == "1 view" and kb.views_text(None) == "0 views"
    assert kb.meta_line(article) == "KA-10001 · LaserJet · French · 1,234 views · 4.5 of 5 (2 ratings)"
    assert kb.language_name(9999) == "9999" and kb.language_name(None) == ""
