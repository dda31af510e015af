from io import StringIO

import pytest
from django.core.management import call_command

from tling.models import Message


@pytest.mark.django_db(transaction=True)
def test_bench_api_quick_serves_through_gunicorn_and_prints_ratios():
    out = StringIO()
    call_command("bench", "api", "--quick", stdout=out)
    text = out.getvalue()
    assert "tling sorted+filtered" in text and "auth: API key vs JWT" in text and "ratio" in text
    assert not Message.objects.exists()  # cleaned up
