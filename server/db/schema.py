"""Table definitions (SQLAlchemy Core) in their latest shape.

Migration 1 created the first four tables (frozen in ``schema_v1.py``); migration 2 adds columns to them and
creates the rest. Every record table carries ``versionnumber``, incremented on every write: it is the ETag.
Ids are GUID strings (36 characters), times are timezone-aware UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()


def _version() -> Column:
    return Column("versionnumber", Integer, nullable=False, server_default=text("1"))


def _stamps() -> list[Column]:
    return [
        Column("createdon", DateTime(timezone=True), nullable=False),
        Column("modifiedon", DateTime(timezone=True), nullable=False),
    ]


schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

settings_table = Table(
    "casework_meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

# -- Columns migration 2 adds to the migration-1 tables (name -> Column), kept here so schema and migration agree.
ADDED_COLUMNS: dict[str, list[Column]] = {
    "accounts": [
        Column("ownerid", String(36)),
        Column("versionnumber", Integer, nullable=False, server_default=text("1")),
    ],
    "contacts": [
        Column("jobtitle", String(100)),
        Column("ownerid", String(36)),
        Column("versionnumber", Integer, nullable=False, server_default=text("1")),
    ],
    "incidents": [
        Column("subject", String(100)),
        Column("productname", String(100)),
        Column("ownerid", String(36)),
        Column("queueid", String(36)),
        Column("resolution", Text),
        Column("resolvedon", DateTime(timezone=True)),
        Column("versionnumber", Integer, nullable=False, server_default=text("1")),
    ],
}


def _added(table: str) -> list[Column]:
    return [column._copy() for column in ADDED_COLUMNS[table]]


accounts = Table(
    "accounts",
    metadata,
    Column("accountid", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("accountnumber", String(20), nullable=False, unique=True),
    Column("telephone1", String(50)),
    Column("emailaddress1", String(200)),
    Column("address1_city", String(100)),
    Column("createdon", DateTime(timezone=True), nullable=False),
    Column("modifiedon", DateTime(timezone=True), nullable=False),
    *_added("accounts"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("contactid", String(36), primary_key=True),
    Column("firstname", String(100), nullable=False),
    Column("lastname", String(100), nullable=False),
    Column("fullname", String(200), nullable=False),
    Column("emailaddress1", String(200)),
    Column("telephone1", String(50)),
    Column("parentcustomerid", String(36), ForeignKey("accounts.accountid")),
    Column("createdon", DateTime(timezone=True), nullable=False),
    Column("modifiedon", DateTime(timezone=True), nullable=False),
    *_added("contacts"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("incidentid", String(36), primary_key=True),
    Column("ticketnumber", String(32), nullable=False, unique=True),
    Column("title", String(300), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("customerid", String(36), nullable=False),
    Column("customeridtype", String(20), nullable=False),
    Column("prioritycode", Integer, nullable=False),
    Column("caseorigincode", String(30), nullable=False),
    Column("statecode", Integer, nullable=False),
    Column("statuscode", Integer, nullable=False),
    Column("createdon", DateTime(timezone=True), nullable=False),
    Column("modifiedon", DateTime(timezone=True), nullable=False),
    *_added("incidents"),
)

systemusers = Table(
    "systemusers",
    metadata,
    Column("systemuserid", String(36), primary_key=True),
    Column("domainname", String(100), nullable=False, unique=True),
    Column("fullname", String(200), nullable=False),
    Column("internalemailaddress", String(200)),
    Column("passwordhash", String(200)),
    Column("isdisabled", Boolean, nullable=False, server_default=text("false")),
    *_stamps(),
    _version(),
)

userroles = Table(
    "userroles",
    metadata,
    Column("systemuserid", String(36), ForeignKey("systemusers.systemuserid", ondelete="CASCADE"), nullable=False),
    Column("role", String(20), nullable=False),
    PrimaryKeyConstraint("systemuserid", "role"),
)

queues = Table(
    "queues",
    metadata,
    Column("queueid", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("description", Text),
    *_stamps(),
    _version(),
)

queuemembers = Table(
    "queuemembers",
    metadata,
    Column("queueid", String(36), ForeignKey("queues.queueid", ondelete="CASCADE"), nullable=False),
    Column("systemuserid", String(36), ForeignKey("systemusers.systemuserid", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("queueid", "systemuserid"),
)

queueitems = Table(
    "queueitems",
    metadata,
    Column("queueitemid", String(36), primary_key=True),
    Column("queueid", String(36), ForeignKey("queues.queueid"), nullable=False),
    Column("objectid", String(36), nullable=False),
    Column("objecttypecode", String(30), nullable=False),
    Column("title", String(300), nullable=False),
    Column("workerid", String(36)),
    Column("enteredon", DateTime(timezone=True), nullable=False),
    *_stamps(),
    _version(),
    Index("ix_queueitems_queueid", "queueid"),
    Index("ix_queueitems_objectid", "objectid"),
)

# One table for every activity type (like Dataverse's activitypointer); the entity sets tasks, emails, phonecalls
# and appointments are views of it by ``activitytypecode``. Case resolutions are activities too.
activities = Table(
    "activities",
    metadata,
    Column("activityid", String(36), primary_key=True),
    Column("activitytypecode", String(30), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("description", Text),
    Column("regardingobjectid", String(36)),
    Column("regardingobjecttypecode", String(30)),
    Column("statecode", Integer, nullable=False, server_default=text("0")),
    Column("statuscode", Integer, nullable=False, server_default=text("1")),
    Column("prioritycode", Integer, nullable=False, server_default=text("1")),
    Column("directioncode", Boolean),
    Column("sender", String(200)),
    Column("torecipients", String(500)),
    Column("phonenumber", String(50)),
    Column("location", String(200)),
    Column("scheduledstart", DateTime(timezone=True)),
    Column("scheduledend", DateTime(timezone=True)),
    Column("actualend", DateTime(timezone=True)),
    Column("ownerid", String(36)),
    *_stamps(),
    _version(),
    Index("ix_activities_regarding", "regardingobjectid", "createdon"),
    Index("ix_activities_type", "activitytypecode"),
)

annotations = Table(
    "annotations",
    metadata,
    Column("annotationid", String(36), primary_key=True),
    Column("subject", String(300)),
    Column("notetext", Text, nullable=False),
    Column("objectid", String(36), nullable=False),
    Column("objecttypecode", String(30), nullable=False),
    Column("ownerid", String(36)),
    *_stamps(),
    _version(),
    Index("ix_annotations_objectid", "objectid", "createdon"),
)

knowledgearticles = Table(
    "knowledgearticles",
    metadata,
    Column("knowledgearticleid", String(36), primary_key=True),
    Column("articlepublicnumber", String(20), nullable=False, unique=True),
    Column("title", String(300), nullable=False),
    Column("content", Text, nullable=False),
    Column("keywords", String(500)),
    Column("subject", String(100)),
    Column("productname", String(100)),
    Column("statecode", Integer, nullable=False),  # 0 draft, 3 published (Dataverse values)
    Column("knowledgearticleviews", Integer, nullable=False, server_default=text("0")),
    Column("ownerid", String(36)),
    Column("languagecode", Integer, nullable=False, server_default=text("1033")),  # migration 7
    *_stamps(),
    _version(),
)

templates = Table(
    "templates",
    metadata,
    Column("templateid", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("templatetypecode", String(30), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("languagecode", Integer, nullable=False, server_default=text("1033")),
    *_stamps(),
    _version(),
)

profiles = Table(
    "profiles",
    metadata,
    Column("profileid", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("isdefault", Boolean, nullable=False, server_default=text("false")),
    Column("settings", Text, nullable=False),  # JSON object
    *_stamps(),
    _version(),
)

# A profile is assigned to a user or to a role; lower rank wins, and a user assignment beats any role assignment.
profileassignments = Table(
    "profileassignments",
    metadata,
    Column("assignmentid", String(36), primary_key=True),
    Column("profileid", String(36), ForeignKey("profiles.profileid", ondelete="CASCADE"), nullable=False),
    Column("systemuserid", String(36), ForeignKey("systemusers.systemuserid", ondelete="CASCADE")),
    Column("role", String(20)),
    Column("rank", Integer, nullable=False),
)

usersettings = Table(
    "usersettings",
    metadata,
    Column("systemuserid", String(36), ForeignKey("systemusers.systemuserid", ondelete="CASCADE"), nullable=False),
    Column("key", String(100), nullable=False),
    Column("value", Text, nullable=False),  # JSON value
    PrimaryKeyConstraint("systemuserid", "key"),
)

# Server-side sessions: the cookie holds a random token, the table only its SHA-256 (a leaked table is no login).
sessions = Table(
    "sessions",
    metadata,
    Column("tokenhash", String(64), primary_key=True),
    Column("systemuserid", String(36), ForeignKey("systemusers.systemuserid", ondelete="CASCADE"), nullable=False),
    Column("csrftoken", String(64), nullable=False),
    Column("createdon", DateTime(timezone=True), nullable=False),
    Column("expireson", DateTime(timezone=True), nullable=False),
)

INDEXES = [
    Index("ix_incidents_ownerid", incidents.c.ownerid),
    Index("ix_incidents_queueid", incidents.c.queueid),
    Index("ix_incidents_customerid", incidents.c.customerid),
    Index("ix_incidents_createdon", incidents.c.createdon),
    # Serves the common list "active cases of a priority, newest first" as an ordered index scan.
    Index("ix_incidents_state", incidents.c.statecode, incidents.c.prioritycode, incidents.c.createdon),
    Index("ix_contacts_parent", contacts.c.parentcustomerid),
]

# Migration 3: the agent dashboard's three lists as ordered index range scans. Each is equality columns first, then
# the list's default order with the key as its tie-break (the API's total order), so a page is the first rows of
# one index range and $count counts that range without reading the table. Before, at 1,000,000 cases, "My open
# activities" scanned 4.4M activities by type and ran for minutes (a server core busy all along), "My active cases"
# took ~2 s and "Cases available to work on" ~0.35 s.
DASHBOARD_INDEXES = [
    Index("ix_incidents_mine", incidents.c.ownerid, incidents.c.statecode, incidents.c.createdon.desc(),
          incidents.c.incidentid),
    # activitytypecode last: the list's type filter (activity types only) is answered from the index.
    Index("ix_activities_mine", activities.c.ownerid, activities.c.statecode, activities.c.scheduledend,
          activities.c.activityid, activities.c.activitytypecode),
    Index("ix_queueitems_available", queueitems.c.workerid, queueitems.c.enteredon, queueitems.c.queueitemid),
]

NEW_TABLES = (
    systemusers, userroles, queues, queuemembers, queueitems, activities, annotations, knowledgearticles,
    templates, profiles, profileassignments, usersettings, sessions,
)


# -- Migration 4: conversations, messages, channel accounts, presence, the outbox and the push event log. ---------

channelaccounts = Table(
    "channelaccounts",
    metadata,
    Column("channelaccountid", String(36), primary_key=True),
    Column("channel", String(20), nullable=False),  # chat | sms | whatsapp | facebook | line | wechat | teams
    Column("name", String(200), nullable=False),
    Column("handle", String(200)),  # the business side (To number, phone_number_id, page id, ...); None: any
    Column("secret", String(500), nullable=False),  # Twilio auth token, Meta app secret, LINE secret, WeChat token
    Column("verifytoken", String(200)),  # hub.verify_token (WhatsApp, Facebook)
    Column("settings", Text, nullable=False, server_default=text("'{}'")),  # JSON: Teams app id, jwks, issuer
    Column("queueid", String(36), ForeignKey("queues.queueid"), nullable=False),
    Column("isdisabled", Boolean, nullable=False, server_default=text("false")),
    *_stamps(),
    _version(),
    UniqueConstraint("channel", "name", name="uq_channelaccounts_name"),
)

# A customer's handle on a channel (phone, wa_id, PSID, LINE userId, OpenID, Teams id, chat e-mail) -> contact.
channelidentities = Table(
    "channelidentities",
    metadata,
    Column("channel", String(20), nullable=False),
    Column("handle", String(200), nullable=False),
    Column("contactid", String(36), ForeignKey("contacts.contactid", ondelete="CASCADE"), nullable=False),
    Column("createdon", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("channel", "handle"),
)

conversations = Table(
    "conversations",
    metadata,
    Column("conversationid", String(36), primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("channelaccountid", String(36), ForeignKey("channelaccounts.channelaccountid")),
    Column("title", String(300), nullable=False),
    Column("customerhandle", String(200), nullable=False),
    Column("customername", String(200)),
    Column("contactid", String(36), ForeignKey("contacts.contactid")),
    Column("accountid", String(36), ForeignKey("accounts.accountid")),
    Column("incidentid", String(36), ForeignKey("incidents.incidentid")),
    Column("queueid", String(36), ForeignKey("queues.queueid"), nullable=False),
    Column("ownerid", String(36), ForeignKey("systemusers.systemuserid")),
    Column("statecode", Integer, nullable=False, server_default=text("0")),
    Column("statuscode", Integer, nullable=False, server_default=text("1")),
    # The one pending offer (one holder at a time): who holds it and until when.
    Column("offeredto", String(36), ForeignKey("systemusers.systemuserid")),
    Column("offerexpireson", DateTime(timezone=True)),
    Column("units", Integer, nullable=False, server_default=text("1")),
    Column("conversationref", Text),  # JSON: what outbound needs (Teams serviceUrl + conversation id)
    Column("customertokenhash", String(64), unique=True),  # /chat's persistent-chat token (SHA-256 only)
    Column("lastsequence", Integer, nullable=False, server_default=text("0")),
    Column("firstresponseon", DateTime(timezone=True)),
    Column("closedon", DateTime(timezone=True)),
    Column("lastmessageon", DateTime(timezone=True)),
    # Migration 7: the customer's live sockets (the /chat page) and when the last one closed (Waiting after a grace).
    Column("customerconnections", Integer, nullable=False, server_default=text("0")),
    Column("customerdisconnectedon", DateTime(timezone=True)),
    *_stamps(),
    _version(),
    Index("ix_conversations_waiting", "statuscode", "queueid", "createdon"),
    Index("ix_conversations_owner", "ownerid", "statuscode"),
    Index("ix_conversations_customer", "channel", "customerhandle", "statuscode"),
)

conversationmessages = Table(
    "conversationmessages",
    metadata,
    Column("messageid", String(36), primary_key=True),
    Column("conversationid", String(36), ForeignKey("conversations.conversationid", ondelete="CASCADE"),
           nullable=False),
    Column("channel", String(20), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("direction", String(10), nullable=False),  # inbound | outbound
    Column("sendertype", String(10), nullable=False),  # customer | agent | system
    Column("senderid", String(200)),
    Column("sendername", String(200)),
    Column("text", Text, nullable=False),
    Column("attachments", Text, nullable=False, server_default=text("'[]'")),  # JSON array of metadata
    Column("providermessageid", String(512)),  # long enough for Teams: conversation id, "|", activity id
    Column("deliverystate", String(10), nullable=False),  # sent | delivered | read | failed
    Column("senton", DateTime(timezone=True)),
    *_stamps(),
    _version(),
    # The idempotency guarantee: a provider's retry, a duplicate inside one payload and two concurrent deliveries
    # of one message all meet this constraint; the second insert fails and nothing else is written.
    UniqueConstraint("channel", "providermessageid", name="uq_messages_provider_id"),
    UniqueConstraint("conversationid", "sequence", name="uq_messages_sequence"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("outboxid", String(36), primary_key=True),
    Column("messageid", String(36), ForeignKey("conversationmessages.messageid", ondelete="CASCADE"),
           nullable=False, unique=True),
    Column("channel", String(20), nullable=False),
    Column("request", Text, nullable=False),  # JSON: the provider API request the adapter built
    Column("state", String(10), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("nextattempton", DateTime(timezone=True), nullable=False),
    Column("lasterror", String(500)),
    *_stamps(),
    Index("ix_outbox_due", "state", "nextattempton"),
)

conversationoffers = Table(
    "conversationoffers",
    metadata,
    Column("offerid", String(36), primary_key=True),
    Column("conversationid", String(36), ForeignKey("conversations.conversationid", ondelete="CASCADE"),
           nullable=False),
    Column("systemuserid", String(36), ForeignKey("systemusers.systemuserid", ondelete="CASCADE"), nullable=False),
    Column("outcome", String(10), nullable=False),  # pending | accepted | rejected | expired | withdrawn
    Column("offeredon", DateTime(timezone=True), nullable=False),
    Column("expireson", DateTime(timezone=True), nullable=False),
    Index("ix_offers_conversation", "conversationid", "systemuserid"),
)

agentpresence = Table(
    "agentpresence",
    metadata,
    Column("systemuserid", String(36), ForeignKey("systemusers.systemuserid", ondelete="CASCADE"), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("manual", Boolean, nullable=False, server_default=text("false")),
    Column("connections", Integer, nullable=False, server_default=text("0")),
    Column("disconnectedon", DateTime(timezone=True)),
    Column("beforedisconnect", String(20)),
    Column("lastassignedon", DateTime(timezone=True)),
    Column("modifiedon", DateTime(timezone=True), nullable=False),
)

# The push log: every event an agent's or a customer's socket sends is a row here first. ``topic`` is
# ``user:<id>``, ``conversation:<id>`` (the customer's page) or ``all``; ids only grow, and (see
# server.conversations.events) commit in id order, so a reader that saw id N has seen every id below it.
events = Table(
    "events",
    metadata,
    Column("eventid", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("topic", String(50), nullable=False),
    Column("type", String(40), nullable=False),
    Column("conversationid", String(36)),
    Column("payload", Text, nullable=False),
    Column("createdon", DateTime(timezone=True), nullable=False),
    Index("ix_events_topic", "topic", "eventid"),
)

CONVERSATION_TABLES = (
    channelaccounts, channelidentities, conversations, conversationmessages, outbox, conversationoffers,
    agentpresence, events,
)
# -- Migration 5: the productivity pane (Smart Assist feedback, macros, agent scripts, the e-mail outbox).

# One agent verdict per (case or conversation, suggestion): "No" hides the card there and lowers it elsewhere.
suggestionfeedback = Table(
    "suggestionfeedback",
    metadata,
    Column("regardingid", String(36), nullable=False),
    Column("kind", String(10), nullable=False),  # case | article
    Column("suggestionid", String(36), nullable=False),
    Column("useful", Boolean, nullable=False),
    Column("systemuserid", String(36), ForeignKey("systemusers.systemuserid", ondelete="SET NULL")),
    Column("createdon", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("regardingid", "kind", "suggestionid"),
    Index("ix_suggestionfeedback_suggestion", "kind", "suggestionid"),
)

# Macros are data: a JSON definition (casework.macro_format, validated on save) run by the page's pure engine.
macros = Table(
    "macros",
    metadata,
    Column("macroid", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("description", Text),
    Column("definition", Text, nullable=False),  # JSON object {"schema": 1, "steps": [...]}
    *_stamps(),
    _version(),
)

agentscripts = Table(
    "agentscripts",
    metadata,
    Column("agentscriptid", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("uniquename", String(100), nullable=False, unique=True),
    Column("description", Text),
    Column("languagecode", Integer, nullable=False, server_default=text("1033")),
    Column("definition", Text, nullable=False),  # JSON object {"schema": 1, "steps": [...], "rule": ...}
    *_stamps(),
    _version(),
)

# What the demo mail transport recorded instead of sending (and, with SMTP, what was sent): the RFC 5322 text.
emailoutbox = Table(
    "emailoutbox",
    metadata,
    Column("outboxid", String(36), primary_key=True),
    Column("activityid", String(36), ForeignKey("activities.activityid", ondelete="SET NULL")),
    Column("transport", String(20), nullable=False),  # outbox | smtp
    Column("sender", String(200), nullable=False),
    Column("recipients", String(1000), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("message", Text, nullable=False),
    Column("createdon", DateTime(timezone=True), nullable=False),
)

PRODUCTIVITY_TABLES = (suggestionfeedback, macros, agentscripts, emailoutbox)

# -- Migration 6: the inbox's read state, per agent and item, kept on the server so it follows the agent. -------

# An item is read up to ``readon`` (cases, activities: read while not modified since) and, for conversations, up to
# message ``readsequence`` (its unread count is the customer's messages after it).
inboxreads = Table(
    "inboxreads",
    metadata,
    Column("systemuserid", String(36), ForeignKey("systemusers.systemuserid", ondelete="CASCADE"), nullable=False),
    Column("itemkind", String(20), nullable=False),  # case | conversation | activity | email
    Column("itemid", String(36), nullable=False),
    Column("readon", DateTime(timezone=True), nullable=False),
    Column("readsequence", Integer, nullable=False, server_default=text("0")),
    PrimaryKeyConstraint("systemuserid", "itemkind", "itemid"),
)

INBOX_TABLES = (inboxreads,)


# -- Migration 7: quick replies for the conversation composer, knowledge article ratings, and the columns below.
quickreplies = Table(
    "quickreplies",
    metadata,
    Column("quickreplyid", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("text", Text, nullable=False),  # with {customerName}-style slugs, filled in the composer
    Column("languagecode", Integer, nullable=False, server_default=text("1033")),
    *_stamps(),
    _version(),
)

knowledgearticleratings = Table(
    "knowledgearticleratings",
    metadata,
    Column("knowledgearticleid", String(36), ForeignKey("knowledgearticles.knowledgearticleid", ondelete="CASCADE"),
           nullable=False),
    Column("systemuserid", String(36), ForeignKey("systemusers.systemuserid", ondelete="CASCADE"), nullable=False),
    Column("rating", Integer, nullable=False),  # 1-5, one per agent and article (a new vote replaces the old)
    Column("modifiedon", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("knowledgearticleid", "systemuserid"),
)

MIGRATION_7_TABLES = (quickreplies, knowledgearticleratings)
#: Columns migration 7 adds to tables an earlier migration created (skipped where that migration, run by this
#: code, already made them).
MIGRATION_7_COLUMNS = {"conversations": ("customerconnections", "customerdisconnectedon"),
                       "knowledgearticles": ("languagecode",)}
