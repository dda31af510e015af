"""Assertions on the two faces' shapes, key by key."""

ENVELOPE_KEYS = ["status", "success", "message", "errors", "data"]


def assert_envelope(response, *, status: int, message=..., body_status: int | None = None) -> dict:
    body = response.json()
    assert response.status_code == status, body
    assert list(body) == ENVELOPE_KEYS, body
    assert body["status"] == (body_status or status)
    assert body["success"] is (status < 400)
    if message is not ...:
        assert body["message"] == message
    if status < 400:
        assert body["errors"] == []
    return body


def assert_error(response, *, status: int, field=..., code: str | None = None) -> dict:
    body = assert_envelope(response, status=status)
    assert body["data"] == {} or status in (400, 402)
    assert body["errors"], body
    for item in body["errors"]:
        assert set(item) == {"field", "code", "message"}
    if field is not ...:
        assert field in [item["field"] for item in body["errors"]], body
    if code is not None:
        assert code in [item["code"] for item in body["errors"]], body
    assert isinstance(body["message"], str) and body["message"]
    return body


def assert_tling_error(response, *, status: int, pointer: str | None = None) -> dict:
    body = response.json()
    assert response.status_code == status, body
    assert list(body) == ["errors"]
    for item in body["errors"]:
        assert item["status"] == str(status)
        assert {"status", "code", "title", "detail"} <= set(item)
    if pointer is not None:
        assert pointer in [item.get("source", {}).get("pointer") for item in body["errors"]], body
    return body
