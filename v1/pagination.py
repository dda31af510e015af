"""The v1 list page: ``{"count", "total_pages", "next", "previous", "results"}`` with
``limit`` (default 10, max 100) and ``offset`` (docs/api/API_CONTRACT_V1.md §1)."""

from __future__ import annotations

import math

from rest_framework.pagination import LimitOffsetPagination


class V1Pagination(LimitOffsetPagination):
    default_limit = 10
    max_limit = 100

    def get_offset(self, request) -> int:
        # Some clients page with ?page=N (a page of ``limit``) instead of ``offset``.
        if self.offset_query_param not in request.query_params and "page" in request.query_params:
            page = request.query_params["page"]
            if page.isdigit() and 0 < len(page) < 10 and int(page) > 0:
                return (int(page) - 1) * self.get_limit(request)
        return super().get_offset(request)

    def page_body(self, results: list, **extra) -> dict:
        """The page around already-serialised ``results``; ``extra`` keys follow them."""
        return {
            "count": self.count,
            "total_pages": math.ceil(self.count / self.limit) if self.limit else 0,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": results,
            **extra,
        }


def paginate(request, queryset, view=None) -> tuple[V1Pagination, list]:
    """A page of ``queryset`` for ``request``: the paginator and the rows. An offset past
    the end is an empty page without a query on the rows (no OFFSET overflow)."""
    paginator = V1Pagination()
    rows = paginator.paginate_queryset(queryset, request, view=view)
    return paginator, list(rows)
