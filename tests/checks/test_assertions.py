import pytest

from lookout.checks.uptime.assertions import status_matches


@pytest.mark.parametrize(
    ("status", "pattern", "matches"),
    [
        (200, "2*", True),
        (204, "2*", True),
        (301, "2*", False),
        (301, "301", True),
        (302, "301", False),
        (302, "30*", True),
        (310, "30*", False),
        (200, "20", False),
        (500, "5**", True),
    ],
)
def test_status_patterns(status: int, pattern: str, matches: bool) -> None:
    assert status_matches(status, pattern) is matches
