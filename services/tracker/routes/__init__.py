"""Tracker's HTTP routes: the reporter's (`tracking`) and the staff's (`cases`)."""
