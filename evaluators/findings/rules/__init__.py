"""Finding rules, one module per family (ML code, CI, containers and manifests)."""
