"""Tracker: each case's life, and the reporter's view of it through the tracking code."""
