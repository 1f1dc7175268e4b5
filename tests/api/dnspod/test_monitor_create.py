"""Monitor.Create: the success shape, a monitor in the Oh Dear API, and every error code
(6-22) reached with the input that causes it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.dnspod.conftest import MONITOR_FORM, DnsPod


def _create(pod: DnsPod, domain_id: Any, record_id: Any, **overrides: Any) -> dict[str, Any]:
    params = {"domain_id": domain_id, "record_id": record_id, **MONITOR_FORM, **overrides}
    return pod.call("Monitor.Create", **{k: v for k, v in params.items() if v is not None})


def test_create_answers_the_seed_shape_and_the_monitor_is_a_lookout_monitor(pod: DnsPod) -> None:
    domain_id, record_id, _ = pod.domain_with_record()
    body = _create(
        pod,
        domain_id,
        record_id,
        bak_ip="45.33.32.7",
        callback_url="https://hooks.example.com/dp",
        callback_key="s3cr3t",
        email_notice="me,share",
        sms_notice="me",
        less_notice="yes",
    )
    assert body["status"]["code"] == "1" and body["status"]["message"] == "Action completed successful"
    monitor = body["monitor"]
    assert isinstance(monitor["monitor_id"], str) and monitor["record_id"] == record_id
    info = pod.call("Monitor.Info", monitor_id=monitor["monitor_id"])["info"]
    assert info["ip"] == info["now_ip"] == "192.0.2.10"
    assert (info["port"], info["monitor_interval"], info["points"]) == ("80", "360", "ctc,cuc,cmc")
    assert info["bak_ip"] == "45.33.32.7" and info["monitor_status"] == "enabled"
    # No probe of the backup yet (failover is not running here).
    assert info["bak_ip_status"] == [{"ip": "45.33.32.7", "status": "Unknown"}]
    token_secret = pod.token.split(",", 1)[1]
    lookout = pod.client.get(
        f"/api/monitors/{info['lookout_monitor_id']}", headers={"Authorization": f"Bearer {token_secret}"}
    )
    assert lookout.status_code == 200 and lookout.json()["url"] == "http://testapi.com:80/"
    assert lookout.json()["team_id"] == pod.team_id
    listed = pod.call("Record.List", domain_id=domain_id)["records"][0]
    assert listed["monitor_status"] == "Ok"


CASES = [
    ("6", {"domain_id": None}),
    ("6", {"domain_id": "999999999"}),
    ("6", {"domain_id": "abc"}),
    ("7", {"record_id": None}),
    ("7", {"record_id": "999999999"}),
    ("8", {"host": ""}),
    ("8", {"host": "bad host!"}),
    ("9", {"port": "0"}),
    ("9", {"port": "65536"}),
    ("9", {"port": "eighty"}),
    ("10", {"monitor_type": "ftp"}),
    ("11", {"monitor_path": "index.html"}),
    ("11", {"monitor_path": "/a b"}),
    ("12", {"monitor_interval": "30"}),
    ("12", {"monitor_interval": "sixty"}),
    ("13", {"points": "mars-1"}),
    ("13", {"points": ""}),
    ("14", {"points": "ctc,cuc,cmc,hk-1"}),
    ("15", {"bak_ip": "999.1.1.1"}),
    ("15", {"bak_ip": "2001:db8::1"}),
    ("15", {"bak_ip": ",".join(f"198.51.100.{n}" for n in range(1, 8))}),
    ("16", {"bak_ip": "backup.example.com"}),
    ("17", {"bak_ip": "169.254.169.254"}),
    ("17", {"bak_ip": "192.0.2.10"}),
    ("17", {"bak_ip": "45.33.32.1,45.33.32.1"}),
    ("17", {"bak_ip": "10.0.0.1"}),
    ("18", {"sms_notice": "everyone"}),
    ("19", {"email_notice": "me,boss"}),
    ("22", {"callback_url": "ftp://example.com/x"}),
    ("22", {"callback_url": "http://169.254.169.254/latest"}),
    ("22", {"callback_url": "http://user:pw@example.com/"}),
]


@pytest.mark.parametrize(("code", "overrides"), CASES, ids=[f"{c}-{'-'.join(o)}" for c, o in CASES])
def test_each_error_code(pod: DnsPod, code: str, overrides: dict[str, Any]) -> None:
    domain_id, record_id, _ = pod.domain_with_record()
    overrides = dict(overrides)
    body = _create(
        pod, overrides.pop("domain_id", domain_id), overrides.pop("record_id", record_id), **overrides
    )
    assert body["status"]["code"] == code, body
    assert set(body) == {"status"}


def test_a_record_that_cannot_be_monitored_is_7(pod: DnsPod) -> None:
    domain_id, record_id, _ = pod.domain_with_record(value="hello", rtype="TXT")
    assert _create(pod, domain_id, record_id)["status"]["code"] == "7"


def test_another_team_s_domain_is_6(pod: DnsPod, other: DnsPod) -> None:
    domain_id, record_id, _ = other.domain_with_record()
    assert _create(pod, domain_id, record_id)["status"]["code"] == "6"


def test_a_second_monitor_on_a_record_is_20_and_the_quota_is_21(pod: DnsPod) -> None:
    domain_id, record_id, _ = pod.domain_with_record()
    assert _create(pod, domain_id, record_id)["status"]["code"] == "1"
    assert _create(pod, domain_id, record_id)["status"]["code"] == "20"
    for n in (2, 3):
        other_record = pod.call(
            "Record.Create",
            domain_id=domain_id,
            sub_domain=f"s{n}",
            record_type="A",
            record_line="default",
            value=f"192.0.2.{n}",
        )["record"]["id"]
        assert _create(pod, domain_id, other_record)["status"]["code"] == "1"
    fourth = pod.call(
        "Record.Create",
        domain_id=domain_id,
        sub_domain="s4",
        record_type="A",
        record_line="default",
        value="192.0.2.4",
    )["record"]["id"]
    body = _create(pod, domain_id, fourth)
    assert body["status"]["code"] == "21"
    assert pod.call("Monitor.Userdesc")["user"] == {"max_count": 3, "use_count": 3}


def test_messages_in_chinese(pod: DnsPod) -> None:
    domain_id, record_id, _ = pod.domain_with_record()
    _create(pod, domain_id, record_id)
    body = _create(pod, domain_id, record_id, lang="cn")
    assert body["status"] == {**body["status"], "code": "20", "message": "此记录已经存在监控"}
