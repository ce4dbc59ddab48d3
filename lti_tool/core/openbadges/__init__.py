"""Open Badges 3.0 and 2.0 documents: compose, sign, verify, status lists."""
