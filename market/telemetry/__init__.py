"""Device telemetry: enrolled devices stream machine readings (HTTP batch or MQTT); the
readings become state intervals and daily OEE aggregates (ISO 22400-2), committed to the
ledger, shown on the factory's dashboard and read by credit scoring (queries.py)."""
