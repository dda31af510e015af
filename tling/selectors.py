"""Tling reads, every one scoped to its owner: another user's id is simply not found (404)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.db.models import (
    CharField,
    Count,
    Exists,
    Func,
    IntegerField,
    JSONField,
    Model,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.http import QueryDict

from accounts.models import User
from tingting.errors import NotFoundError
from tling import collection as c
from tling.models import (
    Contact,
    ContactList,
    Membership,
    Message,
    MessageEvent,
    MessageStatus,
    MessageTally,
    ScheduledMessage,
    ScheduleState,
)

CONTACTS = c.CollectionSpec(
    {
        "birthDate": c.timestamp("birth_date"),
        "email": c.text("email"),
        "name": c.text("name"),
        "phoneCode": c.phone_code("phone_code"),
        "phoneNumber": c.phone_number("phone_national", "phone_code"),
        "createdAt": c.timestamp("created_at"),
        "updatedAt": c.timestamp("updated_at", filterable=False),
    }
)
LISTS = c.CollectionSpec(
    {
        "name": c.text("name"),
        "createdAt": c.timestamp("created_at"),
        "updatedAt": c.timestamp("updated_at", filterable=False),
    }
)
MESSAGES = c.CollectionSpec(
    {
        "phoneCode": c.phone_code("phone_code"),
        "phoneNumber": c.phone_number("phone_national", "phone_code"),
        "createdAt": c.timestamp("created_at"),
        "updatedAt": c.timestamp("updated_at", filterable=False),
    }
)
# The filters of MESSAGES the tally answers exactly: a predicate on phone_code
# holds for a tally row iff it holds for each of its messages, and one on whole
# UTC days of created_at iff it holds for the row's created_day.
MESSAGE_TALLY = c.CollectionSpec(
    {
        "phoneCode": c.phone_code("phone_code"),
        "createdAt": c.whole_day("created_day"),
    }
)
SCHEDULES = c.CollectionSpec(
    {
        "name": c.text("name"),
        "state": c.Field("state", c.choices(*ScheduleState.values)),
        "createdon": c.timestamp("created_at"),
        "id": c.uuid_field("id"),
    },
    default_sort="createdon",
)


def _count_of(model: type[Model], link: str) -> Coalesce:
    counts = (
        model._default_manager.filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def _with_lists_count(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(lists_count=_count_of(Membership, "contact"))


def _with_contacts_count(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(contacts_count=_count_of(Membership, "contact_list"))


class IsoMillis(Func):
    """A timestamp rendered by the database as the API shows it
    (``2023-01-25T15:38:37.434Z``): a page of messages has 600 of them, and
    parsing then formatting each in Python is most of the page's cost."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template=("to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"),
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = self.as_sql(compiler, connection, template="strftime(%%s, %(expressions)s)", **extra)
        return sql, ("%Y-%m-%dT%H:%M:%fZ", *params)


class Timeline(Func):
    """A message's ``report`` timeline as a JSON array of ``{"status", "timestamp"}``,
    newest first (by progress, then time: ``MessageEvent.Meta.ordering``), built by
    the database in the message's own row: no second query, no per-entry Python."""

    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template=(
                "(SELECT COALESCE(json_agg(json_build_object('status', e.status, 'timestamp', to_char("
                "e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')) ORDER BY e.rank DESC, "
                "e.occurred_at DESC), '[]')::text FROM %(events)s e WHERE e.message_id = %(expressions)s)"
            ),
            events=connection.ops.quote_name(MessageEvent._meta.db_table),
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = self.as_sql(
            compiler,
            connection,
            template=(
                "(SELECT COALESCE(json_group_array(json_object('status', status, 'timestamp', strftime(%%s, occurred_at))),"
                " '[]') FROM (SELECT status, occurred_at FROM %(events)s WHERE message_id = %(expressions)s"
                " ORDER BY rank DESC, occurred_at DESC))"
            ),
            events=connection.ops.quote_name(MessageEvent._meta.db_table),
            **extra,
        )
        return sql, ("%Y-%m-%dT%H:%M:%fZ", *params)


def _message_rows(queryset: QuerySet) -> QuerySet:
    # Plain rows, not model instances: a page is 100 messages and 400+ timeline
    # entries, and building that many models costs more than the queries.
    return queryset.values(
        "id",
        "api_key_id",
        "error",
        "phone_code",
        "phone_national",
        created=IsoMillis("created_at"),
        updated=IsoMillis("updated_at"),
        report=Timeline("id"),
    )


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


# --- contacts -------------------------------------------------------------------------


def contact_list_page(*, owner: User, params: QueryDict) -> tuple[list[Contact], int]:
    """Contacts page per the collection query; ``listId=<id>`` keeps members of that
    list, ``listId=!<id>`` keeps the others."""
    query = c.collection_query(params, CONTACTS)
    queryset = Contact.objects.filter(owner=owner)
    list_id = params.get("listId")
    if list_id is not None:
        negate = list_id.startswith("!")
        parsed = _uuid(list_id.lstrip("!"))
        if parsed is None:
            raise c.parameter_error("listId", "listId must be a list id, or ! and a list id.")
        member = Exists(
            Membership.objects.filter(contact=OuterRef("pk"), contact_list_id=parsed, contact_list__owner=owner)
        )
        queryset = queryset.filter(~member if negate else member)
    return c.paginate(queryset, query, _with_lists_count)


def contact_get(*, owner: User, contact_id: object) -> Contact:
    parsed = _uuid(contact_id)
    contact = _with_lists_count(Contact.objects.filter(owner=owner, pk=parsed)).first() if parsed else None
    if contact is None:
        raise NotFoundError("Contact not found.")
    return contact


def contacts_owned(*, owner: User | int, ids: list[uuid.UUID]) -> QuerySet:
    """The caller's contacts among ``ids``; raises NotFoundError naming the first
    unknown or foreign one."""
    queryset = Contact.objects.filter(owner=owner, pk__in=ids)
    found = set(queryset.values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFoundError(f"Contact {missing[0]} not found.", field=str(ids.index(missing[0])))
    return queryset


# --- lists ----------------------------------------------------------------------------


def list_page(*, owner: User, params: QueryDict) -> tuple[list[ContactList], int]:
    query = c.collection_query(params, LISTS)
    return c.paginate(ContactList.objects.filter(owner=owner), query, _with_contacts_count)


def list_get(*, owner: User, list_id: object, with_count: bool = True) -> ContactList:
    parsed = _uuid(list_id)
    found = None
    if parsed is not None:
        queryset = ContactList.objects.filter(owner=owner, pk=parsed)
        found = (_with_contacts_count(queryset) if with_count else queryset).first()
    if found is None:
        raise NotFoundError("List not found.")
    return found


# --- messages -------------------------------------------------------------------------


def message_page(*, owner: User, params: QueryDict) -> tuple[list[dict], int]:
    """Messages page; ``status=<one status>`` keeps messages whose current status it is."""
    query = c.collection_query(params, MESSAGES)
    queryset = Message.objects.filter(owner=owner)
    status = params.get("status")
    if status is not None:
        if status not in MessageStatus.values:
            raise c.parameter_error("status", f"status must be one of: {', '.join(MessageStatus.values)}.")
        queryset = queryset.filter(status=status)
    return c.paginate(queryset, query, _message_rows, _tally_count(owner, status, params))


def _tally_count(owner: User, status: str | None, params: QueryDict) -> Callable[[], int] | None:
    """The page's exact total from the tally (a sum of a few rows instead of a
    COUNT of up to every message of the account), or None when the filters need
    a real count (phoneNumber, a createdAt with a time of day)."""
    where = c.collection_where(params, MESSAGE_TALLY)
    if where is None:
        return None
    tallies = MessageTally.objects.filter(owner=owner).filter(where)
    if status is not None:
        tallies = tallies.filter(status=status)
    return lambda: tallies.aggregate(total=Sum("n", default=0))["total"]


def message_get(*, owner: User, message_id: object) -> dict:
    """The message as a row with its ``report`` timeline (what ``message_out`` renders)."""
    parsed = _uuid(message_id)
    row = _message_rows(Message.objects.filter(owner=owner, pk=parsed)).first() if parsed else None
    if row is None:
        raise NotFoundError("Message not found.")
    return row


# --- schedules ------------------------------------------------------------------------


def schedule_page(*, owner: User, params: QueryDict) -> tuple[list[ScheduledMessage], int]:
    query = c.collection_query(params, SCHEDULES)
    return c.paginate(ScheduledMessage.objects.filter(owner=owner), query)


def schedule_locked(*, owner: User, schedule_id: object) -> ScheduledMessage:
    """The schedule, its row locked (call inside a transaction), as it is once the lock is held."""
    parsed = _uuid(schedule_id)
    schedule = ScheduledMessage.objects.select_for_update().filter(owner=owner, pk=parsed).first() if parsed else None
    if schedule is None:
        raise NotFoundError("Scheduled message not found.")
    return schedule
