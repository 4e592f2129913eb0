"""The entity sets the records API serves: which table, which fields (type, writability), who may write.

This is the whitelist: a field not listed here cannot be filtered, selected, ordered or written, and a column
such as ``passwordhash`` is never listed, so it never leaves the server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Table, or_, select

from server import page_modules
from server.db import schema

productivity_format = page_modules.load("casework/productivity_format.py")  # the page checks with it too
page_inbox = page_modules.load("casework/inbox.py")


def _check_profile_settings(settings: Any) -> None:
    """A profile's settings are an object; the keys with rules here are checked (``inboxViews``: known views)."""
    if not isinstance(settings, dict):
        raise ValueError("settings is a JSON object")
    if "inboxViews" in settings:
        page_inbox.check_profile_views(settings["inboxViews"])

ALL_ROLES = ("agent", "supervisor", "admin")
MANAGERS = ("supervisor", "admin")


@dataclass(frozen=True)
class Field:
    """One exposed field.

    Attributes:
        name: Column name (and JSON name).
        kind: ``string``, ``int``, ``bool``, ``datetime``, ``guid`` or ``json`` (an object stored as text).
        write: ``"always"`` (create and update), ``"create"`` (create only) or ``None`` (read-only).
        required: Must be given (non-null) on create.
        max_length: For strings.
        choices: Allowed values, when the field is an option set.
        nullable: ``null`` is allowed on write.
        default: Value used on create when the client leaves the field out.
        check: Validates the value as sent (raises ``ValueError``, with ``path`` when it has one).
    """

    name: str
    kind: str = "string"
    write: str | None = "always"
    required: bool = False
    max_length: int | None = None
    choices: tuple | None = None
    nullable: bool = True
    default: Any = None
    check: Callable[[Any], None] | None = None


@dataclass(frozen=True)
class LookupName:
    """A read-only text field that is the name of the record a lookup points at, as Dataverse's ``<lookup>name``
    attributes (``customeridname``): usable in ``$filter`` and ``$orderby`` so a list can search and sort by the
    Customer column it shows; not stored, not in ``$select`` (the page reads names itself).

    Attributes:
        name: The field's name in queries.
        lookup: The lookup field it names.
        targets: ``(table, key column, name column)`` of every kind of record the lookup may point at.
    """

    name: str
    lookup: str
    targets: tuple[tuple[Table, str, str], ...]


@dataclass(frozen=True)
class EntitySet:
    """An ``/api/<name>`` collection over ``table`` (rows matching ``fixed`` only)."""

    name: str
    entity: str
    table: Table
    key: str
    fields: tuple[Field, ...]
    write_roles: tuple[str, ...] = ALL_ROLES
    delete_roles: tuple[str, ...] = MANAGERS
    # Agents may change a row only when they own it (or, with owner_or_unowned, when nobody owns it).
    agent_owner_check: bool = False
    owner_or_unowned: bool = False
    # Rows must match these values (a tuple value: any of them).
    fixed: dict[str, Any] = field(default_factory=dict)
    default_order: tuple[tuple[str, bool], ...] = (("createdon", True),)
    # A read-only view (GET only): records are written through their own entity set.
    read_only: bool = False
    # Row-level read scope: ``scope(user)`` gives WHERE clauses limiting what the user sees (None: no limit).
    scope: Callable[[Any], list] | None = None
    # Names of lookups' records, for $filter and $orderby (``customeridname``).
    lookup_names: tuple[LookupName, ...] = ()

    @property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def column(self, name: str):
        return self.table.c[name]


def _common(key: str) -> tuple[Field, ...]:
    return (
        Field(key, "guid", write=None),
        Field("createdon", "datetime", write=None),
        Field("modifiedon", "datetime", write=None),
        Field("versionnumber", "int", write=None),
    )


def _activity_fields(extra: tuple[Field, ...]) -> tuple[Field, ...]:
    return (
        *_common("activityid"),
        Field("activitytypecode", write=None),
        Field("subject", required=True, max_length=300, nullable=False),
        Field("description", max_length=20000),
        Field("regardingobjectid", "guid"),
        Field("regardingobjecttypecode", choices=("incident", "account", "contact")),
        Field("statecode", "int", choices=(0, 1, 2), nullable=False, default=0),
        Field("statuscode", "int", choices=(1, 2, 3, 4, 5, 6), nullable=False, default=1),
        Field("prioritycode", "int", choices=(0, 1, 2), nullable=False, default=1),
        Field("scheduledstart", "datetime"),
        Field("scheduledend", "datetime"),
        Field("actualend", "datetime"),
        Field("ownerid", "guid", write=None),
        *extra,
    )


def _activity_set(name: str, code: str, extra: tuple[Field, ...]) -> EntitySet:
    return EntitySet(name, code, schema.activities, "activityid", _activity_fields(extra),
                     delete_roles=ALL_ROLES, agent_owner_check=True, fixed={"activitytypecode": code})


ACTIVITY_TYPES = ("task", "email", "phonecall", "appointment")


def _activity_pointers() -> EntitySet:
    """Every activity type in one read-only list (the agent's "My open activities"); a row opens its own type."""
    extra = (Field("directioncode", "bool"), Field("sender", max_length=200), Field("torecipients", max_length=500),
             Field("phonenumber", max_length=50), Field("location", max_length=200))
    fields = tuple(replace(f, write=None) for f in _activity_fields(extra))
    return EntitySet("activitypointers", "activitypointer", schema.activities, "activityid", fields,
                     write_roles=(), delete_roles=(), fixed={"activitytypecode": ACTIVITY_TYPES},
                     default_order=(("scheduledend", False),), read_only=True)


def _conversation_scope(user) -> list:
    """Agents see conversations they own, are offered, or that wait in one of their queues."""
    if user.has("supervisor", "admin"):
        return []
    c, members = schema.conversations, schema.queuemembers
    mine = select(members.c.queueid).where(members.c.systemuserid == user.id)
    return [or_(c.c.ownerid == user.id, c.c.offeredto == user.id, c.c.queueid.in_(mine))]


def _message_scope(user) -> list:
    if user.has("supervisor", "admin"):
        return []
    c = schema.conversations
    visible = select(c.c.conversationid).where(*_conversation_scope(user))
    return [schema.conversationmessages.c.conversationid.in_(visible)]


CONVERSATION_STATUS = (1, 2, 3, 4, 5)
CHANNELS = ("chat", "sms", "whatsapp", "facebook", "line", "wechat", "teams")


def _conversation_sets() -> tuple[EntitySet, ...]:
    """Conversations and their messages: read through the records API, changed only by the conversation actions
    (accept, end, close, send ...) so every change also lands in the push log."""
    conversations = EntitySet("conversations", "conversation", schema.conversations, "conversationid", tuple(
        replace(f, write=None) for f in (
            *_common("conversationid"),
            Field("channel", choices=CHANNELS),
            Field("channelaccountid", "guid"),
            Field("title"),
            Field("customerhandle"),
            Field("customername"),
            Field("contactid", "guid"),
            Field("accountid", "guid"),
            Field("incidentid", "guid"),
            Field("queueid", "guid"),
            Field("ownerid", "guid"),
            Field("statecode", "int", choices=(0, 1)),
            Field("statuscode", "int", choices=CONVERSATION_STATUS),
            Field("offeredto", "guid"),
            Field("offerexpireson", "datetime"),
            Field("units", "int"),
            Field("lastsequence", "int"),
            Field("firstresponseon", "datetime"),
            Field("closedon", "datetime"),
            Field("lastmessageon", "datetime"),
        )), write_roles=(), delete_roles=(), read_only=True, scope=_conversation_scope)
    messages = EntitySet("conversationmessages", "conversationmessage", schema.conversationmessages, "messageid",
                         tuple(replace(f, write=None) for f in (
                             *_common("messageid"),
                             Field("conversationid", "guid"),
                             Field("channel", choices=CHANNELS),
                             Field("sequence", "int"),
                             Field("direction", choices=("inbound", "outbound")),
                             Field("sendertype", choices=("customer", "agent", "system")),
                             Field("senderid"),
                             Field("sendername"),
                             Field("text"),
                             Field("attachments", "jsonarray"),
                             Field("providermessageid"),
                             Field("deliverystate", choices=("queued", "sent", "delivered", "read", "failed")),
                             Field("senton", "datetime"),
                         )), write_roles=(), delete_roles=(), read_only=True, scope=_message_scope,
                         default_order=(("sequence", False),))
    return conversations, messages


ENTITY_SETS: dict[str, EntitySet] = {
    s.name: s
    for s in (
        EntitySet("accounts", "account", schema.accounts, "accountid", (
            *_common("accountid"),
            Field("name", required=True, max_length=200, nullable=False),
            Field("accountnumber", required=True, max_length=20, nullable=False),
            Field("telephone1", max_length=50),
            Field("emailaddress1", max_length=200),
            Field("address1_city", max_length=100),
            Field("ownerid", "guid", write=None),
        ), default_order=(("name", False),)),
        EntitySet("contacts", "contact", schema.contacts, "contactid", (
            *_common("contactid"),
            Field("firstname", required=True, max_length=100, nullable=False),
            Field("lastname", required=True, max_length=100, nullable=False),
            Field("fullname", write=None),
            Field("emailaddress1", max_length=200),
            Field("telephone1", max_length=50),
            Field("jobtitle", max_length=100),
            Field("parentcustomerid", "guid"),
            Field("ownerid", "guid", write=None),
        ), default_order=(("fullname", False),), lookup_names=(
            LookupName("parentcustomeridname", "parentcustomerid", ((schema.accounts, "accountid", "name"),)),
        )),
        EntitySet("incidents", "incident", schema.incidents, "incidentid", (
            *_common("incidentid"),
            Field("ticketnumber", write=None),
            Field("title", required=True, max_length=300, nullable=False),
            Field("description", max_length=20000, nullable=False, default=""),
            Field("customerid", "guid", required=True, nullable=False),
            Field("customeridtype", required=True, choices=("account", "contact"), nullable=False),
            Field("prioritycode", "int", choices=(1, 2, 3), nullable=False, default=2),
            Field("caseorigincode", choices=("phone", "email", "web", "chat"), nullable=False, default="web"),
            Field("subject", max_length=100),
            Field("productname", max_length=100),
            Field("statecode", "int", write=None),
            # Status reasons of an active case; resolving and cancelling are actions.
            Field("statuscode", "int", choices=(1, 2, 3, 4), nullable=False, default=1),
            Field("ownerid", "guid", write=None),
            Field("queueid", "guid", write=None),
            Field("resolution", write=None),
            Field("resolvedon", "datetime", write=None),
        ), agent_owner_check=True, owner_or_unowned=True, lookup_names=(
            LookupName("customeridname", "customerid", ((schema.accounts, "accountid", "name"),
                                                        (schema.contacts, "contactid", "fullname"))),
            LookupName("owneridname", "ownerid", ((schema.systemusers, "systemuserid", "fullname"),)),
        )),
        _activity_set("tasks", "task", ()),
        _activity_set("emails", "email", (
            Field("directioncode", "bool"), Field("sender", max_length=200), Field("torecipients", max_length=500),
        )),
        _activity_set("phonecalls", "phonecall", (
            Field("directioncode", "bool"), Field("phonenumber", max_length=50),
        )),
        _activity_set("appointments", "appointment", (Field("location", max_length=200),)),
        _activity_pointers(),
        EntitySet("annotations", "annotation", schema.annotations, "annotationid", (
            *_common("annotationid"),
            Field("subject", max_length=300),
            Field("notetext", required=True, max_length=20000, nullable=False),
            Field("objectid", "guid", write="create", required=True, nullable=False),
            Field("objecttypecode", write="create", required=True, choices=("incident", "account", "contact"),
                  nullable=False),
            Field("ownerid", "guid", write=None),
        ), delete_roles=ALL_ROLES, agent_owner_check=True),
        EntitySet("queues", "queue", schema.queues, "queueid", (
            *_common("queueid"),
            Field("name", required=True, max_length=200, nullable=False),
            Field("description", max_length=2000),
        ), write_roles=MANAGERS, default_order=(("name", False),)),
        EntitySet("queueitems", "queueitem", schema.queueitems, "queueitemid", (
            *_common("queueitemid"),
            Field("queueid", "guid", required=True, nullable=False),
            Field("objectid", "guid", write="create", required=True, nullable=False),
            Field("objecttypecode", write="create", required=True, choices=("incident",), nullable=False),
            Field("title", required=True, max_length=300, nullable=False),
            Field("workerid", "guid"),
            Field("enteredon", "datetime", write=None),
        ), write_roles=MANAGERS, default_order=(("enteredon", False),)),
        EntitySet("knowledgearticles", "knowledgearticle", schema.knowledgearticles, "knowledgearticleid", (
            *_common("knowledgearticleid"),
            Field("articlepublicnumber", write=None),
            Field("title", required=True, max_length=300, nullable=False),
            Field("content", required=True, max_length=100000, nullable=False),
            Field("keywords", max_length=500),
            Field("subject", max_length=100),
            Field("productname", max_length=100),
            Field("statecode", "int", choices=(0, 3), nullable=False, default=0),
            Field("knowledgearticleviews", "int", write=None),
            Field("ownerid", "guid", write=None),
            Field("languagecode", "int", nullable=False, default=1033),
        ), write_roles=MANAGERS),
        EntitySet("templates", "template", schema.templates, "templateid", (
            *_common("templateid"),
            Field("title", required=True, max_length=200, nullable=False),
            Field("templatetypecode", choices=("email",), nullable=False, default="email"),
            Field("subject", required=True, max_length=300, nullable=False),
            Field("body", required=True, max_length=100000, nullable=False),
            Field("languagecode", "int", nullable=False, default=1033),
        ), write_roles=MANAGERS, default_order=(("title", False),)),
        EntitySet("emailtemplates", "template", schema.templates, "templateid", (
            *_common("templateid"),
            Field("title", required=True, max_length=200, nullable=False),
            Field("subject", required=True, max_length=300, nullable=False),
            Field("body", required=True, max_length=100000, nullable=False),
            Field("languagecode", "int", nullable=False, default=1033),
        ), write_roles=MANAGERS, fixed={"templatetypecode": "email"}, default_order=(("title", False),)),
        EntitySet("quickreplies", "quickreply", schema.quickreplies, "quickreplyid", (
            *_common("quickreplyid"),
            Field("title", required=True, max_length=200, nullable=False),
            Field("text", required=True, max_length=4000, nullable=False),
            Field("languagecode", "int", nullable=False, default=1033),
        ), write_roles=MANAGERS, default_order=(("title", False),)),
        EntitySet("macros", "macro", schema.macros, "macroid", (
            *_common("macroid"),
            Field("name", required=True, max_length=200, nullable=False),
            Field("description", max_length=2000),
            Field("definition", "json", required=True, nullable=False, check=productivity_format.check_macro),
        ), write_roles=MANAGERS, default_order=(("name", False),)),
        EntitySet("agentscripts", "agentscript", schema.agentscripts, "agentscriptid", (
            *_common("agentscriptid"),
            Field("name", required=True, max_length=200, nullable=False),
            Field("uniquename", required=True, max_length=100, nullable=False),
            Field("description", max_length=2000),
            Field("languagecode", "int", nullable=False, default=1033),
            Field("definition", "json", required=True, nullable=False, check=productivity_format.check_script),
        ), write_roles=MANAGERS, default_order=(("name", False),)),
        EntitySet("systemusers", "systemuser", schema.systemusers, "systemuserid", (
            *_common("systemuserid"),
            Field("domainname", write="create", required=True, max_length=100, nullable=False),
            Field("fullname", required=True, max_length=200, nullable=False),
            Field("internalemailaddress", max_length=200),
            Field("isdisabled", "bool", nullable=False, default=False),
        ), write_roles=("admin",), delete_roles=("admin",), default_order=(("domainname", False),)),
        EntitySet("profiles", "profile", schema.profiles, "profileid", (
            *_common("profileid"),
            Field("name", required=True, max_length=200, nullable=False),
            Field("isdefault", "bool", nullable=False, default=False),
            Field("settings", "json", required=True, nullable=False, check=_check_profile_settings),
        ), write_roles=("admin",), delete_roles=("admin",), default_order=(("name", False),)),
        *_conversation_sets(),
    )
}

# References checked on write: field -> (field naming the target type or None, {type: (table, key)}).
_CUSTOMER_TARGETS = {"account": (schema.accounts, "accountid"), "contact": (schema.contacts, "contactid")}
_REGARDING_TARGETS = {**_CUSTOMER_TARGETS, "incident": (schema.incidents, "incidentid")}
REFERENCES: dict[str, dict[str, tuple[str | None, dict[str, tuple[Table, str]]]]] = {
    "incidents": {"customerid": ("customeridtype", _CUSTOMER_TARGETS)},
    "contacts": {"parentcustomerid": (None, {"account": (schema.accounts, "accountid")})},
    "annotations": {"objectid": ("objecttypecode", _REGARDING_TARGETS)},
    "queueitems": {"queueid": (None, {"queue": (schema.queues, "queueid")}),
                   "objectid": ("objecttypecode", {"incident": (schema.incidents, "incidentid")}),
                   "workerid": (None, {"systemuser": (schema.systemusers, "systemuserid")})},
    **{name: {"regardingobjectid": ("regardingobjecttypecode", _REGARDING_TARGETS)}
       for name in ("tasks", "emails", "phonecalls", "appointments")},
}
