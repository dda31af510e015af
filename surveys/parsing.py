"""The steps of a replace request, from each body clients send (docs/api/API_CONTRACT_V1.md §5).

- JSON ``{"steps": [...]}`` (or ``steps`` as a JSON string);
- multipart or form with ``steps`` as one JSON string;
- the official SDK's form: the whole campaign as fields, with one ``steps`` field
  per step holding ``str(dict)`` — a Python literal such as
  ``"{'id': '…', 'order': 0, 'content_type': 'say', 'audio_file': None}"``.
  It is read with ``ast.literal_eval`` (never ``eval``), bounded in size, and
  anything but a flat dict of plain values is refused. A form without any ``steps``
  field is a survey without steps (the SDK's form when it has none: ``requests``
  leaves an empty list out of a form), so it clears them; a JSON body must name
  ``steps``.

Uploaded audio is keyed by step index (``"0"``, ``"1"``, …); other file fields
are not steps' files and are left alone.
"""

from __future__ import annotations

import ast
import json

from tingting.errors import FieldError, InvalidInputError

MAX_STEP_CHARS = 20_000
PLAIN = (str, int, float, bool, type(None))


def _literal(text: str, index: int):
    """One step as the SDK sends it: JSON, else a Python literal dict of plain values."""
    field = f"steps.{index}"
    if len(text) > MAX_STEP_CHARS:
        raise InvalidInputError(f"{field} is longer than {MAX_STEP_CHARS} characters.", field=field, code="too_long")
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise InvalidInputError(f"{field} is not a step object.", field=field, code="invalid") from None
    if not isinstance(value, dict) or not all(
        isinstance(key, str) and isinstance(item, PLAIN) for key, item in value.items()
    ):
        raise InvalidInputError(f"{field} must be an object of plain values.", field=field, code="invalid")
    return value


def _json_list(text: str):
    try:
        return json.loads(text)
    except ValueError:
        raise InvalidInputError("steps is not valid JSON.", field="steps", code="invalid") from None


def steps_from_request(data, files) -> tuple[list, dict]:
    """(steps as a list of dicts, uploads keyed by step index) from ``request.data`` and
    ``request.FILES``. Raises InvalidInputError naming ``steps`` / ``steps.N``."""
    uploads = {key: files[key] for key in files if key.isdigit()}
    if hasattr(data, "getlist"):  # multipart or form
        values = data.getlist("steps")
        if not values:
            # The SDK's form of a campaign without steps: requests drops the empty list.
            return [], uploads
        if len(values) == 1 and values[0].lstrip().startswith("["):
            steps = _json_list(values[0])
        else:
            steps = [_literal(value, index) for index, value in enumerate(values)]
        return steps, uploads
    if not isinstance(data, dict) or "steps" not in data:
        raise InvalidInputError("steps is required.", errors=[FieldError("steps", "required", "steps is required.")])
    steps = data["steps"]
    if isinstance(steps, str):
        steps = _json_list(steps)
    return steps, uploads
