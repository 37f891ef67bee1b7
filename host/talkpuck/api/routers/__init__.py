"""routers — one module per API resource."""
