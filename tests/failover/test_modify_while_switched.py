"""Monitor.Modify while failover has the record switched: the next round decides again with
the new settings. A backup no longer listed is left for a listed healthy one (or, with
none, the record's own IP); `bak_ip=pass` puts the record back; `keep_ttl` changed restores
or lowers the TTL. Seen in Record.Info, Monitor.Info and a real BIND's answer; the
original IP's verdict is set by hand (as in test_owner_edits) and the executor's round
is the consumer's."""

from __future__ import annotations

from sqlalchemy import func, select

from lookout.store.tables.failover import FailoverSwitch
from tests.failover.test_owner_edits import BACKUP, NEW, ORIGINAL, SILENT, Pod, pod, switched  # noqa: F401


def switch_count(of: Pod) -> int:
    with of.store.sessions() as session:
        found = session.scalar(
            select(func.count())
            .select_from(FailoverSwitch)
            .where(FailoverSwitch.d_monitor_id == int(of.monitor_id))
        )
    return int(found or 0)


def log_line(of: Pod) -> str:
    (down,) = of.downs()
    line: str = down["switch_log"][-1]
    return line


def test_a_backup_no_longer_listed_is_left_for_a_listed_healthy_one(pod: Pod) -> None:  # noqa: F811
    switched(pod)
    pod.call("Monitor.Modify", monitor_id=pod.monitor_id, bak_ip=f"{SILENT},{NEW}")
    pod.reconcile()
    assert pod.answer() == ({NEW}, 60)
    assert (pod.record()["value"], pod.record()["ttl"]) == (NEW, "60")
    info = pod.info()
    assert (info["ip"], info["now_ip"]) == (ORIGINAL, NEW)
    assert info["bak_ip_status"] == [{"ip": SILENT, "status": "Down"}, {"ip": NEW, "status": "Ok"}]
    assert log_line(pod).endswith(f"{BACKUP} is no longer a backup IP; {ORIGINAL} is down; switched to {NEW}")
    # The TTL saved by the first switch is the one restored.
    assert pod.row().switch_state == {"switched_to": NEW, "paused": False, "original_ttl": 600}

    # No listed backup is healthy: the record goes back to its own IP (down, but the
    # owner's), and stays there.
    pod.call("Monitor.Modify", monitor_id=pod.monitor_id, bak_ip=SILENT)
    pod.reconcile()
    assert pod.answer() == ({ORIGINAL}, 600)
    assert pod.row().switch_state == {} and pod.info()["now_ip"] == ORIGINAL
    assert f"{NEW} is no longer a backup IP" in log_line(pod)
    assert log_line(pod).endswith(f"back to {ORIGINAL}")
    pod.reconcile()
    assert pod.answer() == ({ORIGINAL}, 600)


def test_keep_ttl_changed_restores_or_lowers_the_ttl(pod: Pod) -> None:  # noqa: F811
    switched(pod)
    pod.call("Monitor.Modify", monitor_id=pod.monitor_id, keep_ttl="yes")
    pod.reconcile()
    assert pod.answer() == ({BACKUP}, 600)
    assert pod.row().switch_state["original_ttl"] is None
    assert log_line(pod).endswith("keep_ttl=yes; TTL 600 restored")
    pod.reconcile()  # settled: nothing more
    assert pod.answer() == ({BACKUP}, 600) and switch_count(pod) == 2

    pod.call("Monitor.Modify", monitor_id=pod.monitor_id, keep_ttl="no")
    pod.reconcile()
    assert pod.answer() == ({BACKUP}, 60)
    assert pod.row().switch_state["original_ttl"] == 600
    assert (pod.record()["value"], pod.record()["ttl"]) == (BACKUP, "60")


def test_bak_ip_pass_puts_the_record_back_on_its_own_ip(pod: Pod) -> None:  # noqa: F811
    switched(pod)
    pod.call("Monitor.Modify", monitor_id=pod.monitor_id, bak_ip="pass")
    pod.reconcile()
    assert pod.answer() == ({ORIGINAL}, 600)
    record = pod.record()
    assert (record["value"], record["ttl"], record["enabled"]) == (ORIGINAL, "600", "1")
    info = pod.info()
    assert (info["bak_ip"], info["now_ip"]) == ("pass", ORIGINAL)
    assert pod.row().switch_state == {}
    assert log_line(pod).endswith(f"bak_ip is pass (monitoring only); back to {ORIGINAL}")
    # Still down, but pass only watches.
    pod.reconcile()
    assert pod.answer() == ({ORIGINAL}, 600)
    assert log_line(pod).endswith("monitoring only, no switching")
