"""drf-spectacular hooks."""


def drop_slashless_duplicates(endpoints):
    """Every path is routed with and without its trailing slash; document it once."""
    with_slash = {path for path, *_ in endpoints if path.endswith("/")}
    return [e for e in endpoints if e[0].endswith("/") or e[0] + "/" not in with_slash]
