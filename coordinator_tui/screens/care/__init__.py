"""Care changes screens (issue 18): medication, reviews, consent, requests, training..."""
