"""kb's HTTP API (installed as `kb_api`). The FastAPI application arrives with the API issue."""
