import pytest

from omniretail.platform.keys import idempotency_key, normalize_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("POS", "pos"), ("  pos ", "pos"), ("Ａ１２３", "a123"), ("ab  C\t1", "ab c 1")],
)
def test_normalize_key_folds_case_width_and_space(raw: str, expected: str) -> None:
    assert normalize_key(raw) == expected


def test_idempotency_key_joins_normalised_parts() -> None:
    assert idempotency_key("POS ", " Order-7a") == idempotency_key("pos", "ORDER-7A")
    assert idempotency_key("pos", "1") != idempotency_key("pos", "2")


def test_idempotency_key_needs_a_part() -> None:
    with pytest.raises(ValueError, match="at least one part"):
        idempotency_key()
