import importlib
import pkgutil

import pytest
from django.apps import apps
from django.core import serializers
from django.urls import URLPattern, URLResolver, get_resolver, resolve

import tests.support
from tests.support.clients import client_for, key_client_for
from tests.support.factories import UserFactory
from tests.support.isolation import OWNED_ROUTES, assert_foreign_is_404

# Every tests/support/routes_<app>.py registers its owned routes on import.
for module in pkgutil.iter_modules(tests.support.__path__):
    if module.name.startswith("routes_"):
        importlib.import_module(f"tests.support.{module.name}")

# The owner's data: every row of the project's apps, compared before and after the
# foreign attempt. Rows a foreign request may legitimately touch are left out:
# the caller's own API key (its last-used time) is bookkeeping of B, not A's data.
SNAPSHOT_APPS = ("accounts", "campaigns", "phonenumbers_app", "otp", "tling", "tingting", "surveys")
SNAPSHOT_SKIP = {"accounts.apikey"}
OBJECT_ID_CONVERTERS = ("<int:", "<uuid:", "<str:")
METHODS = ("get", "post", "put", "patch", "delete")


def _snapshot() -> dict[str, str]:
    out = {}
    for label in SNAPSHOT_APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.label_lower in SNAPSHOT_SKIP:
                continue
            out[model._meta.label_lower] = serializers.serialize("json", model.objects.order_by("pk"))
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("route", OWNED_ROUTES, ids=lambda r: r.name)
def test_foreign_object_is_404(route, user, other_user):
    # The Tling face authenticates with an API key of the user, TingTing with a JWT.
    client = key_client_for if route.face == "tling" else client_for
    url, body = route.build(user)
    foreign = client(other_user)
    before = _snapshot()
    assert_foreign_is_404(foreign, route.method, url, body, face=route.face, format=route.format)
    after = _snapshot()
    changed = [table for table in before if before[table] != after[table]]
    assert not changed, f"{route.name}: B's attempt changed {changed}"
    # The owner still reaches it (a file body is read once: build it again).
    if route.format == "multipart":
        url, body = route.build(user)
    owner_response = getattr(client(user), route.method.lower())(url, body, format=route.format)
    assert owner_response.status_code < 400, owner_response.content[:300]


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _view_methods(pattern: URLPattern) -> set[str]:
    view = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
    if view is None:
        return set()
    return {m.upper() for m in METHODS if hasattr(view, m)}


def _normal(route: str) -> str:
    return route.rstrip("/")


@pytest.mark.django_db
def test_every_route_with_an_object_id_has_an_isolation_entry():
    """Walks the URL conf: every /api/ route with an object id in its path, for every
    method its view allows, must be covered by an OWNED_ROUTES entry (matched by
    resolving the entry's URL). A new route without an entry fails here."""
    needed = {
        (_normal(route), method)
        for route, pattern in _walk(get_resolver().url_patterns)
        if route.startswith("api/") and any(c in route for c in OBJECT_ID_CONVERTERS)
        for method in _view_methods(pattern)
    }
    covered = set()
    for entry in OWNED_ROUTES:
        url, _ = entry.build(UserFactory(credits=1000))  # builders assume a fresh owner
        match = resolve(url.split("?", 1)[0])
        covered.add((_normal(match.route), entry.method))
    missing = sorted(needed - covered)
    assert not missing, f"routes with an object id and no entry in tests/support/routes_<app>.py: {missing}"
    assert len(needed) >= 20  # the walk found the routes (guards against a silent empty walk)
