"""Domain logic as plain functions over a session. No Textual imports here, ever."""
