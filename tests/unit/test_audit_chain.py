from services.audit.domain import GENESIS_HASH, ChainVerifier, chain_entry
from services.common.events import utcnow


def build_chain(length: int) -> list[dict]:
    entries, previous = [], GENESIS_HASH
    for position in range(1, length + 1):
        record = {"topic": "t", "event": {"id": f"e{position}", "data": {"n": position}}}
        entry = chain_entry(position, previous, record, utcnow())
        entries.append(entry)
        previous = entry["hash"]
    return entries


def verify(entries: list[dict]):
    verifier = ChainVerifier()
    for entry in entries:
        verifier.feed(entry)
    return verifier.report()


def test_an_untouched_chain_verifies():
    entries = build_chain(5)
    report = verify(entries)
    assert report.intact and report.entries == 5
    assert report.head_hash == entries[-1]["hash"]


def test_an_empty_log_is_intact():
    assert verify([]).intact


def test_a_changed_entry_is_found_at_its_position():
    entries = build_chain(6)
    entries[3]["record"]["event"]["data"]["n"] = 99
    report = verify(entries)
    assert not report.intact and report.first_broken_position == 4


def test_a_rehashed_forgery_breaks_the_next_link():
    entries = build_chain(6)
    forged = chain_entry(3, entries[1]["hash"], {"topic": "t", "event": {"id": "x"}}, utcnow())
    entries[2] = forged
    report = verify(entries)
    assert not report.intact and report.first_broken_position == 4


def test_a_removed_entry_is_found():
    entries = build_chain(5)
    del entries[1]
    report = verify(entries)
    assert not report.intact and report.first_broken_position == 2
