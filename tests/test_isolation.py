import importlib
import pkgutil

import pytest

import tests
from tests.conftest import client_for, key_client_for
from tests.isolation import OWNED_ROUTES, assert_foreign_is_404

# Every tests/routes_<app>.py registers its owned routes on import.
for module in pkgutil.iter_modules(tests.__path__):
    if module.name.startswith("routes_"):
        importlib.import_module(f"tests.{module.name}")


@pytest.mark.django_db
@pytest.mark.parametrize("route", OWNED_ROUTES, ids=lambda r: r.name)
def test_foreign_object_is_404(route, user, other_user):
    # The Tling face authenticates with an API key of the user, TingTing with a JWT.
    client = key_client_for if route.face == "tling" else client_for
    url, body = route.build(user)
    assert_foreign_is_404(client(other_user), route.method, url, body, face=route.face)
    # The owner still reaches it.
    owner_response = getattr(client(user), route.method.lower())(url, body, format="json")
    assert owner_response.status_code < 400, owner_response.content[:300]
