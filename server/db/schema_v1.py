"""The tables exactly as migration 1 created them, frozen.

Migration 1 must keep creating the same tables on a fresh database even though ``schema.py`` now describes the
latest shape (migration 2 adds columns with ``ALTER TABLE``). So migration 1 builds from this frozen copy.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text

metadata = MetaData()

settings_table = Table(
    "casework_meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

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
)
