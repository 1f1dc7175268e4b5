"""The envelope, the common codes and login, as any DNSPod client sees them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.dnspod.conftest import DnsPod


def test_version_answers_in_the_envelope(pod: DnsPod) -> None:
    body = pod.call("Info.Version")
    assert body["status"]["code"] == "1" and body["status"]["message"] == "4.6"
    assert len(body["status"]["created_at"]) == 19


def test_get_is_code_2_and_unknown_actions_are_refused(pod: DnsPod, dnspod_client: TestClient) -> None:
    response = dnspod_client.get("/Monitor.List", params={"format": "json"})
    assert response.status_code == 200 and response.json()["status"]["code"] == "2"
    unknown = dnspod_client.post("/dnspod/Nope.Nothing", data={"login_token": pod.token, "format": "json"})
    assert unknown.status_code == 200 and unknown.json()["status"]["code"] == "-7"


def test_bad_tokens_are_code_minus_1_never_a_401(dnspod_client: TestClient, pod: DnsPod) -> None:
    token_id, _, secret = pod.token.partition(",")
    for token in ("", "garbage", f"{token_id},wrong", f"{int(token_id) + 1},{secret}", "1," + "x" * 5000):
        response = dnspod_client.post("/Domain.List", data={"login_token": token, "format": "json"})
        assert response.status_code == 200
        assert response.json()["status"] == {
            **response.json()["status"],
            "code": "-1",
            "message": "Login failed",
        }
    cn = dnspod_client.post("/Domain.List", data={"login_token": "x,y", "format": "json", "lang": "cn"})
    assert cn.json()["status"]["message"] == "登陆失败"


def test_user_token_prefix_xml_and_ignored_parameters(dnspod_client: TestClient, pod: DnsPod) -> None:
    data = {
        "user_token": pod.token,
        "lang": "en",
        "error_on_empty": "no",
        "login_email": "",
        "login_password": "",
        "format": "json",
        "whatever": "x",
    }
    body = dnspod_client.post("/dnspod/User.Detail", data=data).json()
    assert body["status"]["code"] == "1" and body["info"]["user"]["email"].startswith("dp-")
    xml = dnspod_client.post("/Info.Version", data={"login_token": pod.token})
    assert xml.headers["content-type"].startswith("text/xml")
    assert xml.text.startswith('<?xml version="1.0" encoding="UTF-8"?><dnspod><status><code>1</code>')


def test_repeated_parameters_last_wins(dnspod_client: TestClient, pod: DnsPod) -> None:
    body = "format=xml&login_token=bad,bad&login_token=" + pod.token + "&format=json"
    response = dnspod_client.post(
        "/Info.Version", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.json()["status"]["code"] == "1"


def test_a_huge_body_is_an_envelope_not_a_crash(dnspod_client: TestClient, pod: DnsPod) -> None:
    response = dnspod_client.post(
        "/Domain.List?format=json",
        content=b"a=" + b"x" * 70_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200 and response.json()["status"]["code"] == "3"
