"""Coordinator TUI: a keyboard-driven terminal app for UK care coordinators.

Kept import-light on purpose: ``coordinator-tui --help`` and the headless commands must
not pay for Textual (or SQLModel) before they need it.
"""

__version__ = "0.1.0"
