"""``python -m coordinator_tui``: the same entry point as the console script."""

from coordinator_tui.launch import main

if __name__ == "__main__":
    main()
