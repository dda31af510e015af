"""Content negotiation that never answers 406 where the contract names an answer.

docs/api/API_CONTRACT.md §9: ``*/*``, no ``Accept`` and ``application/json`` get JSON; an
``Accept`` the renderers cannot satisfy falls back to JSON instead of a 406.
Views that serve other media (test voice audio) decide that themselves.
"""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class LenientContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            renderer = renderers[0]
            return renderer, renderer.media_type
