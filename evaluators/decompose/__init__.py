"""Module 2: semantic and structural decomposition of the evidence into practices."""
