"""Paging and the import report shared by the campaign and recipient lists."""

from __future__ import annotations

from django.core.paginator import EmptyPage, Paginator

from tingting.api.errors import NotFoundError

MAX_PAGE_SIZE = 100


def import_report_of(campaign) -> dict | None:
    return campaign.import_report if campaign.import_state != campaign.ImportState.NONE else None


def get_page(paginator: Paginator, number: int):
    try:
        return paginator.page(number)
    except EmptyPage as exc:
        raise NotFoundError(f"Page {number} does not exist.", code="invalid_page", field="page") from exc


def page_link(request, number: int) -> dict:
    query = request.GET.copy()
    query["page"] = str(number)
    return {"page_number": number, "url": request.build_absolute_uri(f"{request.path}?{query.urlencode()}")}


def pagination_of(page) -> dict:
    return {
        "total_items": page.paginator.count,
        "total_pages": page.paginator.num_pages,
        "page_number": page.number,
        "has_next": page.has_next(),
        "has_previous": page.has_previous(),
    }
