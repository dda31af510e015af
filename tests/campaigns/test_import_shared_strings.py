"""xlsx shared-strings amplification (issue 18 defect 4): a few-MB upload whose
sharedStrings.xml inflates a hundred times passed every check and grew the web
process by the inflated size, for good. It is now a 413 naming the limit, and the
process that handled it stays small (measured in a subprocess of its own)."""

import io
import json
import os
import random
import subprocess
import sys
import zipfile

import pytest

from tests.support import workers
from tests.support.campaign_helpers import rezip, upload, xlsx_bytes
from tests.support.clients import client_for
from tests.support.envelope import assert_error

URL = "/api/system/campaigns"


def amplified_workbook(inflated_mb: int) -> bytes:
    """Two rows whose shared strings part inflates to ``inflated_mb`` MB at about 70:1
    (a real spreadsheet's ratio: under the zip-ratio check)."""
    rnd = random.Random(7)
    # Deflate looks back 32 KB only: a 64 KB block repeated compresses no better than once.
    block = "".join(
        "<si><t>" + "".join("a" * 90 + rnd.choice("bcdefghijk") for _ in range(10)) + "</t></si>" for _ in range(64)
    ).encode()
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    strings = head + b"<si><t>number</t></si><si><t>9841000001</t></si>"
    strings += block * (inflated_mb * 1024 * 1024 // len(block)) + b"</sst>"
    workbook = rezip(xlsx_bytes([["number"], ["9841000001"]]), replace={"xl/sharedStrings.xml": strings})
    assert "xl/sharedStrings.xml" in zipfile.ZipFile(io.BytesIO(workbook)).namelist()
    return workbook


@pytest.mark.django_db
def test_a_workbook_whose_shared_strings_inflate_past_the_limit_is_413_naming_it(auth_client, settings):
    settings.IMPORT_MAX_SHARED_STRINGS_BYTES = 8 * 1024 * 1024
    body = {"name": "Amplified", "services": "SMS", "send_to_number_file": upload("a.xlsx", amplified_workbook(20))}
    response = auth_client.post(URL, body, format="multipart")
    error = assert_error(response, status=413, field="send_to_number_file", code="too_many_strings")
    assert "8 MB" in error["message"] and "IMPORT_MAX_SHARED_STRINGS_BYTES" in error["message"]


@pytest.mark.django_db
def test_shared_strings_under_the_limit_still_import(auth_client):
    body = {"name": "Small", "services": "SMS", "send_to_number_file": upload("s.xlsx", amplified_workbook(1))}
    assert auth_client.post(URL, body, format="multipart").status_code == 201


MEASURE = """
import json, sys
import django
django.setup()
from django.test import Client

def peak_mb():  # VmHWM: this process's peak RSS (ru_maxrss would carry the parent's across exec)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024

client = Client()
client.get("/healthz")  # warm: URLconf, views and middleware imported
before = peak_mb()
with open(sys.argv[1], "rb") as fh:
    response = client.post(
        "/api/system/campaigns",
        {"name": "Amplified", "services": "SMS", "send_to_number_file": fh},
        HTTP_AUTHORIZATION=f"Bearer {sys.argv[2]}",
    )
print(json.dumps({"status": response.status_code, "growth_mb": round(peak_mb() - before, 1)}))
"""


@pytest.mark.django_db(transaction=True)
def test_the_process_handling_the_attack_does_not_grow_by_the_inflated_size(user, tmp_path):
    # 120 MB of shared strings in a ~2 MB upload: the old path held all of it.
    path = tmp_path / "amplified.xlsx"
    path.write_bytes(amplified_workbook(120))
    token = client_for(user)._credentials["HTTP_AUTHORIZATION"].split()[1]
    env = {**os.environ, "DATABASE_URL": workers.test_database_url(), "DJANGO_SETTINGS_MODULE": "tingting.settings"}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), token],
        cwd=workers.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["status"] == 413, measured
    assert measured["growth_mb"] < 40, measured
