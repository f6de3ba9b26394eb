"""The recovery figure's table (bench/faults.py): one row per fault, columns aligned."""

from bench.faults import table
from deploy.local.faults import Tally


def test_the_table_has_a_row_per_fault_with_its_counts():
    printed = table(
        [
            Tally("kill -9 classifier", 60, 60, 60, 0, 0),
            Tally("database down 10 s", 60, 41, 40, 1, 0),
        ]
    ).splitlines()
    assert printed[0].split() == ["fault", "sent", "accepted", "classified", "lost", "doubled"]
    assert set(printed[1]) == {"-", " "}
    assert printed[2].split()[-5:] == ["60", "60", "60", "0", "0"]
    assert printed[3].startswith("database down 10 s")
    assert printed[3].split()[-5:] == ["60", "41", "40", "1", "0"]
    column = printed[0].index("accepted")
    assert printed[2][column:].split()[0] == "60" and printed[3][column:].split()[0] == "41"
