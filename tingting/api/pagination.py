"""The one paging of the TingTing face's lists: campaigns, a campaign's numbers,
the do-not-contact list (the Tling face has its own, ``tling/collection.py``).

- ``page`` and ``page_size`` are whole numbers of at least 1; anything else is a
  400 naming the parameter (an empty one is absent). A ``page_size`` above the
  list's maximum is that maximum.
- A page past the last is a 404 ``invalid_page`` (page 1 of an empty list is an
  empty page). Django's ``Paginator`` compares the number with the page count
  before any OFFSET reaches the database, so ``page=99999999999999999999`` is
  that 404, not a bigint overflow (500).
- The ``pagination`` object: total_items, total_pages, page_number, has_next,
  has_previous (plus what a list adds, e.g. ``links`` or ``page_size``).
"""

from __future__ import annotations

from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import QuerySet
from rest_framework import serializers

from tingting.errors import NotFoundError


class PageQuery(serializers.Serializer):
    """``page`` and ``page_size`` of a list's query (absent when not sent)."""

    page = serializers.IntegerField(min_value=1, required=False)
    page_size = serializers.IntegerField(min_value=1, required=False)


def page_of(rows: QuerySet, *, page: int, size: int, max_size: int) -> Page:
    """Page ``page`` of ``rows``, ``size`` (at most ``max_size``) per page: a count
    and, when the page exists, one query for it. NotFoundError (404) past the last."""
    paginator = Paginator(rows, min(size, max_size))
    try:
        return paginator.page(page)
    except EmptyPage as exc:
        raise NotFoundError(f"Page {page} does not exist.", code="invalid_page", field="page") from exc


def pagination_body(page: Page, **extra) -> dict:
    return {
        "total_items": page.paginator.count,
        "total_pages": page.paginator.num_pages,
        "page_number": page.number,
        "has_next": page.has_next(),
        "has_previous": page.has_previous(),
        **extra,
    }


def page_links(request, page: Page) -> list[dict]:
    """Absolute links to the previous and next pages (the query otherwise kept)."""

    def link(number: int) -> dict:
        query = request.GET.copy()
        query["page"] = str(number)
        return {"page_number": number, "url": request.build_absolute_uri(f"{request.path}?{query.urlencode()}")}

    return [link(n) for n, ok in ((page.number - 1, page.has_previous()), (page.number + 1, page.has_next())) if ok]
