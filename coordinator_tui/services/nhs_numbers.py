"""The NHS number's modulus 11 check digit, worked out here for the two places that need
it in bulk.

The ``nhs-number`` package (``nhs_number.is_valid``, ``calculate_checksum``) is the
reference, and stays the check wherever a number is checked one at a time (a number
typed: ``services.people.normalise_nhs_number``). In bulk it is too slow: measured on
2026-12-07 (load 2.6), ``is_valid`` took 4.3-4.8 microseconds a number and
``calculate_checksum`` 2.3-3.0, ``check_digit`` here 0.5-0.7 (a loop over the weights
0.8-1.5). The places:

- the demo builder makes the check digits of the 999 test range
  (``demo.seed.demo_nhs_numbers``: a million stems for the ten-times build, timed
  against 90 s; the package's call per stem was 2.5 s of it, issue 23 §4). It calls
  ``check_digit`` 2,000 times, for its tables;
- the coding audit checks every row of a practice's export
  (``services.reports.coding_audit.nhs_number_valid``: 137,800 rows at ten times the
  data, where the whole audit must stay under 2 s and measured 1.86-1.96 s). It writes
  the same sum out in its own body: a call here per row cost about 10 ms more per
  137,800 numbers (process_time medians of four runs of old and new alternated: +0, +9,
  +10, +22 ms at load 3-6), against a margin of 40-140 ms.

``tests/test_nhs_numbers.py`` checks ``check_digit`` and the audit's copy against the
package (the whole 999 range, and any ten digits) and against each other.
"""

from __future__ import annotations


def check_digit(digits: str) -> int:
    """The modulus 11 check digit of the first nine of ``digits`` (ASCII digits, which the
    caller has checked: anything else gives a meaningless number): 0 to 9, or 10 when no
    valid NHS number starts with them.

    11 less the weighted sum's remainder by 11 (10 times the first digit down to 2 times
    the ninth), with 11 written 0: that is minus the sum, modulo 11. So the check digit
    of a sum of parts is the sum of the parts' check digits, modulo 11 (what the demo's
    tables use).

    Written out rather than looped over the weights, which took half as long again or more."""
    d = digits.encode()  # the digits' codes: 48 for "0"; the weights 10..2 sum to 54
    total = (
        10 * d[0] + 9 * d[1] + 8 * d[2] + 7 * d[3] + 6 * d[4] + 5 * d[5] + 4 * d[6]
        + 3 * d[7] + 2 * d[8] - 48 * 54
    )  # fmt: skip
    return -total % 11
