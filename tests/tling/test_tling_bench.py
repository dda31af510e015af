from io import StringIO

import pytest
from django.core.management import call_command

from campaigns.models import Campaign
from tling.models import Message


@pytest.mark.django_db(transaction=True)
def test_bench_api_quick_serves_through_gunicorn_and_prints_ratios():
    out = StringIO()
    call_command("bench", "api", "--quick", stdout=out)
    text = out.getvalue()
    assert "tling sorted+filtered" in text and "auth: API key vs JWT" in text and "ratio" in text
    assert "v1 campaign list" in text and "v1 campaign-detail" in text  # the v1 face's variants (issue 22)
    assert not Message.objects.exists() and not Campaign.objects.exists()  # cleaned up
