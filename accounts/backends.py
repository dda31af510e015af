from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Email login, case-insensitive. ModelBackend already runs the password
    hasher for unknown emails, so both failures take similar time."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        return super().authenticate(request, username=email or username, password=password, **kwargs)
