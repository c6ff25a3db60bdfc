"""Credit scoring: probability of default for loan applications."""
