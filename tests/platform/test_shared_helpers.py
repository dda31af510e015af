import pytest

from tingting.errors import InvalidInputError
from tingting.phones import (
    InvalidPhoneNumber,
    national_display,
    parse_many,
    split_country_code,
    to_e164,
)
from tingting.segments import segment_info, sms_credits


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # escapes count twice: 160 septets
        ("€" * 81, "GSM-7", 2),
        ("a" * 152 + "€", "GSM-7", 1),
        ("a" * 159 + "€", "GSM-7", 2),  # 161 septets; the pair is not split
        ("न" * 70, "UCS-2", 1),
        ("न" * 71, "UCS-2", 2),
        ("न" * 134, "UCS-2", 2),
        ("न" * 135, "UCS-2", 3),
        ("😀" * 35, "UCS-2", 1),  # surrogate pairs: 70 units
        ("😀" * 36, "UCS-2", 2),
    ],
)
def test_segments(text, encoding, segments):
    info = segment_info(text)
    assert (info.encoding, info.segments) == (encoding, segments)


def test_sms_credits_multiply_segments_recipients_rate():
    assert sms_credits("न" * 71, recipients=3, rate=2) == 12


def test_phone_parsing_and_display(settings):
    settings.DEFAULT_PHONE_REGION = "NP"
    assert to_e164("9843818700") == "+9779843818700"
    assert to_e164(9843818700) == "+9779843818700"
    assert to_e164("+351911111111") == "+351911111111"
    assert national_display("+9779843818700") == "9843818700"
    assert national_display("+351911111111") == "351911111111"
    assert split_country_code("+351911111111") == ("+351", "911111111")
    for bad in ["", "abc", "123", True, None, 12.5, "9" * 40]:
        with pytest.raises(InvalidPhoneNumber):
            to_e164(bad)


def test_parse_many_names_each_bad_index():
    with pytest.raises(InvalidInputError) as caught:
        parse_many(["9843818700", "nope", "+351911111111", "1"], field="individual_number")
    assert [e.field for e in caught.value.errors] == ["individual_number.1", "individual_number.3"]


@pytest.mark.django_db
def test_sqlrows_reads_back_every_value_exactly():
    """Batch statements pass rows as one JSON parameter: text with quotes,
    backslashes, newlines and Devanagari, nulls, booleans and big integers come
    back unchanged, in order, with an SQL keyword as a column name."""
    from django.db import connection

    from tingting.sqlrows import ids_param, rows_param, rows_table

    if connection.vendor != "postgresql":
        pytest.fail("these statements run on PostgreSQL")
    rows = [(1, 'say "hi"\\n', True, None), (2**40, "नमस्ते\nदुनिया", False, 7), (3, "", None, 0)]
    columns = [("id", "bigint"), ("to", "text"), ("flag", "boolean"), ("n", "integer")]
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT v.id, v."to", v.flag, v.n FROM {rows_table(columns)}', [rows_param(rows)])  # noqa: S608 - our names only
        assert cursor.fetchall() == rows
        cursor.execute(
            "SELECT array_length(%s::bigint[], 1), (%s::bigint[])[2]", [ids_param([5, 2**40]), ids_param([5, 2**40])]
        )
        assert cursor.fetchone() == (2, 2**40)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("12x", "is not a phone number"),
        ("+999123456789", "has no known country code"),
        ("+9771", "is too short"),
        ("98", "is too short"),
    ],
)
def test_invalid_numbers_name_the_reason_in_plain_words(value, reason):
    with pytest.raises(InvalidPhoneNumber) as caught:
        to_e164(value)
    assert str(caught.value) == reason
    with pytest.raises(InvalidInputError) as listed:
        parse_many([value], field="individual_number")
    assert listed.value.errors[0].message == f"{value!r} {reason}."
