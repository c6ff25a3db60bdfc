"""The HTML report's template and stylesheet (a package, so wheels ship them)."""
