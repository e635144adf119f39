"""Referrals (section 3): the list, the detail screen and the new-referral form. Domain
logic in ``services.referrals``."""
