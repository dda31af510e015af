"""The attempt's reference and ledger keys have one home (campaigns.models.run): what
providers, reports, answers and the ledger see of an attempt is written and read there."""

import pytest

from campaigns.models.run import attempt_ledger_key, attempt_reference, attempt_reference_parse, run_ledger_key


@pytest.mark.parametrize(("attempt_id", "retries", "text"), [(12, 0, "attempt:12"), (12, 2, "attempt:12:2")])
def test_a_reference_reads_back_as_the_attempt_and_its_retry(attempt_id, retries, text):
    assert attempt_reference(attempt_id, retries) == text
    assert attempt_reference_parse(text) == (attempt_id, retries)


@pytest.mark.parametrize("text", ["tmsg:12", "otp:7", "attempt:", "attempt:x", "attempt:12:x", "attempt:-1", "12"])
def test_other_references_are_not_attempts(text):
    assert attempt_reference_parse(text) is None


def test_ledger_keys_name_the_attempt_or_the_run_and_the_movement():
    assert attempt_ledger_key(12, "charge") == "attempt:12:charge"
    assert run_ledger_key(3, "chunk:0:release:12") == "run:3:chunk:0:release:12"
