"""Empty lists say what to do next, with the link that does it, in both languages: a new
buyer's orders, a new factory's orders, order board, factories, machines, windows and lots."""
import html
import re

import pytest

from tests.conftest import FACTORY

WORDS = {
    "en": {"buyer_orders": "Post one: describe the part", "factory_orders": "find open orders that fit your machines",
           "board": "publish capacity windows", "machines": "No machines yet: add one", "windows": "publish the hours this machine is free",
           "lots": "start a lot from the order’s page", "filtered": "No orders in this state."},
    "zh-CN": {"buyer_orders": "发布一个吧：描述零件及其工序", "factory_orders": "可在订单大厅查找适合您设备的已发布订单",
              "board": "再发布产能窗口", "machines": "还没有设备：添加一台", "windows": "用上面的表单发布这台设备的空闲时段",
              "lots": "请在订单页面开始一个批次", "filtered": "没有处于此状态的订单。"},
}


def _portal(app, email, language):
    client = app.test_client()
    headers = {"Accept-Language": language}
    assert client.post("/login", data={"email": email, "password": "correct-horse-1"}, headers=headers).status_code == 302
    return lambda url: html.unescape(client.get(url, headers=headers).get_data(as_text=True))


def _empty_state(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", m) for m in re.findall(r'class="muted empty-state">(.*?)</(?:td|p)>', page, re.S))


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_empty_lists_say_what_to_do_next(app, api, tenant, language):
    words = WORDS[language]
    buyer = _portal(app, tenant("buyer").email, language)
    orders = buyer("/orders")
    assert words["buyer_orders"] in _empty_state(orders) and 'href="/orders/new"' in orders
    assert words["filtered"] in _empty_state(buyer("/orders?state=shipped"))

    owner = tenant("factory")
    factory = api(owner).post("/api/v1/factories", json=FACTORY).get_json()
    see = _portal(app, owner.email, language)
    assert words["factory_orders"] in _empty_state(see("/orders"))
    assert words["board"] in _empty_state(see("/board"))
    assert words["machines"] in _empty_state(see(f"/factories/{factory['id']}"))
    assert words["lots"] in _empty_state(see("/dashboard"))
    machine = api(owner).post("/api/v1/machines", json={"factory_id": factory["id"], "name": "VF-2",
                                                        "processes": ["cnc_milling_3ax"]}).get_json()
    assert words["windows"] in _empty_state(see(f"/machines/{machine['id']}"))
