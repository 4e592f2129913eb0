"""E-mail from cases: ``POST /api/emails/compose`` fills an e-mail template for a case, ``POST /api/emails/send``
sends a message and stores it as an e-mail activity on the case.

Where a message goes is ``Settings.smtp_url``: ``smtp://[user:password@]host[:port]`` sends it through that
server; without one (the demo default) it is recorded in the ``emailoutbox`` table and not sent. Either way the
RFC 5322 text is kept in the outbox, and the activity says which (statuscode 3 Sent, 6 Pending Send).

Template slugs: ``{anchor.<attribute>}`` / ``${anchor.<attribute>}`` (the case), ``{customerName}``,
``{customerEmail}``, ``{agentName}``, ``{caseId}``, ``{caseTitle}``, and any name given in ``values``. A slug with
no value is left empty and listed in ``unresolved``, so the agent sees what to fill in before sending.
"""

from __future__ import annotations

import re
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from starlette.responses import Response
from starlette.routing import Route

from server.api.common import Call, FastJSONResponse, endpoint, utcnow
from server.api.entities import ENTITY_SETS
from server.api.odata import GUID
from server.api.records import to_json
from server.db import schema
from server.errors import ApiError

SLUG = re.compile(r"\$?\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_@.]+)?)\}")
SMTP_TIMEOUT = 10.0
MAX_RECIPIENTS = 20
EMAILS = ENTITY_SETS["emails"]


def _invalid(field: str, reason: str, message: str) -> ApiError:
    return ApiError(422, "validation_failed", message, {"field": field, "reason": reason})


def fill(text: str, values: dict[str, Any]) -> tuple[str, list[str]]:
    """``text`` with ``{slug}`` and ``${slug}`` filled from ``values`` (dotted keys read nested dicts), one pass."""
    unresolved: list[str] = []

    def replace(match: re.Match) -> str:
        key = match.group(1)
        value: Any = values.get(key)
        if value is None and "." in key:
            head, rest = key.split(".", 1)
            nested = values.get(head)
            value = nested.get(rest) if isinstance(nested, dict) else None
        if value is None or value == "":
            unresolved.append(key)
            return ""
        return str(value)

    return SLUG.sub(replace, text), unresolved


def _case_values(conn: Connection, case_id: str, call: Call) -> dict[str, Any]:
    case = conn.execute(select(schema.incidents).where(schema.incidents.c.incidentid == case_id)).first()
    if case is None:
        raise ApiError(404, "not_found", f"No case with id {case_id}.", {"id": case_id})
    anchor = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in case._mapping.items()}
    if case.customeridtype == "contact":
        customer = conn.execute(select(schema.contacts.c.fullname, schema.contacts.c.emailaddress1)
                                .where(schema.contacts.c.contactid == case.customerid)).first()
    else:
        customer = conn.execute(select(schema.accounts.c.name, schema.accounts.c.emailaddress1)
                                .where(schema.accounts.c.accountid == case.customerid)).first()
    agent = conn.execute(select(schema.systemusers.c.fullname).where(
        schema.systemusers.c.systemuserid == call.user.id)).scalar_one_or_none()
    return {"anchor": anchor, "customerName": customer[0] if customer else None,
            "customerEmail": customer[1] if customer else None, "agentName": agent,
            "caseId": case.incidentid, "caseTitle": case.title}


def _body(call: Call, allowed: set[str], required: set[str]) -> dict:
    body = call.body
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "The body must be a JSON object.", {"field": None})
    for name in body:
        if name not in allowed:
            raise _invalid(name, "unknown", f"Unknown field {name!r}.")
    for name in required:
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise _invalid(name, "required", f"{name} is required.")
    return body


def _guid(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not GUID.fullmatch(value):
        raise _invalid(name, "format", f"{name} must be a GUID.")
    return value.lower()


def compose(call: Call) -> Response:
    """``{templateid, regardingobjectid, values?}`` -> ``{to, subject, body, unresolved}``."""
    body = _body(call, {"templateid", "regardingobjectid", "values"}, {"templateid", "regardingobjectid"})
    template_id, case_id = _guid(body, "templateid"), _guid(body, "regardingobjectid")
    extra = body.get("values") or {}
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        raise _invalid("values", "type", "values must map slug names to text.")
    with call.database.engine.connect() as conn:
        template = conn.execute(select(schema.templates).where(
            schema.templates.c.templateid == template_id, schema.templates.c.templatetypecode == "email")).first()
        if template is None:
            raise ApiError(404, "not_found", f"No e-mail template with id {template_id}.", {"id": template_id})
        values = {**_case_values(conn, case_id, call), **extra}
    subject, missing_subject = fill(template.subject, values)
    text, missing_body = fill(template.body, values)
    return FastJSONResponse({
        "to": values.get("customerEmail") or "", "subject": subject, "body": text,
        "templateid": template_id, "regardingobjectid": case_id,
        "unresolved": list(dict.fromkeys(missing_subject + missing_body)),
    })


def _recipients(text: str) -> list[str]:
    addresses = [address for _, address in getaddresses([text]) if address]
    if not addresses or len(addresses) > MAX_RECIPIENTS or not all(
            re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+", a) for a in addresses):
        raise _invalid("to", "format", f"to must be 1-{MAX_RECIPIENTS} e-mail addresses.")
    return addresses


def deliver(smtp_url: str | None, message: EmailMessage) -> str:
    """Send ``message`` through ``smtp_url`` (returns ``"smtp"``) or, without one, send nothing (``"outbox"``).

    Raises:
        ApiError: 502 ``mail_failed`` when the SMTP server cannot be reached or refuses the message.
    """
    if not smtp_url:
        return "outbox"
    parts = urlsplit(smtp_url)
    try:
        with smtplib.SMTP(parts.hostname, parts.port or 25, timeout=SMTP_TIMEOUT) as smtp:
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise ApiError(502, "mail_failed", "The mail server did not take the message; nothing was sent or stored.",
                       {"reason": str(exc)[:200]}) from None
    return "smtp"


def send(call: Call) -> Response:
    """``{regardingobjectid, to, subject, body, templateid?}``: send (or record) and store an e-mail activity."""
    body = _body(call, {"regardingobjectid", "to", "subject", "body", "templateid"}, {"to", "subject", "body"})
    case_id = _guid(body, "regardingobjectid")
    if len(body["subject"]) > 300 or len(body["body"]) > 20000:
        raise _invalid("subject" if len(body["subject"]) > 300 else "body", "too_long", "The message is too long.")
    recipients = _recipients(body["to"])
    settings = call.request.app.state.settings
    with call.database.engine.connect() as conn:
        _case_values(conn, case_id, call)  # 404 for an unknown case, before anything is sent
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = ", ".join(recipients)
    message["Subject"] = body["subject"]
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rsplit("@", 1)[-1])
    message.set_content(body["body"])
    transport = deliver(settings.smtp_url, message)
    now = utcnow()
    activity_id = str(uuid.uuid4())
    with call.database.engine.begin() as conn:
        conn.execute(insert(schema.activities).values(
            activityid=activity_id, activitytypecode="email", subject=body["subject"], description=body["body"],
            regardingobjectid=case_id, regardingobjecttypecode="incident", statecode=1,
            statuscode=3 if transport == "smtp" else 6, prioritycode=1, directioncode=True,
            sender=settings.mail_from, torecipients=", ".join(recipients)[:500], actualend=now,
            ownerid=call.user.id, createdon=now, modifiedon=now, versionnumber=1))
        conn.execute(insert(schema.emailoutbox).values(
            outboxid=str(uuid.uuid4()), activityid=activity_id, transport=transport, sender=settings.mail_from,
            recipients=", ".join(recipients)[:1000], subject=body["subject"], message=message.as_string(),
            createdon=now))
        row = conn.execute(select(schema.activities).where(schema.activities.c.activityid == activity_id)).first()
    return FastJSONResponse({"transport": transport, "email": to_json(EMAILS, row)}, status_code=201,
                            headers={"Location": f"/api/emails({activity_id})"})


routes = [
    Route("/api/emails/compose", endpoint(compose, body=True), methods=["POST"]),
    Route("/api/emails/send", endpoint(send, body=True), methods=["POST"]),
]
