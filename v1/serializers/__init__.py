"""v1 request and response shapes (docs/api/API_CONTRACT_V1.md)."""
