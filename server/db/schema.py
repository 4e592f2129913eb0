"""Table definitions (SQLAlchemy Core) in their latest shape.

Migration 1 created the first four tables (frozen in ``schema_v1.py``); migration 2 adds columns to them and
creates the rest. Every record table carries ``versionnumber``, incremented on every write: it is the ETag.
Ids are GUID strings (36 characters), times are timezone-aware UTC.
"""

from __future__ import annotations

from sqlalchemy import (
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

# -- Migration 6: the productivity pane (Smart Assist feedback, macros, agent scripts, the e-mail outbox).

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
