"""Info.Version and User.Detail."""

from __future__ import annotations

from lookout.api.dnspod.actions import Action, Call
from lookout.api.dnspod.envelope import Reply

API_VERSION = "4.6"


async def version(call: Call) -> Reply:
    return Reply("1", message=API_VERSION)


async def user_detail(call: Call) -> Reply:
    who = call.who
    return Reply(
        "1",
        {
            "info": {
                "user": {
                    "id": str(who.user_id),
                    "email": who.email,
                    "real_name": who.name,
                    "nick": who.name,
                    "user_type": "personal",
                    "telephone": "",
                    "im": "",
                    "status": "enabled",
                    "email_verified": "yes",
                    "telephone_verified": "no",
                    "weixin_binded": "no",
                    "agent_pending": False,
                    "balance": 0,
                    "smsbalance": 0,
                    "user_grade": "DP_Free",
                }
            }
        },
    )


ACTIONS = {
    "Info.Version": Action(version, {}, {}),
    "User.Detail": Action(user_detail, {}, {}),
}
