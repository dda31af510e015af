import pytest


@pytest.fixture
def chunk_of_5(settings):
    """Runs split into chunks of 5 recipients, so small campaigns have several chunks."""
    settings.RUN_CHUNK_SIZE = 5
