"""What the page knows about each kind of record: names, keys, how to title it, list columns, form layout. Pure.

One table drives the site map, the lists, the forms, search results and the navigation: ``ENTITIES[logical]``.
The server's whitelist (server/api/entities.py) stays the authority on what may be written; this is presentation.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """A list column: a field, its header and how wide it tends to be (``s``, ``m``, ``l``)."""

    name: str
    label: str
    width: str = "m"


@dataclass(frozen=True)
class FormField:
    """A form field.

    Attributes:
        name: The record's field.
        label: What the agent reads.
        kind: ``text``, ``multiline``, ``choice``, ``lookup``, ``datetime``, ``number``, ``bool`` or ``readonly``.
        required: The form refuses to save without it.
        choices: ``((value, label), ...)`` for ``choice``.
        target: For ``lookup``: the entity sets it may point to (``("accounts", "contacts")``).
        type_field: For a polymorphic lookup, the field holding the target's logical name (``customeridtype``).
        max_length: For text.
        readonly: Shown but not written through the form (e.g. a case's owner and queue change by actions).
    """

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    choices: tuple[tuple[object, str], ...] = ()
    target: tuple[str, ...] = ()
    type_field: str | None = None
    max_length: int | None = None
    readonly: bool = False
    #: Values a record may hold but the form never offers (a closed case's status reason): shown by their label.
    shown_choices: tuple[tuple[object, str], ...] = ()


@dataclass(frozen=True)
class Section:
    """A titled group of form fields."""

    title: str
    fields: tuple[FormField, ...]


@dataclass(frozen=True)
class Entity:
    """One kind of record.

    Attributes:
        logical: Logical name (``incident``), as the Apm API and navigation use it.
        entity_set: API entity set (``incidents``).
        key: Id field (``incidentid``).
        singular / plural: Display names.
        primary: The field that names a record (its tab and session title).
        columns: Default list view columns.
        default_order: Default ``$orderby`` of its list view.
        sections: Form layout.
        search: Whether global search covers it.
    """

    logical: str
    entity_set: str
    key: str
    singular: str
    plural: str
    primary: str
    columns: tuple[Column, ...]
    default_order: str
    sections: tuple[Section, ...] = ()
    search: bool = False
    extra: dict = field(default_factory=dict)

    def title_of(self, record: dict) -> str:
        """A record's display title (its primary field, else the entity name)."""
        value = record.get(self.primary)
        return str(value) if value not in (None, "") else f"New {self.singular.lower()}" if not record.get(
            self.key) else self.singular

    def id_of(self, record: dict) -> str | None:
        value = record.get(self.key)
        return str(value) if value else None


PRIORITY = ((1, "High"), (2, "Normal"), (3, "Low"))
ORIGIN = (("phone", "Phone"), ("email", "Email"), ("web", "Web"), ("chat", "Chat"))
CASE_STATE = ((0, "Active"), (1, "Resolved"), (2, "Cancelled"))
CASE_STATUS = ((1, "In progress"), (2, "On hold"), (3, "Waiting for details"), (4, "Researching"),
               (5, "Problem solved"), (1000, "Information provided"), (6, "Cancelled"), (2000, "Merged"))
ACTIVITY_STATE = ((0, "Open"), (1, "Completed"), (2, "Cancelled"))
ACTIVITY_PRIORITY = ((2, "High"), (1, "Normal"), (0, "Low"))  # listed like the case form's PRIORITY
ARTICLE_STATE = ((0, "Draft"), (3, "Published"))
ACTIVITY_TYPE = (("task", "Task"), ("phonecall", "Phone call"), ("email", "Email"), ("appointment", "Appointment"))


def _activity(logical: str, entity_set: str, singular: str, plural: str, extra: tuple[FormField, ...] = ()
              ) -> Entity:
    return Entity(
        logical, entity_set, "activityid", singular, plural, "subject",
        (Column("subject", "Subject", "l"), Column("regardingobjectid", "Regarding", "m"),
         Column("prioritycode", "Priority", "s"), Column("statecode", "Status", "s"),
         Column("scheduledend", "Due", "m")),
        "scheduledend asc",
        (Section("Details", (
            FormField("subject", "Subject", required=True, max_length=300),
            *extra,
            FormField("description", "Description", "multiline", max_length=20000),
            FormField("regardingobjectid", "Regarding", "lookup", target=("incidents", "accounts", "contacts"),
                      type_field="regardingobjecttypecode"),
            FormField("prioritycode", "Priority", "choice", choices=ACTIVITY_PRIORITY),
            FormField("statecode", "Status", "choice", choices=ACTIVITY_STATE),
            FormField("scheduledend", "Due", "datetime"),
        )),),
    )


ENTITIES: dict[str, Entity] = {e.logical: e for e in (
    Entity(
        "incident", "incidents", "incidentid", "Case", "Cases", "title",
        (Column("ticketnumber", "Case number", "m"), Column("title", "Title", "l"),
         Column("customerid", "Customer", "m"), Column("prioritycode", "Priority", "s"),
         Column("statuscode", "Status reason", "s"), Column("createdon", "Created on", "m")),
        "createdon desc",
        (Section("Case details", (
            FormField("title", "Case title", required=True, max_length=300),
            FormField("customerid", "Customer", "lookup", required=True, target=("accounts", "contacts"),
                      type_field="customeridtype"),
            FormField("subject", "Subject", max_length=100),
            FormField("productname", "Product", max_length=100),
            FormField("caseorigincode", "Origin", "choice", choices=ORIGIN),
            FormField("prioritycode", "Priority", "choice", choices=PRIORITY),
            FormField("statuscode", "Status reason", "choice", choices=CASE_STATUS[:4],
                      shown_choices=CASE_STATUS[4:]),
         )),
         Section("Description", (FormField("description", "Description", "multiline", max_length=20000),)),
         Section("Ownership", (
             FormField("ownerid", "Owner", "lookup", target=("systemusers",), readonly=True),
             FormField("queueid", "Queue", "lookup", target=("queues",), readonly=True),
         ))),
        search=True,
    ),
    Entity(
        "account", "accounts", "accountid", "Account", "Accounts", "name",
        (Column("name", "Account name", "l"), Column("accountnumber", "Number", "s"),
         Column("address1_city", "City", "m"), Column("telephone1", "Phone", "m"),
         Column("emailaddress1", "Email", "m")),
        "name asc",
        (Section("Account", (
            FormField("name", "Account name", required=True, max_length=200),
            FormField("accountnumber", "Account number", required=True, max_length=20),
            FormField("telephone1", "Phone", max_length=50),
            FormField("emailaddress1", "Email", max_length=200),
            FormField("address1_city", "City", max_length=100),
        )),),
        search=True,
    ),
    Entity(
        "contact", "contacts", "contactid", "Contact", "Contacts", "fullname",
        (Column("fullname", "Full name", "l"), Column("jobtitle", "Job title", "m"),
         Column("parentcustomerid", "Account", "m"), Column("emailaddress1", "Email", "m"),
         Column("telephone1", "Phone", "m")),
        "fullname asc",
        (Section("Contact", (
            FormField("firstname", "First name", required=True, max_length=100),
            FormField("lastname", "Last name", required=True, max_length=100),
            FormField("jobtitle", "Job title", max_length=100),
            FormField("parentcustomerid", "Account", "lookup", target=("accounts",)),
            FormField("emailaddress1", "Email", max_length=200),
            FormField("telephone1", "Phone", max_length=50),
        )),),
        search=True,
    ),
    _activity("task", "tasks", "Task", "Tasks"),
    _activity("email", "emails", "Email", "Emails", (
        FormField("torecipients", "To", max_length=500), FormField("sender", "From", max_length=200))),
    _activity("phonecall", "phonecalls", "Phone call", "Phone calls", (
        FormField("phonenumber", "Phone number", max_length=50),
        FormField("directioncode", "Outgoing", "bool"))),
    _activity("appointment", "appointments", "Appointment", "Appointments", (
        FormField("location", "Location", max_length=200),)),
    Entity(
        "annotation", "annotations", "annotationid", "Note", "Notes", "subject",
        (Column("subject", "Title", "l"), Column("notetext", "Text", "l"), Column("createdon", "Created on", "m")),
        "createdon desc",
        (Section("Note", (FormField("subject", "Title", max_length=300),
                          FormField("notetext", "Text", "multiline", required=True, max_length=20000))),),
    ),
    Entity(
        "knowledgearticle", "knowledgearticles", "knowledgearticleid", "Knowledge article", "Knowledge articles",
        "title",
        (Column("articlepublicnumber", "Number", "s"), Column("title", "Title", "l"),
         Column("subject", "Subject", "m"), Column("statecode", "Status", "s"),
         Column("knowledgearticleviews", "Views", "s")),
        "title asc",
        (Section("Article", (
            FormField("title", "Title", required=True, max_length=300),
            FormField("keywords", "Keywords", max_length=500),
            FormField("subject", "Subject", max_length=100),
            FormField("productname", "Product", max_length=100),
            FormField("statecode", "Status", "choice", choices=ARTICLE_STATE),
         )),
         Section("Content", (FormField("content", "Content", "multiline", required=True, max_length=100000),))),
        search=True,
    ),
    Entity(
        "queue", "queues", "queueid", "Queue", "Queues", "name",
        (Column("name", "Queue", "l"), Column("description", "Description", "l")),
        "name asc",
        (Section("Queue", (FormField("name", "Name", required=True, max_length=200),
                           FormField("description", "Description", "multiline", max_length=2000))),),
    ),
    Entity(
        "queueitem", "queueitems", "queueitemid", "Queue item", "Queue items", "title",
        (Column("title", "Title", "l"), Column("queueid", "Queue", "m"), Column("workerid", "Worked by", "m"),
         Column("enteredon", "Entered queue", "m")),
        "enteredon asc",
    ),
    Entity(  # every activity type in one read-only list; a row opens its own type (activitytypecode)
        "activitypointer", "activitypointers", "activityid", "Activity", "Activities", "subject",
        (Column("subject", "Subject", "l"), Column("activitytypecode", "Type", "s"),
         Column("regardingobjectid", "Regarding", "m"), Column("prioritycode", "Priority", "s"),
         Column("statecode", "Status", "s"), Column("scheduledend", "Due", "m")),
        "scheduledend asc",
    ),
    Entity(
        "systemuser", "systemusers", "systemuserid", "User", "Users", "fullname",
        (Column("fullname", "Full name", "l"), Column("domainname", "User name", "m")),
        "fullname asc",
    ),
)}

BY_SET: dict[str, Entity] = {e.entity_set: e for e in ENTITIES.values()}


def entity(name: str) -> Entity:
    """An entity by logical name (``incident``) or entity set (``incidents``).

    Raises:
        KeyError: no such entity (with the names that exist).
    """
    found = ENTITIES.get(name) or BY_SET.get(name)
    if found is None:
        raise KeyError(f"unknown entity {name!r}; known: {sorted(ENTITIES)}")
    return found


def choice_label(choices: tuple[tuple[object, str], ...], value: object) -> str:
    """The label of an option-set value (the value itself when unknown; empty for ``None``)."""
    for option, label in choices:
        if option == value:
            return label
    return "" if value is None else str(value)
