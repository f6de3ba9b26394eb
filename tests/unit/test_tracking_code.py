import re

from services.common import tracking_code


def test_a_new_code_is_grouped_readable_and_carries_100_random_bits():
    code = tracking_code.generate()
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{3}-){6}[0-9A-HJKMNP-TV-Z]{3}", code)
    assert tracking_code.RANDOM_SYMBOLS * 5 >= 100
    assert tracking_code.normalize(code) == code.replace("-", "")


def test_codes_do_not_repeat():
    codes = {tracking_code.generate() for _ in range(20_000)}
    assert len(codes) == 20_000


def test_case_spaces_hyphens_and_lookalike_letters_do_not_matter():
    code = tracking_code.generate()
    compact = code.replace("-", "")
    typed = " ".join(compact.lower()[i : i + 4] for i in range(0, len(compact), 4))
    assert tracking_code.normalize(typed) == compact
    with_lookalikes = compact.replace("0", "O").replace("1", "l")
    assert tracking_code.normalize(with_lookalikes) == compact


def test_every_single_mistyped_symbol_is_caught_before_lookup():
    for _ in range(50):
        compact = tracking_code.generate().replace("-", "")
        for position in range(len(compact)):
            for symbol in tracking_code.ALPHABET:
                if symbol == compact[position]:
                    continue
                typo = compact[:position] + symbol + compact[position + 1 :]
                assert tracking_code.normalize(typo) is None


def test_most_swapped_neighbours_are_caught():
    caught = total = 0
    for _ in range(200):
        compact = tracking_code.generate().replace("-", "")
        for i in range(len(compact) - 1):
            if compact[i] == compact[i + 1]:
                continue
            swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :]
            total += 1
            caught += tracking_code.normalize(swapped) is None
    assert caught / total > 0.95


def test_wrong_length_and_foreign_symbols_are_not_codes():
    compact = tracking_code.generate().replace("-", "")
    assert tracking_code.normalize(compact[:-1]) is None
    assert tracking_code.normalize(compact + "0") is None
    assert tracking_code.normalize("U" + compact[1:]) is None
    assert tracking_code.normalize("") is None


def test_the_lookup_hash_depends_on_the_server_secret():
    compact = tracking_code.normalize(tracking_code.generate())
    assert compact is not None
    first = tracking_code.lookup_hash(compact, b"secret-one")
    assert first == tracking_code.lookup_hash(compact, b"secret-one")
    assert first != tracking_code.lookup_hash(compact, b"secret-two")
    assert compact not in first
