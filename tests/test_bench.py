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
def test_dispatch_bench_quick_prints_its_three_figures(purge_broker):
    out = StringIO()
    call_command("bench", "dispatch", "--quick", stdout=out)
    text = out.getvalue()
    assert "(a) no-op tasks" in text and "(b) 500 recipients" in text and "ratio" in text
