from flask import Blueprint
bp = Blueprint("telemetry", __name__)
