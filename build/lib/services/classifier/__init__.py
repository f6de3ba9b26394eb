"""Classifier: sorts each report into categories so it reaches the right team."""
