"""Governance (section 6): incidents, the Duty of Candour, complaints, compliments."""
