"""Reference data shipped inside the package as ``coordinator_tui.refdata``."""
