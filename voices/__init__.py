"""The voice catalogue (docs/api/API_CONTRACT_V1.md §3): voices both faces accept, editable in the admin."""
