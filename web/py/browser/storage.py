"""``localStorage`` behind the connector protocol of ``casework.statedb`` (the pure store does the rest)."""

from __future__ import annotations

import js

from casework.statedb import StorageFull


class LocalStorageConnector:
    """``fetch``/``save``/``remove``/``list`` over ``window.localStorage``.

    A browser that refuses storage (privacy mode, disabled) raises on access; the store turns that into a notice.
    A full storage raises ``QuotaExceededError``, which becomes :class:`~casework.statedb.StorageFull` so the store
    can trim drafts and retry.
    """

    def __init__(self, storage: object | None = None) -> None:
        self.storage = storage if storage is not None else js.window.localStorage

    def fetch(self, key: str) -> str | None:
        value = self.storage.getItem(key)
        return value if isinstance(value, str) else None

    def save(self, key: str, text: str) -> None:
        try:
            self.storage.setItem(key, text)
        except Exception as exc:  # a JsException; its name says whether the quota was the reason
            if "Quota" in str(exc) or "quota" in str(exc):
                raise StorageFull(str(exc)) from None
            raise

    def remove(self, key: str) -> None:
        self.storage.removeItem(key)

    def list(self, prefix: str) -> list[str]:
        keys = (self.storage.key(index) for index in range(self.storage.length))
        return sorted(key for key in keys if isinstance(key, str) and key.startswith(prefix))
