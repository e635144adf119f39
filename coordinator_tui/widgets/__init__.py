"""Reusable widgets: navigation bar, date input, and (later) lazy tables and pickers."""
