"""Unit tests of score fusion (evaluators/fusion): known answers, no engine runs."""
