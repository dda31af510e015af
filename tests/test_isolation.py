import importlib
import pkgutil

import pytest

import tests
from tests.conftest import client_for
from tests.isolation import OWNED_ROUTES, assert_foreign_is_404

# Every tests/routes_<app>.py registers its owned routes on import.
for module in pkgutil.iter_modules(tests.__path__):
    if module.name.startswith("routes_"):
        importlib.import_module(f"tests.{module.name}")


@pytest.mark.django_db
@pytest.mark.parametrize("route", OWNED_ROUTES, ids=lambda r: r.name)
def test_foreign_object_is_404(route, user, other_user):
    url, body = route.build(user)
    assert_foreign_is_404(client_for(other_user), route.method, url, body, face=route.face)
    # The owner still reaches it.
    owner_response = getattr(client_for(user), route.method.lower())(url, body, format="json")
    assert owner_response.status_code < 400, owner_response.content[:300]
