"""Reports (section 7, issue 15): the list of reports, the coding audit and the sharing
record. Each screen presents and collects; the work is in ``services.reports``."""
