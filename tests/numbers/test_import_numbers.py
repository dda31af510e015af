"""Loading the inventory: ``manage.py import_numbers`` and the admin (docs/api/API_CONTRACT.md §4, §9)."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from phonenumbers_app.models import PhoneNumber
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOD = """phone_number,rate,capabilities,sid
9841000000,40,"Voice, SMS",b7142c5ae3b673d944d81c83bda4f5de
+9779851234567,25.00,SMS,
+14155550100,5,"voice, sms, mms, fax",
"""


def import_file(tmp_path, text: str, *args) -> tuple[str, str]:
    path = tmp_path / "numbers.csv"
    path.write_text(text, encoding="utf-8")
    out, err = StringIO(), StringIO()
    try:
        call_command("import_numbers", str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue() + f"ERROR {exc}", err.getvalue()
    return out.getvalue().strip(), err.getvalue()


def test_good_rows_are_added_with_e164_rates_capabilities_and_sids(tmp_path):
    out, err = import_file(tmp_path, GOOD)
    assert out == "Added 3, updated 0, unchanged 0." and err == ""
    rows = {n.phone_number: n for n in PhoneNumber.objects.all()}
    assert set(rows) == {"+9779841000000", "+9779851234567", "+14155550100"}
    first = rows["+9779841000000"]
    assert (first.sid, first.rate, first.capabilities) == (
        "b7142c5ae3b673d944d81c83bda4f5de",
        Decimal(40),
        ("Voice", "SMS"),
    )
    assert rows["+9779851234567"].capabilities == ("SMS",) and len(rows["+9779851234567"].sid) == 32
    assert rows["+14155550100"].capabilities == ("Voice", "SMS", "MMS", "Fax")


def test_existing_numbers_are_updated_not_duplicated_and_keep_sid_and_owner(tmp_path):
    import_file(tmp_path, GOOD)
    owner = UserFactory()
    PhoneNumber.objects.filter(phone_number="+9779851234567").update(owner=owner)
    sid = PhoneNumber.objects.get(phone_number="+9779851234567").sid
    out, _ = import_file(
        tmp_path,
        'phone_number,rate,capabilities\n9851234567,30,"Voice, SMS"\n9841000000,40,"Voice, SMS"\n9801000001,1,Voice\n',
    )
    assert out == "Added 1, updated 1, unchanged 1."
    assert PhoneNumber.objects.count() == 4
    number = PhoneNumber.objects.get(phone_number="+9779851234567")
    assert (number.rate, number.capabilities, number.sid, number.owner) == (Decimal(30), ("Voice", "SMS"), sid, owner)


def test_bad_rows_are_reported_by_row_number_and_the_good_ones_imported(tmp_path):
    import_file(tmp_path, GOOD)
    text = (
        "\n".join(
            [
                "phone_number,rate,capabilities,sid",
                "9801000001,10,Voice,",  # 2 ok
                "12,10,Voice,",  # 3 bad number
                "9801000003,ten,SMS,",  # 4 rate not a number
                "9801000004,1.5,SMS,",  # 5 fractional rate
                "9801000005,-1,SMS,",  # 6 negative rate
                '9801000006,1,"Voice, Pager",',  # 7 unknown capability
                "9801000007,1,,",  # 8 no capability
                "9801000008,1,SMS,xyz",  # 9 malformed sid
                "9801000001,1,SMS,",  # 10 duplicate of row 2
                "9841000000,40,SMS," + "c" * 32,  # 11 contradicts the stored sid
                "9801000011,1,SMS,b7142c5ae3b673d944d81c83bda4f5de",  # 12 sid of another number
                "",  # 13 blank, ignored
                "9801000014,1,SMS,,extra",  # 14 too many cells
                "9801000015,7,SMS,",  # 15 ok
            ]
        )
        + "\n"
    )
    out, err = import_file(tmp_path, text)
    assert out.startswith("Added 2, updated 0, unchanged 0, 11 invalid row(s) skipped.")
    assert "ERROR 11 invalid row(s)" in out and "the valid rows were imported" in out
    lines = err.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [f"row {n}" for n in (3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14)]
    assert "row 3: phone_number: '12'" in err
    assert "row 4: rate: 'ten' is not a number" in err
    assert "row 5: rate: 1.5 is not a whole number of credits" in err
    assert "row 7: capabilities: unknown 'Pager'" in err
    assert "row 8: capabilities: is empty" in err
    assert "row 9: sid: 'xyz' is not 32 hexadecimal characters" in err
    assert "row 10: phone_number: +9779801000001 is already on row 2" in err
    assert "row 11: sid: +9779841000000 already has sid b7142c5ae3b673d944d81c83bda4f5de" in err
    assert "row 12: sid: b7142c5ae3b673d944d81c83bda4f5de is already the sid of +9779841000000" in err
    assert "row 14: expected at most 4 cells, found 5" in err
    assert set(PhoneNumber.objects.values_list("phone_number", flat=True)) == {
        "+9779841000000",
        "+9779851234567",
        "+14155550100",
        "+9779801000001",
        "+9779801000015",
    }
    assert PhoneNumber.objects.get(phone_number="+9779841000000").capabilities == ("Voice", "SMS")


def test_bad_header_and_missing_file_are_clear_errors(tmp_path):
    out, _ = import_file(tmp_path, "number,price,caps\n9801000001,1,SMS\n")
    assert "ERROR The header row must be phone_number,rate,capabilities[,sid]; found number,price,caps." in out
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_numbers", str(tmp_path / "missing.csv"), stdout=StringIO())
    assert not PhoneNumber.objects.exists()


def test_dry_run_writes_nothing(tmp_path):
    out, _ = import_file(tmp_path, GOOD, "--dry-run")
    assert out == "Dry run: Added 3, updated 0, unchanged 0."
    assert not PhoneNumber.objects.exists()


def test_header_with_bom_and_upper_case_is_accepted(tmp_path):
    out, _ = import_file(tmp_path, "\ufeffPhone_Number,Rate,Capabilities\n9801000001,1,SMS\n")
    assert out == "Added 1, updated 0, unchanged 0."


@pytest.mark.parametrize("number_header", ["फोन नम्बर", "मोबाइल", "Phone Number", "number"])
def test_number_column_may_be_named_in_nepali_or_english(tmp_path, number_header):
    """The seed's own sample number (9876565435, outside the listed ranges) is accepted."""
    out, _ = import_file(tmp_path, f'{number_header},Rate,Capabilities\n9876565435,40,"Voice, SMS"\n')
    assert out == "Added 1, updated 0, unchanged 0."
    assert PhoneNumber.objects.get().phone_number == "+9779876565435"


# --- Admin -------------------------------------------------------------------------


def test_admin_csv_import_page_loads_the_inventory(staff_client):
    page = staff_client.get("/admin/phonenumbers_app/phonenumber/")
    assert page.status_code == 200 and b"import-csv/" in page.content
    assert staff_client.get("/admin/phonenumbers_app/phonenumber/import-csv/").status_code == 200
    upload = SimpleUploadedFile("numbers.csv", GOOD.encode(), content_type="text/csv")
    response = staff_client.post("/admin/phonenumbers_app/phonenumber/import-csv/", {"file": upload}, follow=True)
    assert response.status_code == 200
    assert "Added 3, updated 0, unchanged 0." in [str(m) for m in response.context["messages"]]
    assert PhoneNumber.objects.count() == 3


def test_admin_csv_import_shows_bad_rows(staff_client):
    upload = SimpleUploadedFile("numbers.csv", b"phone_number,rate,capabilities\n9801000001,1.5,SMS\n")
    response = staff_client.post("/admin/phonenumbers_app/phonenumber/import-csv/", {"file": upload})
    assert response.status_code == 200
    assert b"row 2: rate: 1.5 is not a whole number of credits" in response.content
    assert not PhoneNumber.objects.exists()
    bad_header = SimpleUploadedFile("numbers.csv", b"a,b\n1,2\n")
    response = staff_client.post("/admin/phonenumbers_app/phonenumber/import-csv/", {"file": bad_header})
    assert b"The header row must be" in response.content


def test_admin_lists_owner_and_filters_by_capability_and_owner(staff_client):
    owner = UserFactory(email="owner@example.com")
    PhoneNumber.objects.create(phone_number="+9779801000001", rate=1, owner=owner, has_sms=False)
    PhoneNumber.objects.create(phone_number="+9779801000002", rate=1, has_voice=False)
    base = "/admin/phonenumbers_app/phonenumber/"
    listing = staff_client.get(base)
    assert b"owner@example.com" in listing.content
    voice = staff_client.get(base + "?has_voice__exact=1")
    assert [n.phone_number for n in voice.context["cl"].result_list] == ["+9779801000001"]
    mine = staff_client.get(base + f"?owner__id__exact={owner.pk}")
    assert [n.phone_number for n in mine.context["cl"].result_list] == ["+9779801000001"]
    on_sale = staff_client.get(base + "?owned=no")
    assert [n.phone_number for n in on_sale.context["cl"].result_list] == ["+9779801000002"]


def test_admin_refuses_a_fractional_rate(staff_client):
    response = staff_client.post(
        "/admin/phonenumbers_app/phonenumber/add/",
        {
            "phone_number": "+9779801000001",
            "sid": "d" * 32,
            "rate": "2.5",
            "has_voice": "on",
            "friendly_name": "",
            "configure_with": "",
        },
    )
    assert response.status_code == 200
    assert "Rate must be a whole number of credits." in str(response.context["adminform"].form.errors)
    assert not PhoneNumber.objects.exists()


def test_admin_release_action_returns_numbers_to_sale(staff_client):
    owner = UserFactory()
    number = PhoneNumber.objects.create(phone_number="+9779801000001", rate=1, owner=owner)
    response = staff_client.post(
        "/admin/phonenumbers_app/phonenumber/",
        {"action": "release_numbers", "_selected_action": [number.pk]},
        follow=True,
    )
    assert response.status_code == 200
    number.refresh_from_db()
    assert number.owner is None
