"""Knowledge search in the workspace, pure: the query and its filters, the article's link and the message that
sends it into a conversation, and the texts shown for views, ratings and languages. The page side is
``components.knowledge``."""

from __future__ import annotations

from dataclasses import dataclass, replace

#: Language codes (Dataverse LCIDs) with their names; others show as the code.
LANGUAGES = {1033: "English", 1036: "French", 1031: "German", 3082: "Spanish", 1040: "Italian", 1043: "Dutch",
             1041: "Japanese", 2052: "Chinese (Simplified)", 1046: "Portuguese (Brazil)"}
STARS = 5


@dataclass(frozen=True)
class KnowledgeQuery:
    """What the agent searches for: words, and the filters (product, keywords, language)."""

    text: str = ""
    product: str = ""
    keywords: str = ""  # comma-separated, every one required
    language: int | None = None

    def params(self, top: int = 10) -> dict[str, str]:
        """``GET /api/knowledge/search``'s query parameters (empty filters left out)."""
        out = {"top": str(top)}
        if self.text.strip():
            out["q"] = self.text.strip()[:200]
        if self.product.strip():
            out["product"] = self.product.strip()
        words = [w.strip() for w in self.keywords.split(",") if w.strip()]
        if words:
            out["keywords"] = ",".join(words[:10])
        if self.language is not None:
            out["language"] = str(self.language)
        return out

    def with_text(self, text: str) -> KnowledgeQuery:
        return replace(self, text=text)

    def to_json(self) -> dict:
        return {"text": self.text, "product": self.product, "keywords": self.keywords, "language": self.language}

    @classmethod
    def from_json(cls, data: object) -> KnowledgeQuery:
        """Never raises: anything unusable becomes the empty query's value."""
        if not isinstance(data, dict):
            return cls()
        text = lambda key: data.get(key) if isinstance(data.get(key), str) else ""  # noqa: E731
        language = data.get("language")
        return cls(text("text"), text("product"), text("keywords"),
                   language if isinstance(language, int) and not isinstance(language, bool) else None)


def parse_language(value: object) -> int | None:
    """A ``<select>``'s value (``""`` for any language) as a code."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def language_name(code: object) -> str:
    return LANGUAGES.get(code, str(code)) if isinstance(code, int) else ""


def article_url(origin: str, article_id: str) -> str:
    """The article's link in this workspace (what "Copy link" copies and what is sent to a customer)."""
    return f"{origin}/#knowledgearticle/{article_id}"


def article_message(article: dict, url: str) -> str:
    """The text that sends an article into a conversation: its title, number and link."""
    number = article.get("articlepublicnumber")
    title = article.get("title") or "Knowledge article"
    return f"{title} ({number}): {url}" if number else f"{title}: {url}"


def views_text(views: object) -> str:
    count = views if isinstance(views, int) and not isinstance(views, bool) else 0
    return f"{count:,} view" + ("" if count == 1 else "s")


def rating_text(rating: object, count: object) -> str:
    """``4.5 of 5 (2 ratings)``, or ``Not rated yet``."""
    if not isinstance(count, int) or count <= 0 or not isinstance(rating, (int, float)):
        return "Not rated yet"
    shown = f"{float(rating):.1f}".rstrip("0").rstrip(".")
    return f"{shown} of {STARS} ({count} rating{'s' if count != 1 else ''})"


def meta_line(article: dict) -> str:
    """Number · product · language · views · rating, as one line of text."""
    parts = [article.get("articlepublicnumber"), article.get("productname"),
             language_name(article.get("languagecode")), views_text(article.get("views")),
             rating_text(article.get("rating"), article.get("ratingcount"))]
    return " · ".join(str(p) for p in parts if p)
