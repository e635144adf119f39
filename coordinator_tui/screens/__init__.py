"""One module per screen, each with its sibling .tcss; they present and collect, nothing more."""
