import pytest

import tests.routes_accounts  # noqa: F401  (registers routes)
from tests.conftest import client_for
from tests.isolation import OWNED_ROUTES, assert_foreign_is_404


@pytest.mark.django_db
@pytest.mark.parametrize("route", OWNED_ROUTES, ids=lambda r: r.name)
def test_foreign_object_is_404(route, user, other_user):
    url, body = route.build(user)
    assert_foreign_is_404(client_for(other_user), route.method, url, body, face=route.face)
    # The owner still reaches it.
    owner_response = getattr(client_for(user), route.method.lower())(url, body, format="json")
    assert owner_response.status_code < 400, owner_response.content[:300]
