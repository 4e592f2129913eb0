"""Where session restore keeps its envelopes: a small connector protocol and the restore store on top.

Pure (no ``js``): the browser passes a ``LocalStorageConnector`` with the same four
methods; tests use :class:`MemoryConnector`. The order of restore is in ``docs/restore.md``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from apm.errors import ApmError
from apm.events import EventBus
from apm.model import DEFAULT_MAX_SESSIONS, DEFAULT_MAX_TABS, Workspace
from apm.snapshot import SCHEMA_VERSION, RestoreResult, dehydrate, json_copy, rehydrate
from apm.templates import TemplateRegistry
from casework.restore_cache import SnapshotWriter

KEY_PREFIX = "casework.restore.v1"
QUARANTINE = "quarantine"
DEFAULT_DELAY_MS = 250.0
DEFAULT_MAX_WAIT_MS = 2000.0


class StorageFull(Exception):
    """The storage refused a write for lack of space (localStorage's ``QuotaExceededError``)."""


class Connector:
    """The storage protocol (JupyterLab's ``IDataConnector``, by key).

    Any object with these four methods works; this class only documents them.
    Values are text; a missing key fetches as ``None``.
    """

    def fetch(self, key: str) -> str | None:
        """Returns the text stored under ``key``, or ``None``."""
        raise NotImplementedError

    def save(self, key: str, text: str) -> None:
        """Stores ``text`` under ``key``.

        Raises:
            StorageFull: when there is no room for it (nothing is written then).
        """
        raise NotImplementedError

    def remove(self, key: str) -> None:
        """Removes ``key`` (a missing key is fine)."""
        raise NotImplementedError

    def list(self, prefix: str) -> list[str]:
        """Returns the keys starting with ``prefix``, sorted."""
        raise NotImplementedError


class MemoryConnector(Connector):
    """An in-memory connector for tests, with an optional capacity to emulate a full localStorage.

    Args:
        capacity: Bytes available, counted as localStorage does (UTF-16: two bytes per
            code unit of key and value); ``None`` for unlimited.
    """

    def __init__(self, capacity: int | None = None) -> None:
        self.capacity = capacity
        self.data: dict[str, str] = {}
        self.writes = 0

    @staticmethod
    def size_of(key: str, text: str) -> int:
        """Bytes ``key`` and ``text`` take in UTF-16."""
        return len(key.encode("utf-16-le")) + len(text.encode("utf-16-le"))

    def used(self) -> int:
        """Bytes in use."""
        return sum(self.size_of(k, v) for k, v in self.data.items())

    def fetch(self, key: str) -> str | None:
        return self.data.get(key)

    def save(self, key: str, text: str) -> None:
        if not isinstance(key, str) or not isinstance(text, str):
            raise TypeError("MemoryConnector stores text under text keys.")
        if self.capacity is not None:
            after = self.used() - (self.size_of(key, self.data[key]) if key in self.data else 0)
            if after + self.size_of(key, text) > self.capacity:
                raise StorageFull(f"No room for {key!r} ({self.size_of(key, text)} bytes).")
        self.data[key] = text
        self.writes += 1

    def remove(self, key: str) -> None:
        self.data.pop(key, None)

    def list(self, prefix: str) -> list[str]:
        return sorted(k for k in self.data if k.startswith(prefix))


# --- Keys -------------------------------------------------------------------------------


def escape_part(text: str) -> str:
    """Escapes ``%`` and ``:`` so key parts never mix (origins contain ``:``)."""
    return text.replace("%", "%25").replace(":", "%3A")


def unescape_part(text: str) -> str:
    """Undoes :func:`escape_part`."""
    return text.replace("%3A", ":").replace("%3a", ":").replace("%25", "%")


def user_prefix(origin: str, user: str) -> str:
    """Returns the key prefix of every workspace of one signed-in user on one server origin (ends with ``:``)."""
    return f"{KEY_PREFIX}:{escape_part(origin)}:{escape_part(user)}:"


def forget_user(connector: Connector, origin: str, user: str) -> int:
    """Removes every saved workspace of ``user`` on ``origin`` (drafts and quarantine keys included), as signing
    out does: the next person at this browser finds nothing of theirs. Returns how many keys were removed."""
    keys = connector.list(user_prefix(origin, user))
    for key in keys:
        connector.remove(key)
    return len(keys)


def restore_key(origin: str, user: str, workspace_id: str) -> str:
    """Returns ``casework.restore.v1:<origin>:<user>:<workspaceId>`` with each part escaped."""
    return user_prefix(origin, user) + escape_part(workspace_id)


@dataclass(frozen=True)
class SavedWorkspace:
    """A saved workspace slot, as offered for reopening.

    Attributes:
        workspace_id: The browser tab's workspace id.
        saved_at: The envelope's ``saved_at`` (``None`` when unreadable).
        key: The storage key.
    """

    workspace_id: str
    saved_at: str | None
    key: str


def _peek_saved_at(text: str | None) -> str | None:
    # Our envelopes start {"schema":N,"saved_at":"..." so the head is enough; others are parsed in full.
    if not text:
        return None
    head = text[:200]
    marker = '"saved_at":"'
    start = head.find(marker)
    if start != -1:
        end = head.find('"', start + len(marker))
        if end != -1 and "\\" not in head[start:end]:
            return head[start + len(marker) : end]
    try:
        value = json.loads(text).get("saved_at")
    except Exception:  # an unreadable slot is listed without a date
        return None
    return value if isinstance(value, str) else None


def list_workspaces(connector: Connector, prefix: str) -> list[SavedWorkspace]:
    """Lists saved workspaces under ``prefix`` (see :func:`user_prefix`), newest first; quarantine keys excluded.

    Supports "a new browser tab offers to reopen a workspace whose browser tab was closed":
    the caller leaves out the ids of live browser tabs.
    """
    found = []
    for key in connector.list(prefix):
        rest = key[len(prefix) :]
        if not rest or ":" in rest:  # quarantine keys and anything nested
            continue
        found.append(SavedWorkspace(unescape_part(rest), _peek_saved_at(connector.fetch(key)), key))
    found.sort(key=lambda entry: entry.saved_at or "", reverse=True)
    return found


# --- Store --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaveResult:
    """What :meth:`RestoreStore.save` did; true when the workspace is in storage.

    Attributes:
        saved: True when written (or unchanged since the last write).
        reason: ``"saved"``, ``"unchanged"``, ``"not_restored"`` (refused before load),
            ``"storage_full"`` (nothing fitted) or ``"error"``.
        trimmed: Notes on drafts / view state left out to make it fit, for the notice.
        skipped: Notes on view-state or extras entries left out because they were not JSON objects.
        size: Length of the text written.
        error: The error text for ``"error"``.
    """

    saved: bool
    reason: str
    trimmed: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    size: int = 0
    error: str | None = None

    def __bool__(self) -> bool:
        return self.saved


def utc_now() -> str:
    """Returns the current UTC time as ISO 8601 text with milliseconds."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


class RestoreStore:
    """Loads and saves one browser tab's workspace under its own key.

    Saving is refused until :meth:`load` has finished (JupyterLab's rule: a save
    before restoring would overwrite the saved layout with a blank one).

    Args:
        connector: The storage.
        origin: The server origin (``location.origin``).
        user: The signed-in user's id.
        workspace_id: This browser tab's workspace id (kept in sessionStorage).
        templates, max_sessions, max_tabs, id_factory, bus: Passed to
            :func:`~apm.snapshot.rehydrate` for the restored workspace.
        clock: Returns the ISO timestamp written as ``saved_at``.
    """

    def __init__(
        self,
        connector: Connector,
        *,
        origin: str,
        user: str,
        workspace_id: str,
        templates: TemplateRegistry | None = None,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        max_tabs: int = DEFAULT_MAX_TABS,
        id_factory: Callable[[str], str] | None = None,
        bus: EventBus | None = None,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self.connector = connector
        self.origin = origin
        self.user = user
        self.workspace_id = workspace_id
        self.key = restore_key(origin, user, workspace_id)
        self.prefix = user_prefix(origin, user)
        self.clock = clock
        self._rehydrate_options = {
            "templates": templates,
            "max_sessions": max_sessions,
            "max_tabs": max_tabs,
            "id_factory": id_factory,
            "bus": bus,
        }
        self.restored = False
        self.last_result: RestoreResult | None = None
        self.quarantine_key: str | None = None
        #: Raw text that could not be kept aside (storage full); the UI can offer it for download.
        self.unkept_text: str | None = None
        self._last_body: str | None = None
        #: Serialises saves incrementally (only what changed since the last save); ``None``: everything each time.
        self.writer: SnapshotWriter | None = SnapshotWriter()
        self._listeners: tuple[Callable[[str, str], object], ...] = ()

    # -- change signal --

    def subscribe(self, callback: Callable[[str, str], object]) -> Callable[[], None]:
        """Calls ``callback(kind, key)`` after every write (``"saved"``, ``"quarantined"``, ``"removed"``).

        Returns:
            A function that removes the subscription.
        """
        self._listeners = (*self._listeners, callback)

        def unsubscribe() -> None:
            self._listeners = tuple(c for c in self._listeners if c is not callback)

        return unsubscribe

    def _changed(self, kind: str, key: str) -> None:
        for callback in self._listeners:
            try:
                callback(kind, key)
            except Exception:  # a listener never breaks saving
                pass

    # -- load --

    def load(self) -> RestoreResult:
        """Reads, migrates and rehydrates this workspace's slot; never raises.

        When the result asks for quarantine, the raw text is first written under
        ``<key>:quarantine:<saved_at or now>`` (never deleted by this store). After
        this call, :meth:`save` is allowed.

        Returns:
            The :class:`~apm.snapshot.RestoreResult`; a note is added when the slot could
            not be read or the raw text could not be kept aside.
        """
        try:
            try:
                text = self.connector.fetch(self.key)
            except Exception as exc:  # storage may be disabled or throw SecurityError
                result = rehydrate(None, **self._rehydrate_options)
                note = f"The saved workspace could not be read ({type(exc).__name__}); starting fresh."
                result = _with_note(result, note)
            else:
                result = rehydrate(text, **self._rehydrate_options)
                if result.quarantine and isinstance(text, str) and text.strip():
                    note = self._keep_aside(text, result.saved_at)
                    if note:
                        result = _with_note(result, note)
            self.last_result = result
            return result
        finally:
            self.restored = True

    def _keep_aside(self, text: str, saved_at: str | None) -> str | None:
        saved_at = saved_at or _peek_saved_at(text)  # a truncated text often still shows its date
        stamp = saved_at if isinstance(saved_at, str) and 0 < len(saved_at) <= 64 else self.clock()
        base = f"{self.key}:{QUARANTINE}:{escape_part(stamp)}"
        key, n = base, 1
        try:
            while True:
                existing = self.connector.fetch(key)
                if existing is None:
                    break
                if existing == text:  # already kept (e.g. a reload before the next save)
                    self.quarantine_key = key
                    return None
                n += 1
                key = f"{base}-{n}"
            self.connector.save(key, text)
        except Exception as exc:
            self.unkept_text = text
            name = type(exc).__name__
            return f"The unusable saved data could not be kept aside ({name}); it can still be downloaded."
        self.quarantine_key = key
        self._changed("quarantined", key)
        return None

    def quarantine_keys(self) -> list[str]:
        """Returns this workspace's quarantine keys, oldest stamp first."""
        return self.connector.list(f"{self.key}:{QUARANTINE}:")

    # -- save --

    def save(
        self,
        workspace: Workspace,
        view_state: Mapping[str, dict] | None = None,
        extras: Mapping[str, dict] | None = None,
    ) -> SaveResult:
        """Writes the workspace; refused (falsy result, ``reason="not_restored"``) until :meth:`load` finished.

        View-state and extras entries that are not JSON objects are left out (listed in
        ``skipped``). When the storage is full, drafts are left out of the saved copy —
        the oldest (``touched_at``) first, the largest first among equals — then whole
        view-state entries, largest first, then the extras; what was left out is listed
        in ``trimmed``. The caller's live view state is never changed. An identical
        workspace is not written again.

        Returns:
            A :class:`SaveResult`; never raises.
        """
        if not self.restored:
            return SaveResult(False, "not_restored")
        try:
            if self.writer is not None:
                try:
                    result = self._write_incremental(workspace, view_state, extras)
                except StorageFull:
                    result = None  # the path below trims drafts and retries
                except Exception:  # never worse than the full path: fall back to it
                    self.writer.clear()
                    result = None
                if result is not None:
                    return result
            views, skipped = _clean(view_state, "view state of tab", workspace.tabs)
            more, skipped_extras = _clean(extras, "extras of session", workspace.sessions)
            return self._write(workspace, views, more, skipped + skipped_extras)
        except Exception as exc:  # saving must never break the workspace
            return SaveResult(False, "error", error=f"{type(exc).__name__}: {exc}")

    def _write_incremental(self, workspace: Workspace, view_state: Mapping[str, dict] | None,
                           extras: Mapping[str, dict] | None) -> SaveResult:
        # The same text as _write, from the writer's cached pieces; StorageFull goes to _write's trimming.
        body, skipped = self.writer.body(workspace, view_state, extras)
        if body == self._last_body:
            return SaveResult(True, "unchanged", (), skipped, 0)
        text = f'{{"schema":{SCHEMA_VERSION},"saved_at":{json.dumps(self.clock())},"data":{body}}}'
        self.connector.save(self.key, text)
        self._last_body = body
        self._changed("saved", self.key)
        return SaveResult(True, "saved", (), skipped, len(text))

    def _write(self, workspace: Workspace, views: dict, extras: dict, skipped: tuple[str, ...]) -> SaveResult:
        trimmed: list[str] = []
        plan: list[Callable[[dict, dict], str]] | None = None  # worked out on the first StorageFull only
        while True:
            # No copies (views and extras are our own checked copies; the text is made at once), and no
            # circular check (a tree of plain JSON values has no cycles): together 2.5x cheaper. Non-ASCII
            # stays as is: localStorage counts UTF-16 units, and an escaped \u00e9 would take six of them.
            envelope = dehydrate(workspace, saved_at="", view_state=views, extras=extras, copy=False)
            body = json.dumps(
                envelope["data"], separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
            )
            if body == self._last_body:
                return SaveResult(True, "unchanged", tuple(trimmed), skipped, 0)
            # Assembled by hand so schema and saved_at lead the text (list_workspaces peeks at them).
            text = f'{{"schema":{SCHEMA_VERSION},"saved_at":{json.dumps(self.clock())},"data":{body}}}'
            try:
                self.connector.save(self.key, text)
            except StorageFull:
                if plan is None:
                    plan = _trim_plan(views, extras)
                if not plan:
                    self._last_body = None
                    return SaveResult(False, "storage_full", tuple(trimmed), skipped)
                trimmed.append(plan.pop(0)(views, extras))
                continue
            self._last_body = body
            self._changed("saved", self.key)
            return SaveResult(True, "saved", tuple(trimmed), skipped, len(text))

    def remove(self) -> None:
        """Removes this workspace's slot (not its quarantine keys), e.g. when the agent discards it."""
        self.connector.remove(self.key)
        self._last_body = None
        self._changed("removed", self.key)

    def list_workspaces(self) -> list[SavedWorkspace]:
        """Saved workspaces of this user on this origin, newest first (this one included)."""
        return list_workspaces(self.connector, self.prefix)


def _with_note(result: RestoreResult, note: str) -> RestoreResult:
    return RestoreResult(
        result.workspace,
        result.view_state,
        result.extras,
        (*result.dropped, note),
        result.fresh,
        result.quarantine,
        result.saved_at,
        result.migrated_from,
    )


def _clean(entries: Mapping | None, what: str, alive: Mapping) -> tuple[dict, tuple[str, ...]]:
    kept: dict = {}
    skipped: list[str] = []
    for key, value in (entries or {}).items():
        if key not in alive:
            continue
        try:
            if not isinstance(value, Mapping):
                raise TypeError
            kept[key] = json_copy(value)  # a copy: trimming must not touch the caller's live state
        except (ApmError, TypeError):
            skipped.append(f"The {what} {key!r} is not a JSON object and was not saved.")
    return kept, tuple(skipped)


def _size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), allow_nan=False))


def _touched(view: Mapping) -> float:
    stamp = view.get("touched_at")
    if isinstance(stamp, (int, float)) and not isinstance(stamp, bool):
        return float(stamp)
    return float("-inf")  # undated drafts count as the oldest


def _trim_plan(views: dict, extras: dict) -> list[Callable[[dict, dict], str]]:
    """The order in which to leave things out when the storage is full; each step returns its note."""
    steps: list[Callable[[dict, dict], str]] = []
    drafts = [tab_id for tab_id, view in views.items() if "draft" in view]
    drafts.sort(key=lambda tab_id: (_touched(views[tab_id]), -_size(views[tab_id]["draft"])))
    for tab_id in drafts:

        def drop_draft(views: dict, extras: dict, tab_id: str = tab_id) -> str:
            del views[tab_id]["draft"]
            return f"The unsaved draft of tab {tab_id!r} was not saved: the browser storage is full."

        steps.append(drop_draft)
    for tab_id in sorted(views, key=lambda tab_id: -_size({k: v for k, v in views[tab_id].items() if k != "draft"})):

        def drop_view(views: dict, extras: dict, tab_id: str = tab_id) -> str:
            views.pop(tab_id, None)
            return f"The view state of tab {tab_id!r} was not saved: the browser storage is full."

        steps.append(drop_view)
    if extras:

        def drop_extras(views: dict, extras: dict) -> str:
            extras.clear()
            return "The productivity pane state was not saved: the browser storage is full."

        steps.append(drop_extras)
    return steps


class Debouncer:
    """When to save: after ``delay_ms`` of quiet, or ``max_wait_ms`` after the first change at the latest.

    Pure (time is passed in, in milliseconds); the browser drives it with ``setTimeout``:
    call :meth:`touch` on every workspace event, :meth:`next_due` to arm the timer, and
    save when :meth:`due` says so, then :meth:`done`.

    Args:
        delay_ms: Quiet time before a save.
        max_wait_ms: Longest a change waits while changes keep coming (``None``: no cap).
    """

    def __init__(self, delay_ms: float = DEFAULT_DELAY_MS, max_wait_ms: float | None = DEFAULT_MAX_WAIT_MS) -> None:
        self.delay_ms = delay_ms
        self.max_wait_ms = max_wait_ms
        self._first: float | None = None
        self._last: float | None = None

    @property
    def pending(self) -> bool:
        """Whether a change is waiting to be saved."""
        return self._first is not None

    def touch(self, now: float) -> None:
        """Records a change at ``now``."""
        if self._first is None:
            self._first = now
        self._last = now

    def due_at(self) -> float | None:
        """The time at which a save becomes due, or ``None`` when nothing is pending."""
        if self._first is None or self._last is None:
            return None
        at = self._last + self.delay_ms
        if self.max_wait_ms is not None:
            at = min(at, self._first + self.max_wait_ms)
        return at

    def due(self, now: float) -> bool:
        """Whether a save is due at ``now``."""
        at = self.due_at()
        return at is not None and now >= at

    def next_due(self, now: float) -> float | None:
        """Milliseconds from ``now`` until a save is due (0 when due), or ``None`` when nothing is pending."""
        at = self.due_at()
        return None if at is None else max(0.0, at - now)

    def done(self) -> None:
        """Marks the pending change saved."""
        self._first = self._last = None


def dropped_message(notes: Sequence[str], shown: int = 3) -> str:
    """One readable notice for what a restore left out or repaired (the first ``shown`` notes, then a count)."""
    listed = "; ".join(notes[:shown])
    more = len(notes) - shown
    return f"Your workspace was restored, except: {listed}" + (f"; and {more} more." if more > 0 else ".")
