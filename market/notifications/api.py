"""REST API of the notification centre: the token's user's notifications (a token acts for
the user who made it), and marking them read."""
from uuid import UUID

from flask_smorest import Blueprint

from market.api_common import page_schema
from market.auth import api_actor, require_token
from market.notifications import schemas as sc
from market.notifications import services

blp = Blueprint("notifications_api", __name__, url_prefix="/api/v1", description="Notifications")


@blp.route("/notifications")
@require_token("read")
@blp.arguments(sc.NotificationListArgs, location="query")
@blp.response(200, page_schema(sc.NotificationOut))
def list_notifications(args):
    """Newest first; `unread=true` for the unread only, `kind` for one kind."""
    return services.list_notifications(api_actor(), **args)


@blp.route("/notifications/unread-count")
@require_token("read")
@blp.response(200, sc.UnreadOut)
def unread_count():
    """How many of your notifications are unread."""
    return {"unread": services.unread_count(api_actor())}


@blp.route("/notifications/<uuid:notification_id>/read", methods=["POST"])
@require_token("write")
@blp.response(200, sc.NotificationOut)
def mark_read(notification_id: UUID):
    """Mark one read (again: no change)."""
    return services.mark_read(api_actor(), notification_id)


@blp.route("/notifications/read-all", methods=["POST"])
@require_token("write")
@blp.response(200, sc.MarkedOut)
def mark_all_read():
    """Mark all your notifications read."""
    return {"marked": services.mark_all_read(api_actor())}
