"""Chat robots: WeCom, DingTalk and Feishu messages in their documented formats, signed as
each checks, sent to a local receiver that does the checking."""
from __future__ import annotations

import json
from datetime import timedelta

from tests.market.notifications import receiver as checks

DINGTALK_SECRET = "SEC" + "0a1b2c3d" * 8
FEISHU_SECRET = "feishu-signing-secret"


def robot(api, owner, **body):
    answer = api(owner).post("/api/v1/webhooks", json={"kinds": ["qc.failed"], "language": "zh_CN", **body})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["secret"] is None  # a robot's secret comes from the chat app; nothing to show
    return answer.get_json()


def shipped(tell, owner):
    tell(owner.actor.org_id, "qc.failed", {"lot": {"id": "lot-9"}, "summary": "Lot L-9: CMM out of tolerance",
                                           "links": {"self": "https://market.example/lots/lot-9"}}, event_id="evt_qc")


def test_a_wecom_robot_gets_a_markdown_message(api, owner, receiver, tell, sweep, t0):
    receiver.answer = b'{"errcode": 0, "errmsg": "ok"}'
    robot(api, owner, channel="wecom", url=receiver.url + "/cgi-bin/webhook/send?key=abc")
    shipped(tell, owner)
    assert sweep(t0)["delivered"] == 1
    [request] = receiver.requests
    assert request.query == {"key": ["abc"]}
    message = request.json()
    assert message["msgtype"] == "markdown"
    assert "**质检未通过**" in message["markdown"]["content"]  # the catalogue's title of qc.failed, in the robot's language
    assert "Lot L-9" in message["markdown"]["content"]
    assert "(https://market.example/lots/lot-9)" in message["markdown"]["content"]
    assert "webhook-signature" not in request.headers


def test_a_dingtalk_robot_gets_a_signed_markdown_message(api, owner, receiver, tell, sweep, t0):
    receiver.answer = b'{"errcode": 0, "errmsg": "ok"}'
    robot(api, owner, channel="dingtalk", url=receiver.url + "/robot/send?access_token=tok", secret=DINGTALK_SECRET)
    shipped(tell, owner)
    assert sweep(t0)["delivered"] == 1
    [request] = receiver.requests
    assert request.query["access_token"] == ["tok"]
    assert checks.dingtalk_ok(request.query, DINGTALK_SECRET)
    assert not checks.dingtalk_ok(request.query, DINGTALK_SECRET + "x")
    message = request.json()
    assert message["msgtype"] == "markdown" and message["markdown"]["title"] and "Lot L-9" in message["markdown"]["text"]


def test_a_feishu_bot_gets_a_signed_text_message(api, owner, receiver, tell, sweep, t0):
    receiver.answer = json.dumps({"code": 0, "msg": "success", "data": {}}).encode()
    robot(api, owner, channel="feishu", url=receiver.url + "/open-apis/bot/v2/hook/abc", secret=FEISHU_SECRET)
    shipped(tell, owner)
    assert sweep(t0)["delivered"] == 1
    message = receiver.requests[0].json()
    assert checks.feishu_ok(message, FEISHU_SECRET) and not checks.feishu_ok(message, "wrong")
    assert message["msg_type"] == "text" and "Lot L-9" in message["content"]["text"]


def test_a_robot_that_answers_200_with_an_error_code_is_retried(api, owner, receiver, tell, sweep, t0, hooks):
    receiver.answer = b'{"errcode": 310000, "errmsg": "sign not match"}'
    endpoint = robot(api, owner, channel="dingtalk", url=receiver.url + "/robot/send?access_token=tok",
                     secret=DINGTALK_SECRET)
    shipped(tell, owner)
    assert sweep(t0)["pending"] == 1
    receiver.answer = b'{"errcode": 0, "errmsg": "ok"}'
    assert sweep(t0 + timedelta(seconds=5))["delivered"] == 1
    [delivery] = api(owner).get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").get_json()["items"]
    assert [a["ok"] for a in delivery["attempts"]] == [False, True]
    assert "310000" in delivery["attempts"][0]["response_body"]


def test_robot_messages_are_in_the_robots_language(api, owner, receiver, tell, sweep, t0):
    receiver.answer = b'{"errcode": 0}'
    robot(api, owner, channel="wecom", url=receiver.url + "/zh?key=a", language="zh_CN")
    robot(api, owner, channel="wecom", url=receiver.url + "/en?key=b", language="en")
    shipped(tell, owner)
    sweep(t0)
    texts = {r.path: r.json()["markdown"]["content"] for r in receiver.requests}
    assert "**QC failed**" in texts["/en"]
    assert "**QC failed**" not in texts["/zh"] and "**质检未通过**" in texts["/zh"]


def test_a_wecom_robot_takes_no_secret(api, owner, receiver, hooks):
    answer = api(owner).post("/api/v1/webhooks", json={"kinds": ["qc.failed"], "channel": "wecom",
                                                         "url": receiver.url + "/?key=a", "secret": "x"})
    assert answer.status_code == 422 and "secret" in answer.get_json()["errors"]
