"""drf-spectacular hooks."""


def drop_slashless_duplicates(endpoints):
    """Every path is routed with and without its trailing slash; document it once."""
    with_slash = {path for path, *_ in endpoints if path.endswith("/")}
    return [e for e in endpoints if e[0].endswith("/") or e[0] + "/" not in with_slash]


_BODY_ERRORS = {
    "413": "The request body is too large.",
    "415": "Unsupported or unparseable body media type (e.g. a malformed multipart body).",
}


# Faces whose errors are not the TingTing envelope: path prefix → error component.
FACE_ERROR_REFS = {"/api/v0/": "TlingErrors", "/api/v1/": "V1Error"}
# Seed-envelope paths inside such a face (the v1 OTP endpoints keep the envelope).
ENVELOPE_PATHS = ("/api/v1/auths/send/otp", "/api/v1/auths/list/send-otps", "/api/v1/auths/verify/otp")


def _error_ref(path: str) -> str:
    if path.startswith(ENVELOPE_PATHS):
        return "ErrorEnvelope"
    return next((ref for prefix, ref in FACE_ERROR_REFS.items() if path.startswith(prefix)), "ErrorEnvelope")


def document_body_errors(result, generator, request, public):
    """Every operation with a request body can answer 413 and 415, in its face's error
    shape (the parsers raise them before the view runs). Found by schema fuzzing: a
    malformed multipart body gave an undocumented 415."""
    for path, operations in result.get("paths", {}).items():
        error_ref = _error_ref(path)
        for operation in operations.values():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            responses = operation.setdefault("responses", {})
            for code, text in _BODY_ERRORS.items():
                responses.setdefault(
                    code,
                    {
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{error_ref}"}}},
                        "description": text,
                    },
                )
    return result
