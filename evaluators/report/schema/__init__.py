"""The checked-in JSON Schema of the JSON report (a package, so wheels ship it)."""
