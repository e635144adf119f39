"""``python -m coordinator_tui`` runs the same typer app as the console script."""

from coordinator_tui.cli import main

if __name__ == "__main__":
    main()
