"""Chat robots of Chinese workplace apps: the message each expects for one event.

- WeCom (企业微信) group robot: POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…
  {"msgtype": "markdown", "markdown": {"content": "…"}}; no signature (the key is the secret).
- DingTalk (钉钉) custom robot: POST https://oapi.dingtalk.com/robot/send?access_token=…
  &timestamp=…&sign=… {"msgtype": "markdown", "markdown": {"title": "…", "text": "…"}}.
- Feishu (飞书) custom bot: POST https://open.feishu.cn/open-apis/bot/v2/hook/…
  {"timestamp": "…", "sign": "…", "msg_type": "text", "content": {"text": "…"}}.
All three answer 200 with an error code in the JSON body (errcode / code, 0 = ok).
"""
from __future__ import annotations

import json
from datetime import datetime

from flask_babel import force_locale, gettext as _

from market.notifications import kinds, signing


def text_of(body: dict, language: str) -> tuple[str, str]:
    """Title and markdown text of a webhook body, in `language`."""
    with force_locale(language):
        title = kinds.label(body["type"])
        data = body.get("data", {})
        lines = [f"**{title}**"]
        if data.get("summary"):
            lines.append(str(data["summary"]))
        link = (data.get("links") or {}).get("self")
        if link:
            lines.append(f"[{_('Open in the marketplace')}]({link})")
    return title, "\n\n".join(lines)


def request_for(channel: str, url: str, secret: str | None, body: dict, language: str,
                at: datetime) -> tuple[str, bytes]:
    """The URL to POST to and the JSON body, for a robot of `channel`."""
    title, text = text_of(body, language)
    if channel == "wecom":
        message = {"msgtype": "markdown", "markdown": {"content": text}}
    elif channel == "dingtalk":
        message = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
        if secret:
            url += ("&" if "?" in url else "?") + signing.dingtalk_query(secret, at)
    elif channel == "feishu":
        message = {"msg_type": "text", "content": {"text": text.replace("**", "")}}
        if secret:
            message = {**signing.feishu_sign(secret, at), **message}
    else:
        raise ValueError(f"not a chat robot channel: {channel}")
    return url, json.dumps(message, ensure_ascii=False).encode()


def accepted(channel: str, status_code: int | None, answer: str | None) -> bool:
    """A robot acknowledges with HTTP 200 *and* a zero error code in its JSON answer."""
    if status_code is None or not 200 <= status_code < 300:
        return False
    try:
        data = json.loads(answer or "{}")
    except ValueError:
        return False
    code = data.get("code", data.get("errcode", data.get("StatusCode", 0))) if isinstance(data, dict) else 0
    return code == 0
