"""Tenant isolation: another user's object answers 404, never 403, and stays unchanged.

Each app registers its routes with object ids in ``OWNED_ROUTES``;
``tests/test_isolation.py`` runs every entry. A route is a method, a URL built
from an object the owner created, and an optional body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OwnedRoute:
    name: str
    method: str
    # Creates the owner's object(s) and returns (url, body).
    build: Callable[[object], tuple[str, object]]
    face: str = "tingting"
    # How the body is sent: "json", or "multipart" for a body with a file (built afresh per call).
    format: str = "json"


OWNED_ROUTES: list[OwnedRoute] = []


def owned_route(name: str, method: str, *, face: str = "tingting", format: str = "json"):
    def register(build):
        OWNED_ROUTES.append(OwnedRoute(name, method, build, face, format))
        return build

    return register


def assert_foreign_is_404(
    client, method: str, url: str, body=None, *, face: str = "tingting", format: str = "json"
) -> None:
    response = (
        getattr(client, method.lower())(url, body, format=format)
        if body is not None
        else getattr(client, method.lower())(url)
    )
    assert response.status_code == 404, (url, response.content[:300])
    payload = response.json()
    if face == "tingting":
        assert payload["success"] is False and payload["status"] == 404
    elif face == "v1":
        assert set(payload) == {"detail"}, payload
    else:
        assert payload["errors"][0]["status"] == "404"
