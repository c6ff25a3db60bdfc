"""Report renderers: text, JSON, Markdown (and later SARIF, HTML)."""
