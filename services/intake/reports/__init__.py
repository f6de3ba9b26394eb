"""A report: what it is, accepting it, storing it, and reading it for staff."""
