"""One savepoint per hypothesis example inside a django_db test.

Hypothesis runs many examples in one test, so each example's rows are rolled back at
its end. The entry services open ``transaction.atomic(durable=True)``, which refuses to
nest in any block but the test case's own; this savepoint is flagged as the test case
flags its blocks (Django's ``TestCase`` sets the same attribute), so the services run
exactly as they do under the test's transaction.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import transaction


@contextmanager
def example_savepoint():
    block = transaction.atomic()
    block._from_testcase = True
    with block:
        yield
        transaction.set_rollback(True)
