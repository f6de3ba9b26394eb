"""Each disclosure rule of the industry information section (insights/disclosure.py)."""

from __future__ import annotations

from services.classifier.insights.disclosure import Count, change, protect, share, too_small

K = 5


def test_a_count_under_k_is_hidden_and_zero_or_k_is_shown() -> None:
    assert too_small(Count(4), K)
    assert too_small(Count(1), K)
    assert not too_small(Count(0), K)
    assert not too_small(Count(5), K)


def test_k_is_configurable() -> None:
    assert too_small(Count(7), 10)
    assert not too_small(Count(7), 3)


def test_a_period_holding_a_small_month_is_hidden_so_two_periods_cannot_be_subtracted() -> None:
    # Jan–Mar = 23 and Jan–Feb = 20 would give March = 3 away.
    assert too_small(Count.of([10, 10, 3]), K)
    assert not too_small(Count.of([10, 10]), K)
    assert not too_small(Count.of([10, 0, 7]), K)


def test_without_a_total_only_small_cells_are_hidden() -> None:
    done = protect([Count(3), Count(40), Count(9)], K)
    assert done.hidden == (True, False, False)
    assert not done.total_hidden


def test_one_hidden_cell_beside_a_total_hides_the_next_smallest_too() -> None:
    cells = [Count(3), Count(40), Count(9), Count(12)]
    done = protect(cells, K, Count(64))
    assert done.hidden == (True, False, True, False)
    shown_sum = sum(c.total for c, h in zip(cells, done.hidden, strict=True) if not h)
    assert 64 - shown_sum == 12  # what subtraction yields is two cells together, not the 3


def test_two_hidden_cells_need_no_more() -> None:
    done = protect([Count(3), Count(2), Count(40)], K, Count(45))
    assert done.hidden == (True, True, False)


def test_a_small_remainder_of_the_total_is_protected_like_a_cell() -> None:
    # 50 reports in a province, cities known for 47: the 3 without a city must not show.
    done = protect([Count(30), Count(17)], K, Count(50))
    assert done.hidden == (False, True)


def test_a_large_remainder_protects_a_hidden_cell_by_itself() -> None:
    done = protect([Count(3), Count(30)], K, Count(60))
    assert done.hidden == (True, False)


def test_an_unknown_remainder_protects_the_one_hidden_cell() -> None:
    # 8 in all, 3 in one province, none in another: 8 - 0 gives 3 + the 5 no row shows.
    done = protect([Count(3), Count(0)], K, Count(8))
    assert done.hidden == (True, False)
    assert not done.total_hidden


def test_a_small_total_is_hidden_and_needs_no_secondary_cell() -> None:
    done = protect([Count(3), Count(1)], K, Count(4))
    assert done.total_hidden
    assert done.hidden == (True, True)


def test_zero_cells_are_never_chosen_to_protect_another() -> None:
    done = protect([Count(2), Count(0), Count(0), Count(20)], K, Count(22))
    assert done.hidden == (True, False, False, True)


def test_a_share_shows_only_when_its_count_and_complement_are_shown() -> None:
    assert share(Count(10), Count(40), K) == 0.25
    assert share(Count(3), Count(40), K) is None  # 3 officials
    assert share(Count(37), Count(40), K) is None  # 3 without officials
    assert share(Count(0), Count(40), K) == 0.0
    assert share(Count(10), Count(40), K, whole_hidden=True) is None
    assert share(Count(2), Count(4), K) is None


def test_a_change_needs_both_periods_shown() -> None:
    assert change(30, 20) == 0.5
    assert change(None, 20) is None
    assert change(30, None) is None
    assert change(30, 0) is None
