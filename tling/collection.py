"""Paging, sorting and filtering of every Tling collection (docs/api/API_CONTRACT.md §3).

One module for contacts, lists, messages and scheduled messages. Each endpoint
declares a ``CollectionSpec``: the API field names (camelCase, as clients send
them) it lets clients sort and filter by, mapped to model fields. Anything else
is a 400 naming the query parameter.

Query string::

    page[size]=30          default 30; above 100 → 100; 0, negative or not a
                           whole number → 400 (a client asking for nothing or
                           for garbage has a bug worth telling it about)
    page[number]=1         default 1; < 1 or not a whole number → 400;
                           past the last page → empty ``data`` with the ``total``
    sort=-createdAt,name   several fields, ``-`` for descending
    filter[name][like]=fo  comma = OR within one filter, filters AND together;
    filter[name]=foo       a bare filter means ``eq``

Operators: eq, ne (none of the values), gt, gte, lt, lte, like
(case-insensitive substring), in (= eq with a list), null (true/false).
Dates accept ISO dates or datetimes; a date alone on a timestamp field means
that whole UTC day (``eq 2023-01-25`` matches any time that day).

Errors name the parameter: the field of a ``FieldError`` is ``?<parameter>``,
which the Tling error shape renders as ``source.parameter``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime

from tingting import phones
from tingting.errors import FieldError, InvalidInputError
from tingting.moments import to_utc

DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 100
OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "like", "in", "null")
_FILTER = re.compile(r"^filter\[([^\[\]]*)\](?:\[([^\[\]]*)\])?$")


def parameter_error(parameter: str, message: str, code: str = "invalid_parameter") -> InvalidInputError:
    return InvalidInputError(message, errors=[FieldError(f"?{parameter}", code, message)], code=code)


# --- value kinds --------------------------------------------------------------------


def _text(value: str) -> str:
    return value


def _uuid(value: str) -> str:
    return str(uuid.UUID(value))


def _datetime(value: str) -> datetime | date:
    # A date alone stays a date (the whole day); parse_datetime would read it as midnight.
    day = parse_date(value) if re.fullmatch(r"\d{4}-\d\d-\d\d", value) else None
    if day is not None:
        return day
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError("not an ISO date or datetime")
    return to_utc(parsed)


def _whole_day(value: str) -> date:
    if not re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        raise ValueError("not an ISO date")
    day = parse_date(value)
    if day is None:
        raise ValueError("not an ISO date")
    return day


def choices(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return parse


@dataclass(frozen=True)
class Field:
    """An API field: the model field behind it and how to read a filter value."""

    model_field: str
    parse: Callable[[str], object] = _text
    sortable: bool = True
    filterable: bool = True
    # Extra ORDER BY fields appended when sorting by this one (e.g. the phone).
    also_sort: tuple[str, ...] = ()
    # Builds the condition for ops other than ``null`` instead of one lookup on
    # ``model_field`` (a phone number matches over two columns).
    condition: Callable[[str, object], Q] | None = None


def text(model_field: str, **kwargs) -> Field:
    return Field(model_field, _text, **kwargs)


def timestamp(model_field: str, **kwargs) -> Field:
    return Field(model_field, _datetime, **kwargs)


def whole_day(model_field: str, **kwargs) -> Field:
    """A timestamp field filtered by ISO dates only (the whole UTC day); a time of
    day is an invalid value."""
    return Field(model_field, _whole_day, **kwargs)


def uuid_field(model_field: str, **kwargs) -> Field:
    return Field(model_field, _uuid, **kwargs)


def _phone_code(value: str) -> str:
    return f"+{value}" if value.isdigit() else value


def phone_code(model_field: str, **kwargs) -> Field:
    """``phoneCode``: ``+351`` as shown, or its digits ``351``."""
    return Field(model_field, _phone_code, **kwargs)


def phone_number(national_field: str, code_field: str, **kwargs) -> Field:
    """``phoneNumber``: the national part as shown (``911111111``), or the whole number
    as E.164 (``+351911111111``) or digits with the country code: eq / in / ne match
    any of the numbers the value may stand for (``tingting.phones.lookup_forms``);
    like and the comparisons apply to the national part as written."""

    def condition(op: str, value: object) -> Q:
        if op not in ("eq", "in", "ne"):
            return _condition(national_field, op, value)
        match = Q(**{national_field: value})
        for e164 in phones.lookup_forms(value):
            code, national = phones.split_country_code(e164)
            match |= Q(**{code_field: code, national_field: national})
        return ~match if op == "ne" else match

    return Field(national_field, _text, condition=condition, **kwargs)


@dataclass(frozen=True)
class CollectionSpec:
    fields: dict[str, Field]
    default_sort: str = "updatedAt"
    # Unique last sort key so pages never overlap or skip rows.
    tiebreak: str = "pk"


@dataclass
class CollectionQuery:
    page_size: int = DEFAULT_PAGE_SIZE
    page_number: int = 1
    order_by: list[str] = field(default_factory=list)
    where: Q = field(default_factory=Q)

    @property
    def offset(self) -> int:
        return (self.page_number - 1) * self.page_size


# --- parsing ------------------------------------------------------------------------


def _positive_int(params, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    raw = raw.strip()
    if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) < 1:
        raise parameter_error(name, f"{name} must be a whole number of at least 1.")
    return int(raw)


def _order_by(spec: CollectionSpec, raw: str | None) -> list[str]:
    raw = spec.default_sort if raw is None or not raw.strip() else raw
    order: list[str] = []
    for item in raw.split(","):
        item = item.strip()
        descending = item.startswith("-")
        name = item.lstrip("-+")
        api_field = spec.fields.get(name)
        if api_field is None or not api_field.sortable:
            allowed = ", ".join(n for n, f in spec.fields.items() if f.sortable)
            raise parameter_error("sort", f"Cannot sort by {name!r}; sortable fields: {allowed}.", "invalid_sort")
        for model_field in (api_field.model_field, *api_field.also_sort):
            order.append(f"-{model_field}" if descending else model_field)
    order.append(spec.tiebreak)
    return order


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    # 9999-12-31 has no next day: its end is the last representable moment.
    end = start + timedelta(days=1) if day < date.max else datetime.max.replace(tzinfo=UTC)
    return start, end


def _condition(model_field: str, op: str, value: object) -> Q:
    if isinstance(value, date) and not isinstance(value, datetime):
        # A date on a timestamp field is the whole UTC day.
        start, end = _day_bounds(value)
        return {
            "eq": Q(**{f"{model_field}__gte": start, f"{model_field}__lt": end}),
            "in": Q(**{f"{model_field}__gte": start, f"{model_field}__lt": end}),
            "ne": ~Q(**{f"{model_field}__gte": start, f"{model_field}__lt": end}),
            "gt": Q(**{f"{model_field}__gte": end}),
            "gte": Q(**{f"{model_field}__gte": start}),
            "lt": Q(**{f"{model_field}__lt": start}),
            "lte": Q(**{f"{model_field}__lt": end}),
        }[op]
    lookup = {
        "eq": "exact",
        "in": "exact",
        "ne": "exact",
        "gt": "gt",
        "gte": "gte",
        "lt": "lt",
        "lte": "lte",
        "like": "icontains",
    }[op]
    condition = Q(**{f"{model_field}__{lookup}": value})
    return ~condition if op == "ne" else condition


def _filter(spec: CollectionSpec, name: str, op: str, raw: str) -> Q:
    parameter = f"filter[{name}][{op}]"
    api_field = spec.fields.get(name)
    if api_field is None or not api_field.filterable:
        allowed = ", ".join(n for n, f in spec.fields.items() if f.filterable)
        raise parameter_error(
            parameter, f"Cannot filter by {name!r}; filterable fields: {allowed}.", "invalid_filter_field"
        )
    if op not in OPERATORS:
        raise parameter_error(
            parameter, f"Unknown filter operator {op!r}; one of {', '.join(OPERATORS)}.", "invalid_filter_operator"
        )
    if "\x00" in raw:  # PostgreSQL text cannot hold NUL: the query itself would fail (500)
        raise parameter_error(parameter, f"The value of {parameter} must not contain NUL characters.")
    if op == "null":
        if raw.strip().lower() not in ("true", "false"):
            raise parameter_error(parameter, "The null operator takes true or false.")
        return Q(**{f"{api_field.model_field}__isnull": raw.strip().lower() == "true"})
    values = []
    for item in raw.split(","):
        try:
            values.append(api_field.parse(item.strip()))
        except ValueError as exc:
            raise parameter_error(parameter, f"Invalid value {item.strip()!r} for {name}: {exc}.") from exc
    if op == "like" and not all(isinstance(v, str) for v in values):
        raise parameter_error(parameter, f"like applies to text fields, not {name}.")
    conditions = [
        api_field.condition(op, v) if api_field.condition else _condition(api_field.model_field, op, v) for v in values
    ]
    if op == "ne":
        # "none of these values": ne a,b keeps rows that are neither a nor b.
        return reduce(lambda a, b: a & b, conditions)
    return reduce(or_, conditions)


def collection_query(params, spec: CollectionSpec) -> CollectionQuery:
    """Parse a request's query parameters against ``spec``; raises InvalidInputError (400)."""
    return CollectionQuery(
        page_size=min(_positive_int(params, "page[size]", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE),
        page_number=_positive_int(params, "page[number]", 1),
        order_by=_order_by(spec, params.get("sort")),
        where=_where(params, spec),
    )


def _where(params, spec: CollectionSpec) -> Q:
    where = Q()
    for key in params:
        if not key.startswith("filter"):
            continue
        match = _FILTER.match(key)
        if match is None:
            raise parameter_error(
                key, f"Malformed filter {key!r}; use filter[field][op]=value.", "invalid_filter_field"
            )
        name, op = match.group(1), match.group(2) or "eq"
        for raw in params.getlist(key):
            where &= _filter(spec, name, op, raw)
    return where


def collection_where(params, spec: CollectionSpec) -> Q | None:
    """The request's filters against another ``spec`` (e.g. a summary table that
    holds fewer fields), or None when one of them does not fit it."""
    try:
        return _where(params, spec)
    except InvalidInputError:
        return None


def paginate(
    queryset: QuerySet,
    query: CollectionQuery,
    decorate: Callable[[QuerySet], QuerySet] | None = None,
    count: Callable[[], int] | None = None,
) -> tuple[list, int]:
    """The page's rows and the total of all matches: two queries (plus the
    prefetches ``decorate`` adds to the page query), whatever the page size.
    ``decorate`` adds annotations and prefetches to the page query only, so the
    count stays a plain indexed COUNT. ``count``, when given, returns that same
    total another way (one query)."""
    filtered = queryset.filter(query.where)
    total = count() if count is not None else filtered.order_by().count()
    if total <= query.offset:
        return [], total
    page = filtered.order_by(*query.order_by)[query.offset : query.offset + query.page_size]
    if decorate is not None:
        page = decorate(page)
    return list(page), total
