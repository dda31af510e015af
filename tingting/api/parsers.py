"""The one JSON parser of every face.

DRF's parser turns a ``ValueError`` into a 400 but lets the ``RecursionError`` of a
body nested ~1,000 levels deep escape as a 500 (on every JSON endpoint, login and the
delivery webhooks included). Python's own recursion limit is the depth limit here: no
legitimate request nests anywhere near it.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the body is nested too deeply.") from exc
