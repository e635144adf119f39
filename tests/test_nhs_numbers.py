"""``services.nhs_numbers.check_digit`` (the modulus 11 check digit the demo builder
works out for speed) and the coding audit's copy of its sum (``nhs_number_valid``,
written out there for speed) answer as the ``nhs-number`` package does, and as each
other."""

from __future__ import annotations

import nhs_number
from hypothesis import example, given
from hypothesis import strategies as st

from coordinator_tui.demo.seed import DEMO_NHS_SERIALS, demo_nhs_numbers
from coordinator_tui.services.nhs_numbers import check_digit
from coordinator_tui.services.reports.coding_audit import nhs_number_valid

LAST_CHI = "3112999999"  # up to here the package also checks a date of birth


def _packages(stem: str) -> int:
    """The package's check digit of nine digits: 0 to 9, or 10 (none valid)."""
    check = nhs_number.calculate_checksum(stem)
    assert check is not None and 0 <= check <= 10  # the package maps 11 to 0 itself
    return check


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
@example("0000000000")  # a sum of 0: 11, which is 0
@example("9999999999")
@example("9990000000")  # 999 000 000: check digit 10, no valid number
@example("9990000050")  # 999 000 005: a sum that is a multiple of 11, check digit 0
def test_ten_digits_check_digit_and_validity_are_the_packages(digits):
    assert check_digit(digits) == _packages(digits[:9])
    if digits > LAST_CHI:
        assert (check_digit(digits) == int(digits[9])) == nhs_number.is_valid(digits)


@given(st.integers(3_113_000_000, 9_999_999_999).map(str))  # after the Scottish range
@example("3113000006")
@example("9990000000")
@example("9990000050")
def test_the_audits_copy_is_check_digit(digits):
    assert nhs_number_valid(digits) == (check_digit(digits) == int(digits[9]))


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_nine_digits_check_digit_is_the_packages(stem):
    assert check_digit(stem) == _packages(stem)


def test_the_whole_999_range_is_the_packages():
    """Every stem of the test range the demo draws from (about 4 s, most of it the
    package's): 90,909 have no valid number (check digit 10), as many have check digit 0
    (a sum that is a multiple of 11)."""
    stems = [f"999{serial:06d}" for serial in DEMO_NHS_SERIALS]
    ours = [check_digit(stem) for stem in stems]
    packages = [nhs_number.calculate_checksum(stem) for stem in stems]
    assert ours == packages  # a list's difference is only looked at if they differ
    assert ours.count(10) == ours.count(0) == 90_909


def test_the_range_edges():
    """Check digit 10: no valid number, whatever the tenth digit; 11 is written 0."""
    assert check_digit("999000000") == 10
    assert not any(nhs_number.is_valid(f"999000000{d}") for d in range(10))
    assert not any(nhs_number_valid(f"999000000{d}") for d in range(10))
    assert check_digit("999000005") == 0
    assert nhs_number.is_valid("9990000050") and nhs_number_valid("9990000050")
    assert not nhs_number_valid("9990000051")
    assert check_digit("999999993") == 10  # the last stem of the range with none
    numbers = demo_nhs_numbers(909_091)
    assert "9990000000" not in numbers and "9990000050" in numbers
    assert numbers[0] == "9990000018" and numbers[-1] == "9999999999"  # 999 999 999: 9
    assert all(nhs_number_valid(number) for number in numbers[::101])
