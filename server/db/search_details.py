"""What tells search hits apart: the few facts of each hit's record that a result row or a lookup option shows
(a case's number, customer, status, owner and date; a contact's account and e-mail; an account's number, city and
e-mail; an article's number and state). Read in one query per entity for the hits of one answer."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.db import schema
from server.db.search import Hit


def _iso(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return None


def _names(conn: Connection, table, key, name, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = conn.execute(select(key, name).where(key.in_(sorted(ids))))
    return {str(row[0]): str(row[1] or "") for row in rows}


def hit_details(conn: Connection, hits: list[Hit]) -> dict[tuple[str, str], dict]:
    """``{(entity, id): {fact: value}}`` for ``hits``; values are JSON (strings, integers, ISO times) or absent."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for hit in hits:
        wanted[hit.entity].add(hit.id)
    details: dict[tuple[str, str], dict] = {}
    if wanted["incident"]:
        t = schema.incidents
        rows = conn.execute(select(t.c.incidentid, t.c.ticketnumber, t.c.customerid, t.c.customeridtype,
                                   t.c.statecode, t.c.statuscode, t.c.ownerid, t.c.modifiedon)
                            .where(t.c.incidentid.in_(sorted(wanted["incident"])))).all()
        accounts = _names(conn, schema.accounts, schema.accounts.c.accountid, schema.accounts.c.name,
                          {r.customerid for r in rows if r.customeridtype == "account"})
        contacts = _names(conn, schema.contacts, schema.contacts.c.contactid, schema.contacts.c.fullname,
                          {r.customerid for r in rows if r.customeridtype == "contact"})
        owners = _names(conn, schema.systemusers, schema.systemusers.c.systemuserid, schema.systemusers.c.fullname,
                        {r.ownerid for r in rows if r.ownerid})
        for r in rows:
            customers = accounts if r.customeridtype == "account" else contacts
            details[("incident", str(r.incidentid))] = {
                "number": r.ticketnumber, "customer": customers.get(str(r.customerid), ""),
                "statecode": r.statecode, "statuscode": r.statuscode,
                "owner": owners.get(str(r.ownerid or ""), ""), "modifiedon": _iso(r.modifiedon)}
    if wanted["contact"]:
        t = schema.contacts
        rows = conn.execute(select(t.c.contactid, t.c.emailaddress1, t.c.parentcustomerid)
                            .where(t.c.contactid.in_(sorted(wanted["contact"])))).all()
        accounts = _names(conn, schema.accounts, schema.accounts.c.accountid, schema.accounts.c.name,
                          {r.parentcustomerid for r in rows if r.parentcustomerid})
        for r in rows:
            details[("contact", str(r.contactid))] = {
                "account": accounts.get(str(r.parentcustomerid or ""), ""), "email": r.emailaddress1 or ""}
    if wanted["account"]:
        t = schema.accounts
        rows = conn.execute(select(t.c.accountid, t.c.accountnumber, t.c.address1_city, t.c.emailaddress1)
                            .where(t.c.accountid.in_(sorted(wanted["account"])))).all()
        for r in rows:
            details[("account", str(r.accountid))] = {
                "number": r.accountnumber, "city": r.address1_city or "", "email": r.emailaddress1 or ""}
    if wanted["knowledgearticle"]:
        t = schema.knowledgearticles
        rows = conn.execute(select(t.c.knowledgearticleid, t.c.articlepublicnumber, t.c.statecode, t.c.modifiedon)
                            .where(t.c.knowledgearticleid.in_(sorted(wanted["knowledgearticle"])))).all()
        for r in rows:
            details[("knowledgearticle", str(r.knowledgearticleid))] = {
                "number": r.articlepublicnumber, "statecode": r.statecode, "modifiedon": _iso(r.modifiedon)}
    return details
