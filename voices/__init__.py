"""The voice catalogue (API_CONTRACT_V1 §3): voices both faces accept, editable in the admin."""
