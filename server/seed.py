"""Deterministic demo data: the same records, ids and dates on every machine, from one fixed random seed.

Small for now (a handful of accounts, contacts and cases over recognisable problem topics); the records issue grows
it. Seeding runs only on an empty database and records itself in ``casework_meta`` so it never runs twice.
"""

from __future__ import annotations

import datetime as dt
import random
import string
import uuid

from sqlalchemy import insert, select

from server.db import Database, schema

SEED = 20261127
BASE_TIME = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)

COMPANIES = [
    "Contoso Pharmaceuticals", "Fabrikam Inc.", "Adventure Works Cycles", "Northwind Traders", "Litware Inc.",
    "Alpine Ski House", "Coho Winery", "Tailspin Toys", "Wide World Importers", "Proseware Inc.",
    "Woodgrove Bank", "Fourth Coffee",
]
CITIES = ["Seattle", "Redmond", "Dublin", "Lisbon", "Toronto", "Sydney", "Munich", "Osaka"]
FIRST_NAMES = [
    "Alex", "Sam", "Maria", "Yuki", "Omar", "Priya", "Liam", "Chen", "Sofia", "Noah", "Amara", "Jonas",
    "Elena", "Kwame", "Hana", "Mateo", "Ingrid", "Ravi",
]
LAST_NAMES = [
    "Johnson", "Garcia", "Tanaka", "Haddad", "Patel", "Murphy", "Wang", "Rossi", "Okafor", "Berg", "Silva",
    "Kowalski", "Nguyen", "Fischer",
]
TOPICS = [
    ("Printer not responding", "The office printer shows offline after the latest driver update."),
    ("Cannot sign in to portal", "User gets 'invalid credentials' although the password was just reset."),
    ("Invoice amount incorrect", "The March invoice charges twice for the same licence."),
    ("Delivery delayed", "Order has been in transit for 10 days with no tracking update."),
    ("Product arrived damaged", "Box was crushed and the device screen is cracked."),
    ("Refund not received", "Return was accepted two weeks ago but no refund has arrived."),
    ("Coffee machine leaking", "Water pools under the espresso unit after each use."),
    ("Bike gears slipping", "Rear derailleur skips under load after the first service."),
    ("Account locked after update", "Two-factor prompt loops and the account locks after three tries."),
    ("Warranty claim question", "Customer asks whether accidental damage is covered."),
]
ORIGINS = ["phone", "email", "web", "chat"]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ticket_number(index: int, rng: random.Random) -> str:
    suffix = "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(6))
    return f"CAS-{1000 + index:05d}-{suffix}"


def demo_records(seed: int = SEED) -> dict[str, list[dict]]:
    """Generate the demo records (pure: the same seed gives the same rows)."""
    rng = random.Random(seed)
    accounts = []
    for index, name in enumerate(COMPANIES):
        created = BASE_TIME + dt.timedelta(days=index)
        accounts.append({
            "accountid": _uuid(rng), "name": name, "accountnumber": f"ACC-{1001 + index}",
            "telephone1": f"+1 555 01{index:02d}",
            "emailaddress1": "info@" + name.lower().split()[0].strip(".") + ".example",
            "address1_city": rng.choice(CITIES), "createdon": created, "modifiedon": created,
        })
    contacts = []
    for index in range(36):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        created = BASE_TIME + dt.timedelta(days=index, hours=2)
        contacts.append({
            "contactid": _uuid(rng), "firstname": first, "lastname": last, "fullname": f"{first} {last}",
            "emailaddress1": f"{first}.{last}{index}@example.com".lower(), "telephone1": f"+1 555 02{index:02d}",
            "parentcustomerid": accounts[index % len(accounts)]["accountid"],
            "createdon": created, "modifiedon": created,
        })
    incidents = []
    for index in range(60):
        title, description = TOPICS[index % len(TOPICS)]
        customer_is_account = rng.random() < 0.4
        customer = rng.choice(accounts) if customer_is_account else rng.choice(contacts)
        created = BASE_TIME + dt.timedelta(days=index // 2, hours=rng.randrange(8, 18), minutes=rng.randrange(60))
        resolved = rng.random() < 0.25
        incidents.append({
            "incidentid": _uuid(rng), "ticketnumber": _ticket_number(index, rng), "title": title,
            "description": description,
            "customerid": customer["accountid"] if customer_is_account else customer["contactid"],
            "customeridtype": "account" if customer_is_account else "contact",
            "prioritycode": rng.choice([1, 2, 2, 3]), "caseorigincode": rng.choice(ORIGINS),
            "statecode": 1 if resolved else 0, "statuscode": 5 if resolved else 1,
            "createdon": created, "modifiedon": created,
        })
    return {"accounts": accounts, "contacts": contacts, "incidents": incidents}


def seed_if_empty(database: Database, seed: int = SEED) -> bool:
    """Insert the demo records unless the database was seeded before. Returns whether it seeded."""
    with database.engine.begin() as conn:
        marker = conn.execute(
            select(schema.settings_table.c.value).where(schema.settings_table.c.key == "seeded")
        ).scalar_one_or_none()
        if marker is not None:
            return False
        records = demo_records(seed)
        conn.execute(insert(schema.accounts), records["accounts"])
        conn.execute(insert(schema.contacts), records["contacts"])
        conn.execute(insert(schema.incidents), records["incidents"])
        conn.execute(insert(schema.settings_table).values(key="seeded", value=str(seed)))
    return True
