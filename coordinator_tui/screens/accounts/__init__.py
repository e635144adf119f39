"""Signing in, the lock and blank screens, the step-up prompt and the users screen
(issue 17). They present and collect; ``services.accounts`` decides."""
