from __future__ import annotations

from omniretail.marketing.coupon import codes


def test_codes_are_unique_and_well_formed() -> None:
    made = {codes.new_code() for _ in range(5000)}
    assert len(made) == 5000
    assert all(codes.is_well_formed(c) for c in made)
    assert all(not set(c.replace("-", "")) & set("01OIL") for c in made)


def test_check_character_catches_every_single_typo_and_neighbour_swap() -> None:
    for _ in range(50):
        code = codes.new_code()
        chars = list(code)
        for i, ch in enumerate(chars):
            if ch == "-":
                continue
            for other in codes.ALPHABET:
                if other != ch:
                    typo = chars.copy()
                    typo[i] = other
                    assert not codes.is_well_formed("".join(typo))
        body = [i for i, ch in enumerate(chars) if ch != "-"]
        for a, b in zip(body, body[1:], strict=False):
            if chars[a] != chars[b]:
                swapped = chars.copy()
                swapped[a], swapped[b] = swapped[b], swapped[a]
                assert not codes.is_well_formed("".join(swapped))


def test_normalize_accepts_what_customers_type() -> None:
    code = codes.new_code()
    assert codes.is_well_formed(codes.normalize(" " + code.lower() + " "))
    assert not codes.is_well_formed("HELLO")
    assert not codes.is_well_formed("")
