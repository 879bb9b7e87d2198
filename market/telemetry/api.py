"""REST API: device ingest, device enrollment, OEE, state timelines, shift calendars."""
from __future__ import annotations

import functools
from uuid import UUID

from flask import g, request
from flask_smorest import Blueprint

from market import errors
from market.api_common import PageArgs, page_schema, paging
from market.auth import api_actor, require_token
from market.pagination import page_of
from market.telemetry import closures, devices, ingest, services
from market.telemetry import schemas as sc

blp = Blueprint("telemetry_api", __name__, url_prefix="/api/v1", description="Machine telemetry and OEE")


def require_device(fn):
    """A device token (not an organization's API token): 'Authorization: Bearer smmdev_...'."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise errors.Unauthorized("missing device token: send 'Authorization: Bearer <device token>'")
        device = devices.authenticate(header[7:].strip())
        if device is None:
            raise errors.Unauthorized("invalid or revoked device token")
        g.device = device
        return fn(*args, **kwargs)

    return wrapper


@blp.route("/telemetry", methods=["POST"])
@require_device
@blp.arguments(sc.BatchIn)
@blp.response(200, sc.BatchOut)
@blp.doc(security=[{"bearerAuth": []}])
def post_readings(data):
    """Ingest a batch of readings from an enrolled device (up to 10,000). Each reading is
    validated alone: the response lists the rejected ones by index with the reason; valid
    ones are stored exactly once per (machine, ts), so a retry is safe."""
    return ingest.ingest(g.device, data["readings"], machine_public_id=data.get("machine_id")).to_dict()


@blp.route("/machines/<uuid:machine_id>/devices", methods=["POST"])
@require_token("write")
@blp.arguments(sc.DeviceIn)
@blp.response(201, sc.DeviceCreated)
def enroll(data, machine_id: UUID):
    """Enroll a device for the machine; the token is in this response only."""
    device, token = devices.enroll(api_actor(), machine_id, data["name"])
    device.token, device.mqtt_username, device.mqtt_topic = token, str(device.public_id), devices.mqtt_topic(device)
    return device


@blp.route("/devices")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.DeviceOut))
def list_devices(args):
    """Your telemetry devices and the machines they report for."""
    return page_of(devices.list_devices(api_actor()), **args)


@blp.route("/devices/<uuid:device_id>", methods=["DELETE"])
@require_token("write")
@blp.response(200, sc.DeviceOut)
def revoke(device_id: UUID):
    """Revoke a device: its token stops working at once."""
    return devices.revoke(api_actor(), device_id)


def _oee(owner, periods, granularity):
    return {"id": owner.public_id, "timezone": owner.timezone if hasattr(owner, "timezone") else owner.factory.timezone,
            "granularity": granularity, "periods": [p.to_dict() for p in periods]}


@blp.route("/machines/<uuid:machine_id>/oee")
@require_token("read")
@blp.arguments(sc.OeeArgs, location="query")
@blp.response(200, sc.OeeOut)
def machine_oee(args, machine_id: UUID):
    """OEE (ISO 22400-2) of a machine per local day, ISO week or month of its factory."""
    machine, periods = services.machine_oee(api_actor(), machine_id, args.get("start"), args.get("end"), args["granularity"])
    return _oee(machine, periods, args["granularity"])


@blp.route("/factories/<uuid:factory_id>/oee")
@require_token("read")
@blp.arguments(sc.OeeArgs, location="query")
@blp.response(200, sc.OeeOut)
def factory_oee(args, factory_id: UUID):
    """OEE of all the factory's machines together."""
    factory, periods = services.factory_oee(api_actor(), factory_id, args.get("start"), args.get("end"), args["granularity"])
    return _oee(factory, periods, args["granularity"])


@blp.route("/machines/<uuid:machine_id>/states")
@require_token("read")
@blp.arguments(sc.StatesArgs, location="query")
@blp.response(200, page_schema(sc.StateOut))
def machine_states(args, machine_id: UUID):
    """The machine's state timeline (default: the last 24 hours; at most 31 days)."""
    return page_of(services.machine_states(api_actor(), machine_id, args.get("start"), args.get("end")), **paging(args))


@blp.route("/factories/<uuid:factory_id>/shift-calendar")
@require_token("read")
@blp.response(200, sc.CalendarOut)
def get_calendar(factory_id: UUID):
    """A factory's weekly shift calendar, used for OEE."""
    return services.get_shift_calendar(api_actor(), factory_id)


@blp.route("/factories/<uuid:factory_id>/shift-calendar", methods=["PUT"])
@require_token("write")
@blp.arguments(sc.CalendarIn)
@blp.response(200, sc.CalendarOut)
def put_calendar(data, factory_id: UUID):
    """Set the weekly shifts (planned time for OEE); applies from today on."""
    return services.set_shift_calendar(api_actor(), factory_id, data["weekly"], data.get("public_holidays"))


@blp.route("/factories/<uuid:factory_id>/calendar-closures")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.ClosureOut))
def list_closures(args, factory_id: UUID):
    """The factory's closures: local days without planned time."""
    return page_of(closures.list_closures(api_actor(), factory_id), **args)


@blp.route("/factories/<uuid:factory_id>/calendar-closures", methods=["POST"])
@require_token("write")
@blp.arguments(sc.ClosureIn)
@blp.response(201, sc.ClosureOut)
def add_closure(data, factory_id: UUID):
    """Close the factory on local days [first_day, last_day] (at most 366): no planned time
    for OEE; days already computed are recomputed."""
    return closures.add_closure(api_actor(), factory_id, data["first_day"], data["last_day"], data["reason"])


@blp.route("/factories/<uuid:factory_id>/calendar-closures/<uuid:closure_id>", methods=["DELETE"])
@require_token("write")
@blp.response(204)
def delete_closure(factory_id: UUID, closure_id: UUID):
    """Remove a closure; its days are recomputed with the weekly shifts."""
    closures.delete_closure(api_actor(), factory_id, closure_id)


@blp.route("/machines/<uuid:machine_id>/telemetry-profile")
@require_token("read")
@blp.response(200, sc.ProfileOut)
def get_profile(machine_id: UUID):
    """A machine's telemetry profile (ideal cycle time, signals)."""
    return services.get_profile(api_actor(), machine_id)


@blp.route("/machines/<uuid:machine_id>/telemetry-profile", methods=["PUT"])
@require_token("write")
@blp.arguments(sc.ProfileIn)
@blp.response(200, sc.ProfileOut)
def put_profile(data, machine_id: UUID):
    """Set the ideal cycle time per part (performance); applies from today on."""
    return services.set_profile(api_actor(), machine_id, data["ideal_cycle_s"])


@blp.route("/factories/<uuid:factory_id>/daily-summaries")
@require_token("read")
@blp.arguments(sc.DaysArgs, location="query")
@blp.response(200, page_schema(sc.SummaryOut))
def daily_summaries(args, factory_id: UUID):
    """Committed daily figures with their salts and ledger indexes: what the factory shows a
    lender so they can check each against its `telemetry.daily_summary` ledger entry."""
    return page_of(services.daily_summaries(api_actor(), factory_id, args.get("start"), args.get("end")), **paging(args))
