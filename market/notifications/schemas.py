import marshmallow as ma
from marshmallow import fields, validate

from market.api_common import PageArgs, StrictSchema
from market.i18n import locale_code
from market.notifications import catalogue
from market.notifications.fanout import link_path


class NotificationListArgs(PageArgs):
    unread = fields.Boolean(load_default=False, metadata={"description": "only the unread ones"})
    kind = fields.String(load_default=None, validate=validate.OneOf([k.name for k in catalogue.KINDS]))


class NotificationOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    kind = fields.String()
    title = fields.Method("_title", metadata={"description": "in the request's language (Accept-Language)"})
    body = fields.Method("_body")
    object = fields.Method("_object", metadata={"description": "what it is about: {kind, id}, or null"})
    link = fields.Method("_link", metadata={"description": "the portal page of that object (a path)"})
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)

    def _text(self, obj):
        return catalogue.render(obj.kind, obj.params or {}, locale_code())

    def _title(self, obj):
        return self._text(obj)[0]

    def _body(self, obj):
        return self._text(obj)[1]

    def _object(self, obj):
        return {"kind": obj.link_kind, "id": obj.link_id or None} if obj.link_kind else None

    def _link(self, obj):
        return link_path(obj.link_kind, obj.link_id)


class UnreadOut(ma.Schema):
    unread = fields.Integer()


class MarkedOut(ma.Schema):
    marked = fields.Integer()


class EmptyIn(StrictSchema):
    pass
