"""The TingTing v1 face (``/api/v1/``, docs/api/API_CONTRACT_V1.md): today's TingTing clients on the same core."""
