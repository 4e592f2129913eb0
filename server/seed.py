"""Deterministic demo data: the same records, ids and dates on every machine, from one fixed random seed.

The default data set: 60 accounts, 300 contacts, 5,000 cases over 30 recognisable problem topics, 20,000 activities
(plus one resolution activity per closed case), 2,500 notes, 300 knowledge articles covering the topics, 20 email
templates, 10 macros and 5 agent scripts, 12 users (``admin``, ``supervisor``, ``agent1``..``agent10``, password
``casework``) in 3 queues and 3 agent experience profiles. ``generate(cases=N)`` scales cases, activities and notes
for benchmarks; it yields rows in batches so memory stays bounded even for millions of cases.

Seeding runs only on an empty database and records itself in ``casework_meta`` so it never runs twice. It must be
fast (every e2e run seeds a fresh database): rows are built as plain dicts, inserted with executemany in one
transaction, and the demo password is hashed once per run, not once per user.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import string
import uuid
from collections.abc import Iterator

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection

from server.db import Database, schema

SEED = 20261127
BASE_TIME = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
DEFAULT_CASES = 5000
ACTIVITIES_PER_CASE = 4
BATCH_CASES = 2000
DEMO_PASSWORD = "casework"
DEMO_USERNAMES = ("admin", "supervisor", *(f"agent{n}" for n in range(1, 11)))

COMPANIES = [
    "Contoso Pharmaceuticals", "Fabrikam Inc.", "Adventure Works Cycles", "Northwind Traders", "Litware Inc.",
    "Alpine Ski House", "Coho Winery", "Tailspin Toys", "Wide World Importers", "Proseware Inc.",
    "Woodgrove Bank", "Fourth Coffee", "Blue Yonder Airlines", "City Power & Light", "Graphic Design Institute",
    "Humongous Insurance", "Lucerne Publishing", "Margie's Travel", "Nod Publishers", "Relecloud",
    "School of Fine Art", "Southridge Video", "Trey Research", "The Phone Company", "VanArsdel Ltd.",
    "Wingtip Toys", "A. Datum Corporation", "Bellows College", "Best For You Organics", "Consolidated Messenger",
]
COMPANY_SUFFIXES = ["", " Europe"]
CITIES = ["Seattle", "Redmond", "Dublin", "Lisbon", "Toronto", "Sydney", "Munich", "Osaka", "Nairobi", "Lima"]
FIRST_NAMES = [
    "Alex", "Sam", "Maria", "Yuki", "Omar", "Priya", "Liam", "Chen", "Sofia", "Noah", "Amara", "Jonas",
    "Elena", "Kwame", "Hana", "Mateo", "Ingrid", "Ravi", "Fatima", "Lucas", "Mei", "Tomas", "Aisha", "Pavel",
]
LAST_NAMES = [
    "Johnson", "Garcia", "Tanaka", "Haddad", "Patel", "Murphy", "Wang", "Rossi", "Okafor", "Berg", "Silva",
    "Kowalski", "Nguyen", "Fischer", "Dubois", "Larsen", "Mensah", "Costa", "Novak", "Ito",
]
JOB_TITLES = ["Office manager", "IT lead", "Purchaser", "Owner", "Accountant", "Operations", None]

# (subject, product, title variants, symptom, fix): 30 problem topics agents will recognise.
TOPICS = [
    ("Printing", "LaserJet 500", ["Printer not responding", "Printer shows offline", "Print jobs stuck in queue"],
     "The office printer shows offline after the latest driver update.",
     "Remove the printer, install driver 5.2 and power-cycle the device."),
    ("Sign-in", "Customer Portal", ["Cannot sign in to portal", "Portal says invalid credentials"],
     "The user gets 'invalid credentials' although the password was just reset.",
     "Clear the cached session, then reset the password from the admin centre."),
    ("Billing", "Subscriptions", ["Invoice amount incorrect", "Charged twice on invoice"],
     "The monthly invoice charges twice for the same licence.",
     "Issue a credit note for the duplicate line and correct the subscription quantity."),
    ("Shipping", "Web Store", ["Delivery delayed", "Order stuck in transit"],
     "The order has been in transit for ten days with no tracking update.",
     "Open a trace with the carrier and offer a replacement after 14 days."),
    ("Returns", "Web Store", ["Product arrived damaged", "Cracked screen on arrival"],
     "The box was crushed and the device screen is cracked.",
     "Send a prepaid return label and ship a replacement unit."),
    ("Refunds", "Web Store", ["Refund not received", "Where is my refund"],
     "The return was accepted two weeks ago but no refund has arrived.",
     "Check the refund batch; bank transfers take up to 5 working days after release."),
    ("Coffee machines", "Espresso Pro", ["Coffee machine leaking", "Water under espresso unit"],
     "Water pools under the espresso unit after each use.",
     "Replace the drip tray seal and descale the boiler."),
    ("Bicycles", "Trail 29er", ["Bike gears slipping", "Derailleur skipping under load"],
     "The rear derailleur skips under load after the first service.",
     "Adjust cable tension and check the derailleur hanger alignment."),
    ("Security", "Customer Portal", ["Account locked after update", "Two-factor prompt loops"],
     "The two-factor prompt loops and the account locks after three tries.",
     "Unlock the account and re-register the authenticator app."),
    ("Warranty", "All products", ["Warranty claim question", "Is accidental damage covered"],
     "The customer asks whether accidental damage is covered.",
     "Standard warranty excludes accidental damage; offer the Care+ plan."),
    ("Wi-Fi", "Mesh Router X2", ["Wi-Fi keeps dropping", "Router disconnects every hour"],
     "The mesh router disconnects every hour and reconnects after a minute.",
     "Update the router firmware to 3.1 and change the channel to auto."),
    ("Email", "Mail Service", ["Emails not syncing on phone", "Mailbox not updating"],
     "New emails do not appear on the phone but show in the web client.",
     "Remove and re-add the account using modern authentication."),
    ("Software licence", "Office Suite", ["Licence key not accepted", "Activation failed"],
     "The product key is rejected with activation error 0xC004F074.",
     "Check the key edition matches the installed edition and retry activation online."),
    ("Laptops", "UltraBook 14", ["Laptop battery drains fast", "Battery life very short"],
     "The laptop battery drains from full to empty in under two hours.",
     "Run the battery report, update the BIOS and replace the battery if wear exceeds 40%."),
    ("Laptops", "UltraBook 14", ["Laptop overheating", "Fan runs loud constantly"],
     "The laptop fan runs loudly and the chassis gets very hot.",
     "Clean the vents, update the thermal firmware and check for runaway processes."),
    ("Phones", "Contoso Phone 12", ["Phone screen flickering", "Display flickers at low brightness"],
     "The phone display flickers at low brightness levels.",
     "Disable adaptive refresh, update the system software, replace the panel if it persists."),
    ("Mobile app", "Contoso App", ["App crashes on start", "Mobile app closes immediately"],
     "The mobile app closes immediately after the splash screen.",
     "Clear the app cache, update to version 8.4 and reinstall if needed."),
    ("Payments", "Web Store", ["Card payment declined", "Checkout payment fails"],
     "The card payment is declined at checkout although the card works elsewhere.",
     "Ask the customer to complete 3-D Secure and check the fraud filter log."),
    ("Orders", "Web Store", ["Cancel an order", "Order cancellation request"],
     "The customer wants to cancel an order that has not shipped yet.",
     "Cancel in the order system before the pick wave; refund is automatic."),
    ("Address change", "Web Store", ["Change delivery address", "Wrong shipping address"],
     "The customer entered the wrong delivery address.",
     "Update the address if the parcel is not handed to the carrier, else request a redirect."),
    ("Subscriptions", "Subscriptions", ["Cancel subscription", "Stop automatic renewal"],
     "The customer wants to stop the automatic renewal of the annual plan.",
     "Turn off auto-renew in the subscription; the plan runs to the end of the term."),
    ("Data export", "Customer Portal", ["Export of account data", "GDPR data request"],
     "The customer requests an export of all personal data we hold.",
     "Raise a data subject request; the export is sent within 30 days."),
    ("Installation", "Smart Thermostat", ["Thermostat installation help", "Thermostat wiring question"],
     "The customer cannot identify the common wire while installing the thermostat.",
     "Use the power adapter kit if there is no C wire; never connect to mains."),
    ("Smart home", "Smart Thermostat", ["Thermostat not heating", "Heating does not turn on"],
     "The thermostat shows heating but the boiler never starts.",
     "Check the relay wiring and run the heating system test from the app."),
    ("Televisions", "Vision TV 55", ["TV no sound", "TV audio missing on HDMI"],
     "The TV has picture but no sound on the HDMI input.",
     "Set audio output to TV speakers and disable HDMI-CEC audio passthrough."),
    ("Cameras", "ProCam 4K", ["Camera SD card error", "Memory card not recognised"],
     "The camera reports a card error on a new SD card.",
     "Format the card in the camera and use a UHS-I U3 card."),
    ("Accounts", "Customer Portal", ["Merge duplicate accounts", "Two accounts for one customer"],
     "The customer has two portal accounts and wants one.",
     "Merge the accounts in the admin centre; order history moves to the primary."),
    ("Appliances", "FreshCool Fridge", ["Fridge not cooling", "Freezer warm"],
     "The fridge runs but the compartment stays warm.",
     "Clean the condenser coils and check the door seal; book an engineer if it persists."),
    ("Appliances", "CleanWash 8", ["Washing machine error E21", "Washer will not drain"],
     "The washing machine stops with error E21 and does not drain.",
     "Clean the drain pump filter and check the hose for kinks."),
    ("Feedback", "All products", ["Complaint about support wait time", "Long wait on phone line"],
     "The customer waited over 40 minutes on the phone line.",
     "Apologise, offer a callback slot and log the feedback for the service review."),
]
CONTEXTS = [
    "It started this morning.", "It happens every day since last week.", "Several users in the team are affected.",
    "The customer has already tried restarting.", "This is urgent for the customer.", "First contact on this.",
    "The customer called about this before.", "It affects only one device.", "No error message is shown.",
]
ORIGINS = ["phone", "email", "web", "chat"]
# Status reasons by state (Dataverse values): active 0, resolved 1, cancelled 2.
STATUS_REASONS = {0: [1, 2, 3, 4], 1: [5, 1000], 2: [6, 2000]}
QUEUE_NAMES = ["General support", "Billing and orders", "Technical support"]
ACTIVITY_TYPES = ["task", "email", "phonecall", "appointment"]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ticket_number(index: int, rng: random.Random) -> str:
    suffix = "".join(rng.choices(string.ascii_uppercase + string.digits, k=6))
    return f"CAS-{1000 + index:05d}-{suffix}"


def _stamp(when: dt.datetime) -> dict:
    return {"createdon": when, "modifiedon": when, "versionnumber": 1}


def hash_demo_password() -> str:
    """Hash the demo password once (argon2id); every demo user shares this hash."""
    from server.auth import hash_password

    return hash_password(DEMO_PASSWORD)


def _people(rng: random.Random, password_hash: str) -> dict[str, list[dict]]:
    users, roles = [], []
    for username in DEMO_USERNAMES:
        user_id = _uuid(rng)
        role = "agent" if username.startswith("agent") else username
        full = {"admin": "Casework Admin", "supervisor": "Sam Supervisor"}.get(
            username, f"Agent {username.removeprefix('agent')} {LAST_NAMES[len(users) % len(LAST_NAMES)]}"
        )
        users.append({
            "systemuserid": user_id, "domainname": username, "fullname": full,
            "internalemailaddress": f"{username}@casework.example", "passwordhash": password_hash,
            "isdisabled": False, **_stamp(BASE_TIME),
        })
        roles.append({"systemuserid": user_id, "role": role})
    queues = [{"queueid": _uuid(rng), "name": name, "description": f"{name} queue", **_stamp(BASE_TIME)}
              for name in QUEUE_NAMES]
    members = []
    for index, user in enumerate(users):
        if user["domainname"].startswith("agent"):
            members.append({"queueid": queues[index % 3]["queueid"], "systemuserid": user["systemuserid"]})
        elif user["domainname"] == "supervisor":
            members.extend({"queueid": q["queueid"], "systemuserid": user["systemuserid"]} for q in queues)
    return {"systemusers": users, "userroles": roles, "queues": queues, "queuemembers": members}


def _profiles(rng: random.Random, users: list[dict]) -> dict[str, list[dict]]:
    base = {
        "sessionTemplates": ["msdyn_case_session", "msdyn_account_session", "msdyn_contact_session",
                             "msdyn_generic_session"],
        "tabTemplates": ["msdyn_entityrecord", "msdyn_search", "msdyn_dashboard"],
        "channels": ["phone", "email"],
        "productivityTools": ["smartassist", "agentscripts", "macros", "knowledge", "notes"],
        # The inbox's views (casework/inbox.py VIEWS), in the order it lists them: the reference's four and ours.
        "inboxViews": ["cases", "assigned", "unassigned", "resolved", "activities", "email"],
        "sessionRestore": True,
        # The inbox in the session bar (issue 17): on in the default and chat profiles, off for supervisors.
        "inbox": True,
        "maxSessions": 10,
        "maxTabs": 10,
    }
    variants = [
        ("Default agent experience", True, {}),
        ("Chat agent experience", False, {"channels": ["chat", "phone", "email"], "maxSessions": 6,
                                           "inboxViews": ["assigned", "unassigned", "resolved", "cases"]}),
        ("Supervisor experience", False, {"productivityTools": ["knowledge", "notes"], "sessionRestore": False,
                                          "inbox": False,
                                          "inboxViews": ["cases", "unassigned"],
                                          "maxSessions": 9, "maxTabs": 12}),
    ]
    profiles = [{"profileid": _uuid(rng), "name": name, "isdefault": default,
                 "settings": json.dumps({**base, **extra}, sort_keys=True), **_stamp(BASE_TIME)}
                for name, default, extra in variants]
    by_name = {u["domainname"]: u["systemuserid"] for u in users}
    assignments = [
        {"assignmentid": _uuid(rng), "profileid": profiles[0]["profileid"], "systemuserid": None, "role": "agent",
         "rank": 100},
        {"assignmentid": _uuid(rng), "profileid": profiles[2]["profileid"], "systemuserid": None,
         "role": "supervisor", "rank": 100},
        {"assignmentid": _uuid(rng), "profileid": profiles[2]["profileid"], "systemuserid": None, "role": "admin",
         "rank": 100},
        # Two agents work the chat channel: a user assignment beats their role's profile.
        *({"assignmentid": _uuid(rng), "profileid": profiles[1]["profileid"], "systemuserid": by_name[name],
           "role": None, "rank": 10} for name in ("agent1", "agent2")),
    ]
    settings = [{"systemuserid": by_name["agent1"], "key": "closeSessionWarning", "value": "true"},
                {"systemuserid": by_name["agent2"], "key": "closeSessionWarning", "value": "false"}]
    return {"profiles": profiles, "profileassignments": assignments, "usersettings": settings}


def _templates(rng: random.Random) -> list[dict]:
    kinds = [
        ("Case received", "We received your request {anchor.ticketnumber}",
         "Hello {customerName},\n\nThank you for contacting us about \"{anchor.title}\". Your case number is "
         "{anchor.ticketnumber}. We will reply within one working day.\n\n{agentName}"),
        ("Case resolved", "Your case {anchor.ticketnumber} is resolved",
         "Hello {customerName},\n\nWe have resolved your case \"{anchor.title}\". If anything is still wrong, "
         "reply to this email within 14 days.\n\n{agentName}"),
        ("More information needed", "We need a little more information ({anchor.ticketnumber})",
         "Hello {customerName},\n\nTo continue with \"{anchor.title}\" we need a few more details: {details}.\n\n"
         "{agentName}"),
        ("Callback scheduled", "Your callback is booked",
         "Hello {customerName},\n\nWe will call you at {callbackTime} about {anchor.ticketnumber}.\n\n{agentName}"),
        ("Knowledge article", "An article that may help: {articleTitle}",
         "Hello {customerName},\n\nThis article should help with \"{anchor.title}\": {articleTitle}.\n\n"
         "{agentName}"),
    ]
    rows = []
    for index in range(20):
        title, subject, body = kinds[index % len(kinds)]
        variant = ["", " (formal)", " (short)", " (follow-up)"][index // len(kinds)]
        rows.append({"templateid": _uuid(rng), "title": title + variant, "templatetypecode": "email",
                     "subject": subject, "body": body, "languagecode": 1033,
                     **_stamp(BASE_TIME + dt.timedelta(minutes=index))})
    return rows


def _customers(rng: random.Random) -> tuple[list[dict], list[dict]]:
    accounts = []
    for index in range(60):
        company = COMPANIES[index % len(COMPANIES)] + COMPANY_SUFFIXES[index // len(COMPANIES)]
        accounts.append({
            "accountid": _uuid(rng), "name": company, "accountnumber": f"ACC-{1001 + index}",
            "telephone1": f"+1 555 01{index:02d}",
            "emailaddress1": "info@" + company.lower().split()[0].strip(".'") + ".example",
            "address1_city": rng.choice(CITIES), "ownerid": None,
            **_stamp(BASE_TIME + dt.timedelta(days=index % 30, hours=index // 30)),
        })
    contacts = []
    for index in range(300):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        contacts.append({
            "contactid": _uuid(rng), "firstname": first, "lastname": last, "fullname": f"{first} {last}",
            "emailaddress1": f"{first}.{last}{index}@example.com".lower(), "telephone1": f"+1 555 2{index:03d}",
            "parentcustomerid": accounts[index % len(accounts)]["accountid"], "jobtitle": rng.choice(JOB_TITLES),
            "ownerid": None, **_stamp(BASE_TIME + dt.timedelta(days=index % 60, hours=2)),
        })
    return accounts, contacts


def _articles(rng: random.Random, author: str) -> list[dict]:
    forms = ["How to fix: {t}", "Troubleshooting: {t}", "{t}: frequently asked questions", "Known issue: {t}",
             "Step by step: {t}", "{t} on {p}", "What to check first: {t}", "Escalation guide: {t}",
             "{t}: customer-facing answer", "{t}: internal notes"]
    rows = []
    for index in range(300):
        subject, product, titles, symptom, fix = TOPICS[index % len(TOPICS)]
        form = forms[index // len(TOPICS)]
        title = form.format(t=titles[0], p=product)
        content = (f"Symptom: {symptom}\n\nResolution: {fix}\n\nApplies to {product}. "
                   f"If the steps do not help, escalate to the {subject.lower()} team with the case number.")
        created = BASE_TIME + dt.timedelta(days=index % 90, hours=index % 7)
        rows.append({
            "knowledgearticleid": _uuid(rng), "articlepublicnumber": f"KA-{10001 + index}", "title": title,
            "content": content, "keywords": ", ".join([subject.lower(), product.lower(), *[t.lower() for t in titles]]),
            "subject": subject, "productname": product, "statecode": 0 if index % 10 == 9 else 3,
            "knowledgearticleviews": rng.randrange(0, 5000), "ownerid": author, **_stamp(created),
        })
    return rows


# -- Quick replies for the conversation composer (their own random stream: no other record's id changes).
QUICK_REPLY_SEED = SEED + 19
QUICK_REPLIES = (
    ("Greeting", "Hello {customerName}, my name is {agentName}. How can I help you today?"),
    ("One moment", "Thank you, {customerName}. Give me a moment while I look into this."),
    ("Ask for the order number", "Could you tell me the order or invoice number, please?"),
    ("Ask for the error text", "Could you copy the exact error message you see, {customerName}?"),
    ("Restart the device", "Please restart the device and tell me whether the problem is still there."),
    ("Case created", "I have opened case {caseTitle} for this. You will get an e-mail with its number."),
    ("Transfer", "I am transferring you to a colleague who can help with this. Please stay in the chat."),
    ("Anything else", "Is there anything else I can help you with, {customerName}?"),
    ("Closing", "Thank you for contacting us, {customerName}. Have a good day!"),
    ("Bonjour", "Bonjour {customerName}, je m'appelle {agentName}. Comment puis-je vous aider ?"),
)


def _quick_replies() -> list[dict]:
    rng = random.Random(QUICK_REPLY_SEED)
    return [{"quickreplyid": _uuid(rng), "title": title, "text": body,
             "languagecode": 1036 if title == "Bonjour" else 1033,
             **_stamp(BASE_TIME + dt.timedelta(days=1, minutes=index))}
            for index, (title, body) in enumerate(QUICK_REPLIES)]


# -- The productivity pane's demo data: macros and agent scripts (their e-mails use the seeded templates). Their ids
# come from their own random stream, so adding them changed none of the other records' ids or values.
PRODUCTIVITY_SEED = SEED + 18
CASE = {"entityName": "incident", "entityId": "${anchor.incidentid}"}
CUSTOMER = "${anchor._customerid_value@OData.Community.Display.V1.FormattedValue}"


def _start(*steps: dict) -> dict:
    return {"schema": 1, "steps": [{"action": "start"}, *steps]}


def _productivity(templates: dict[str, str]) -> dict[str, list[dict]]:
    """10 macros and 5 agent scripts (``templates``: title -> id of the seeded e-mail templates)."""
    rng = random.Random(PRODUCTIVITY_SEED)
    when = BASE_TIME + dt.timedelta(days=1)
    ids = templates
    macros = [
        ("Resolve with KB article", "Search the knowledge base for the case title, resolve the case, open the "
         "'Case resolved' e-mail.", _start(
             {"action": "kb_search", "fields": {"searchString": "${anchor.title}", "tabLabel": "KB: ${anchor.title}"}},
             {"action": "resolve_case", "fields": {"billableTime": "15", "incidentId": "${anchor.incidentid}",
                                                   "resolution": "Resolved with a knowledge article: "
                                                                 "${anchor.title}"}},
             {"action": "open_email_template", "fields": {**CASE, "recipients": CUSTOMER,
                                                          "templateId": ids["Case resolved"]}})),
        ("Escalate to tier 2", "Raise the priority, note the tier in the session, switch to the escalation "
         "script and tell the customer.", _start(
             {"action": "update_record", "fields": {**CASE, "attributes": {"prioritycode": "1"}}},
             {"action": "set_session_context", "fields": {"attributeName": "tier", "attributeValue": "2"}},
             {"action": "set_script_focus", "fields": {"scriptUniqueName": "escalation_script"}},
             {"action": "open_email_template", "fields": {**CASE, "recipients": CUSTOMER,
                                                          "templateId": ids["Callback scheduled"]}})),
        ("Send follow-up e-mail", "Open the follow-up e-mail for the case's customer.", _start(
            {"action": "open_email_template", "fields": {**CASE, "recipients": CUSTOMER,
                                                         "templateId": ids["Case resolved (follow-up)"]}})),
        ("Set priority to high", "Make the case high priority unless it is already.", _start(
            {"action": "condition", "left": "${anchor.prioritycode}", "operator": "notEquals", "right": "1",
             "then": [{"action": "update_record", "fields": {**CASE, "attributes": {"prioritycode": "1"}}},
                      {"action": "refresh_session_context"}]})),
        ("Create follow-up task", "Open a new task about the case, due for the owner.", _start(
            {"action": "open_new_form", "fields": {"entityName": "task", "attributes": {
                "subject": "Follow up: ${anchor.title}", "regardingobjectid": "${anchor.incidentid}",
                "regardingobjectidtype": "incident", "regardingobjectidname": "${anchor.title}"}}})),
        ("Fill description from title", "Put the title into an empty description and save.", _start(
            {"action": "condition", "left": "${anchor.description}", "operator": "isEmpty",
             "then": [{"action": "autofill_form", "fields": {"entityName": "incident", "attributes": {
                 "description": "Customer reports: ${anchor.title}"}}}, {"action": "save_record"}]})),
        ("Open the customer", "Open the case's customer record in a new tab.", _start(
            {"action": "open_record", "fields": {
                "entityName": "${anchor._customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname}",
                "entityId": "${anchor._customerid_value}"}})),
        ("Search similar cases", "Relevance search on the case title.", _start(
            {"action": "relevance_search", "fields": {"searchString": "${anchor.title}"}})),
        ("Refresh the case tab", "Reload the current tab and the session context after changes.", _start(
            {"action": "get_current_tab"}, {"action": "refresh_tab", "fields": {"tabId": "${$output.tabId}"}},
            {"action": "refresh_session_context"})),
        ("Link case to conversation", "Link the case to the current conversation and send the best article.",
         _start({"action": "link_conversation", "fields": {**CASE, "primaryName": "${anchor.title}"}},
                {"action": "kb_search", "fields": {"searchString": "${anchor.title}"}},
                {"action": "send_kb_article"})),
    ]
    macro_rows = [{"macroid": _uuid(rng), "name": name, "description": description,
                   "definition": json.dumps(definition, sort_keys=True), **_stamp(when)}
                  for name, description, definition in macros]
    text, macro, script = 192350000, 192350001, 192350002
    scripts = [
        ("escalation_script", "Escalation", "For high-priority cases.",
         {"left": "${anchor.prioritycode}", "operator": "equals", "right": "1"}, [
             {"name": "Acknowledge the urgency to ${customerName}", "type": text,
              "instruction": "Say you understand ${anchor.ticketnumber} is urgent and you are on it now."},
             {"name": "Escalate", "type": macro, "macro": "Escalate to tier 2",
              "description": "Raises the priority and tells the customer."},
             {"name": "Plan a follow-up", "type": macro, "macro": "Create follow-up task"}]),
        ("chat_script", "Chat conversation", "For cases worked in a chat.",
         {"left": "${$oc.LiveWorkItemId}", "operator": "isNotEmpty"}, [
             {"name": "Greet ${customerName}", "type": text, "instruction": "Greet the customer by name."},
             {"name": "Link the case", "type": macro, "macro": "Link case to conversation"}]),
        ("standard_case_script", "Standard case", "The default for every case.", None, [
            {"name": "Greet ${customerName}", "type": text,
             "instruction": "Confirm the case number ${anchor.ticketnumber} and the problem."},
            {"name": "Check the description", "type": macro, "macro": "Fill description from title"},
            {"name": "Troubleshoot", "type": script, "script": "troubleshooting_script"},
            {"name": "Close", "type": script, "script": "resolution_script"}]),
        ("troubleshooting_script", "Troubleshooting", "Find the cause with the customer.", None, [
            {"name": "Reproduce", "type": text, "instruction": "Ask when it started and what changed."},
            {"name": "Similar cases", "type": macro, "macro": "Search similar cases"}]),
        ("resolution_script", "Resolution", "Resolve and follow up.", None, [
            {"name": "Resolve", "type": macro, "macro": "Resolve with KB article"},
            {"name": "Follow up", "type": macro, "macro": "Send follow-up e-mail"},
            {"name": "Thank ${customerName}", "type": text, "instruction": "Thank them for their patience."}]),
    ]
    script_rows = []
    for uniquename, name, description, rule, steps in scripts:
        definition = {"schema": 1, "steps": steps, **({"rule": rule} if rule else {})}
        script_rows.append({"agentscriptid": _uuid(rng), "name": name, "uniquename": uniquename,
                            "description": description, "languagecode": 1033,
                            "definition": json.dumps(definition, sort_keys=True), **_stamp(when)})
    return {"macros": macro_rows, "agentscripts": script_rows}


def generate(seed: int = SEED, cases: int = DEFAULT_CASES, password_hash: str | None = None
             ) -> Iterator[tuple[str, list[dict]]]:
    """Yield ``(table name, rows)`` batches of the demo data, parents before children.

    Args:
        seed: The random seed (same seed, same rows).
        cases: How many cases; activities (4 per case), notes (1 per 2 cases) and queue items scale with it.
        password_hash: The hash every demo user gets (computed once by the caller; a placeholder when ``None``).

    Returns:
        An iterator; cases and their children come in batches of at most ``BATCH_CASES`` cases.
    """
    rng = random.Random(seed)
    people = _people(rng, password_hash or "!")
    yield from people.items()
    users = people["systemusers"]
    agents = [u["systemuserid"] for u in users if u["domainname"].startswith("agent")]
    queues = [q["queueid"] for q in people["queues"]]
    yield from _profiles(rng, users).items()
    templates = _templates(rng)
    yield "templates", templates
    accounts, contacts = _customers(rng)
    yield "accounts", accounts
    yield "contacts", contacts
    yield "knowledgearticles", _articles(rng, users[1]["systemuserid"])
    yield from _productivity({t["title"]: t["templateid"] for t in templates}).items()
    yield "quickreplies", _quick_replies()

    customers = [("account", a["accountid"], a["name"]) for a in accounts] + [
        ("contact", c["contactid"], c["fullname"]) for c in contacts]
    # Spread creation times over about 300 days, whatever the number of cases.
    step = dt.timedelta(seconds=max(1, int(300 * 86400 / max(cases, 1))))
    for start in range(0, cases, BATCH_CASES):
        incidents, activities, notes, items = [], [], [], []
        for index in range(start, min(start + BATCH_CASES, cases)):
            subject, product, titles, symptom, fix = TOPICS[rng.randrange(len(TOPICS))]
            kind, customer_id, customer_name = customers[rng.randrange(len(customers))]
            created = BASE_TIME + step * index + dt.timedelta(minutes=rng.randrange(60))
            roll = rng.random()
            state = 0 if roll < 0.6 else (1 if roll < 0.9 else 2)
            owner = agents[rng.randrange(len(agents))] if rng.random() < 0.75 or state else None
            queue = queues[rng.randrange(len(queues))]
            modified = created + dt.timedelta(hours=rng.randrange(1, 200)) if state else created
            case_id = _uuid(rng)
            title = titles[rng.randrange(len(titles))]
            incidents.append({
                "incidentid": case_id, "ticketnumber": _ticket_number(index, rng), "title": title,
                "description": f"{symptom} {CONTEXTS[rng.randrange(len(CONTEXTS))]}",
                "customerid": customer_id, "customeridtype": kind, "prioritycode": rng.choice((1, 2, 2, 3)),
                "caseorigincode": ORIGINS[rng.randrange(4)], "statecode": state,
                "statuscode": rng.choice(STATUS_REASONS[state]), "subject": subject, "productname": product,
                "ownerid": owner, "queueid": queue, "resolution": fix if state == 1 else None,
                "resolvedon": modified if state else None,
                "createdon": created, "modifiedon": modified, "versionnumber": 1 + (state != 0),
            })
            for n in range(ACTIVITIES_PER_CASE):
                when = created + dt.timedelta(minutes=30 * (n + 1) + rng.randrange(30))
                activity_type = ACTIVITY_TYPES[rng.randrange(4)]
                done = state != 0 or rng.random() < 0.5
                activities.append({
                    "activityid": _uuid(rng), "activitytypecode": activity_type,
                    "subject": {"task": f"Follow up: {title}", "email": f"RE: {title}",
                                "phonecall": f"Call with {customer_name}",
                                "appointment": f"Visit: {title}"}[activity_type],
                    "description": symptom if n == 0 else fix if done else "Waiting for the customer.",
                    "regardingobjectid": case_id, "regardingobjecttypecode": "incident",
                    "statecode": 1 if done else 0, "statuscode": 2 if done else 1, "prioritycode": 1,
                    "directioncode": (n % 2 == 0) if activity_type in ("email", "phonecall") else None,
                    "sender": f"{customer_name} <customer@example.com>" if activity_type == "email" else None,
                    "torecipients": "support@casework.example" if activity_type == "email" else None,
                    "phonenumber": "+1 555 0100" if activity_type == "phonecall" else None,
                    "location": "Customer site" if activity_type == "appointment" else None,
                    "scheduledstart": when if activity_type in ("appointment", "task") else None,
                    "scheduledend": when + dt.timedelta(hours=1) if activity_type in ("appointment", "task") else None,
                    "actualend": when if done else None, "ownerid": owner,
                    "createdon": when, "modifiedon": when, "versionnumber": 1,
                })
            if state:
                activities.append({
                    "activityid": _uuid(rng), "activitytypecode": "incidentresolution",
                    "subject": "Case resolved" if state == 1 else "Case cancelled",
                    "description": fix if state == 1 else "Cancelled: duplicate or withdrawn.",
                    "regardingobjectid": case_id, "regardingobjecttypecode": "incident", "statecode": 1,
                    "statuscode": 2, "prioritycode": 1, "directioncode": None, "sender": None, "torecipients": None,
                    "phonenumber": None, "location": None, "scheduledstart": None, "scheduledend": None,
                    "actualend": modified, "ownerid": owner, "createdon": modified, "modifiedon": modified,
                    "versionnumber": 1,
                })
            if index % 2 == 0:
                when = created + dt.timedelta(minutes=5)
                notes.append({"annotationid": _uuid(rng), "subject": "Internal note",
                              "notetext": f"Customer reports: {symptom.lower()} Product: {product}.",
                              "objectid": case_id, "objecttypecode": "incident", "ownerid": owner,
                              "createdon": when, "modifiedon": when, "versionnumber": 1})
            if state == 0 and owner is None:
                items.append({"queueitemid": _uuid(rng), "queueid": queue, "objectid": case_id,
                              "objecttypecode": "incident", "title": title, "workerid": None, "enteredon": created,
                              **_stamp(created)})
        yield "incidents", incidents
        yield "activities", activities
        yield "annotations", notes
        yield "queueitems", items


def demo_records(seed: int = SEED, cases: int = DEFAULT_CASES) -> dict[str, list[dict]]:
    """All demo rows by table name (pure: the same seed gives the same rows). For tests and small data sets."""
    records: dict[str, list[dict]] = {}
    for table, rows in generate(seed, cases):
        records.setdefault(table, []).extend(rows)
    return records


def _table(name: str) -> Table:
    return schema.metadata.tables[name]


def bulk_insert(conn: Connection, table: Table, rows: list[dict]) -> None:
    """Insert many rows with the same keys. On SQLite, straight to the driver's executemany with SQLAlchemy's own
    bind processors: building SQLAlchemy parameter sets per row cost more than the inserts themselves."""
    columns = list(rows[0])
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    processors = [table.c[name].type.bind_processor(conn.dialect) for name in columns]
    pairs = list(zip(columns, processors, strict=True))
    data = [tuple(p(row[c]) if p else row[c] for c, p in pairs) for row in rows]
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    conn.exec_driver_sql(sql, data)


def seed_if_empty(database: Database, seed: int = SEED, cases: int = DEFAULT_CASES) -> bool:
    """Insert the demo records unless the database was seeded before. Returns whether it seeded.

    One transaction for the default set; for large ``cases`` one transaction per batch, so a million cases do not
    hold one giant transaction (the ``seeded`` marker is written last, so an interrupted seed is visible).
    """
    with database.engine.connect() as conn:
        marker = conn.execute(
            select(schema.settings_table.c.value).where(schema.settings_table.c.key == "seeded")
        ).scalar_one_or_none()
        if marker is not None:
            return False
    password_hash = hash_demo_password()
    batched = cases > DEFAULT_CASES
    conn = database.engine.connect()
    try:
        transaction = conn.begin()
        for table, rows in generate(seed, cases, password_hash):
            if rows:
                bulk_insert(conn, _table(table), rows)
            if batched and table == "queueitems":
                transaction.commit()
                transaction = conn.begin()
        conn.execute(insert(schema.settings_table).values(key="seeded", value=str(seed)))
        transaction.commit()
    finally:
        conn.close()
    return True


class DemoCredentialsError(Exception):
    """Production mode found users that still sign in with the demo password."""


def demo_credentials_present(database: Database) -> list[str]:
    """Enabled users whose password is the demo password (each distinct hash is checked once)."""
    from server.auth import verify_password

    with database.engine.connect() as conn:
        rows = conn.execute(select(schema.systemusers.c.domainname, schema.systemusers.c.passwordhash).where(
            schema.systemusers.c.isdisabled.is_(False), schema.systemusers.c.passwordhash.is_not(None))).all()
    verdicts: dict[str, bool] = {}
    found = []
    for username, password_hash in rows:
        if password_hash not in verdicts:
            verdicts[password_hash] = verify_password(password_hash, DEMO_PASSWORD)
        if verdicts[password_hash]:
            found.append(username)
    return sorted(found)
