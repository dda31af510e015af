"""v1 request and response shapes (API_CONTRACT_V1)."""
