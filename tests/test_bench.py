from io import StringIO

import pytest
from django.core.management import CommandError, call_command


@pytest.mark.django_db(transaction=True)
def test_bench_quick_prints_ratios():
    out = StringIO()
    call_command("bench", "ledger", "--quick", stdout=out)
    assert "ratio" in out.getvalue()


def test_bench_rejects_unknown_names():
    with pytest.raises(CommandError, match="Unknown benchmark"):
        call_command("bench", "nope")


@pytest.mark.django_db(transaction=True)
def test_bench_import_quick_prints_rates_and_rss():
    out = StringIO()
    call_command("bench", "import", "--quick", stdout=out)
    text = out.getvalue()
    assert "ratio" in text and "peak RSS" in text and "added 19," in text
