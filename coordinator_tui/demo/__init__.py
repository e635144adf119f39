"""Synthetic demo data (no real person: NHS numbers from the 999 test range, names from
Faker): ``seed`` builds the registers, referrals and meetings and calls ``rota`` for the
homecare side; ``governance`` and ``coding`` add their sections' data. Kept out of
``services`` because it is not domain logic: the CLI's ``seed-demo``/``demo`` and the
benchmarks use it."""
