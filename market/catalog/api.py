"""REST API for factories, machines, capacity windows, capacity search and the taxonomy."""
from uuid import UUID

from flask import jsonify
from flask_smorest import Blueprint

from market.api_common import PageArgs, page_schema
from market.auth import api_actor, require_token
from market.catalog import schemas as sc
from market.catalog import services
from market.catalog.search import CapacityQuery, page_json, search_capacity
from market.catalog.taxonomy import taxonomy
from market.pagination import page_of

blp = Blueprint("catalog_api", __name__, url_prefix="/api/v1", description="Factories, machines and capacity")


@blp.route("/processes")
@blp.doc(security=[])  # public: no token
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.ProcessOut))
def processes(args):
    """The process taxonomy (public)."""
    return page_of(list(taxonomy().processes.values()), **args)


@blp.route("/certifications")
@blp.doc(security=[])  # public: no token
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.CertificationOut))
def certifications(args):
    """Known certifications (public)."""
    return page_of(list(taxonomy().certifications.values()), **args)


@blp.route("/factories")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.FactoryOut))
def list_factories(args):
    """Your organization's factories (operators see all; buyers find factories by capacity search)."""
    return services.list_factories(api_actor(), **args)


@blp.route("/factories", methods=["POST"])
@require_token("write")
@blp.arguments(sc.FactoryIn)
@blp.response(201, sc.FactoryOut)
def create_factory(data):
    """Register a factory of your organization."""
    return services.create_factory(api_actor(), data)


@blp.route("/factories/<uuid:factory_id>")
@require_token("read")
@blp.response(200, sc.FactoryOut)
def get_factory(factory_id: UUID):
    """One of your factories."""
    return services.get_factory(api_actor(), factory_id)


@blp.route("/factories/<uuid:factory_id>", methods=["PATCH"])
@require_token("write")
@blp.arguments(sc.FactoryPatch(partial=True))
@blp.response(200, sc.FactoryOut)
def update_factory(data, factory_id: UUID):
    """Change a factory's name, address, location or certifications."""
    return services.update_factory(api_actor(), factory_id, data)


@blp.route("/machines")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.MachineOut))
def list_machines(args):
    """Your organization's machines, with their processes and pricing."""
    return services.list_machines(api_actor(), **args)


@blp.route("/machines", methods=["POST"])
@require_token("write")
@blp.arguments(sc.MachineIn)
@blp.response(201, sc.MachineOut)
def create_machine(data):
    """Add a machine to one of your factories."""
    return services.create_machine(api_actor(), data)


@blp.route("/machines/<uuid:machine_id>")
@require_token("read")
@blp.response(200, sc.MachineOut)
def get_machine(machine_id: UUID):
    """One of your machines."""
    return services.get_machine(api_actor(), machine_id)


@blp.route("/machines/<uuid:machine_id>", methods=["PATCH"])
@require_token("write")
@blp.arguments(sc.MachinePatch(partial=True))
@blp.response(200, sc.MachineOut)
def update_machine(data, machine_id: UUID):
    """Change a machine's processes, pricing or status."""
    return services.update_machine(api_actor(), machine_id, data)


@blp.route("/capacity-windows")
@require_token("read")
@blp.arguments(sc.WindowListArgs, location="query")
@blp.response(200, page_schema(sc.WindowOut))
def list_windows(args):
    """Your capacity windows (idle machine time offered for sale)."""
    return services.list_windows(api_actor(), **args)


@blp.route("/capacity-windows", methods=["POST"])
@require_token("write")
@blp.arguments(sc.WindowIn)
@blp.response(201, sc.WindowOut)
def create_window(data):
    """Offer a machine for [start, end). Overlapping windows on one machine are refused (409)."""
    return services.create_window(api_actor(), data)


@blp.route("/capacity-windows/recurring", methods=["POST"])
@require_token("write")
@blp.arguments(sc.RecurringIn)
@blp.response(201, sc.WindowOut(many=True))
def create_recurring(data):
    """Expand a weekly rule (e.g. weekday night shifts for 8 weeks) into windows: all or none."""
    return services.create_recurring_windows(api_actor(), data)


@blp.route("/capacity-windows/<uuid:window_id>")
@require_token("read")
@blp.response(200, sc.WindowOut)
def get_window(window_id: UUID):
    """One capacity window."""
    return services.get_window(api_actor(), window_id)


@blp.route("/capacity-windows/<uuid:window_id>", methods=["DELETE"])
@require_token("write")
@blp.response(200, sc.WindowOut)
def withdraw_window(window_id: UUID):
    """Withdraw an open window (it stays in history with status 'withdrawn')."""
    return services.withdraw_window(api_actor(), window_id)


@blp.route("/capacity/search")
@require_token("read")
@blp.arguments(sc.SearchArgs, location="query")
@blp.response(200, page_schema(sc.HitOut))
def search(args):
    """Open capacity by process, time range, region or distance, certification and price."""
    args["certifications"] = tuple(args.get("certifications", ()))
    # dumped as the declared schema would, without marshmallow per field (market/catalog/search.py)
    return jsonify(page_json(search_capacity(CapacityQuery(**args))))
