"""`market telemetry ...`: the MQTT subscriber, the OPC UA connector, the broker's device
accounts, the edge simulator, the periodic rollup and the retention purge."""
from __future__ import annotations

import json
import signal

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("telemetry")
def telemetry_group() -> None:
    """Machine telemetry: MQTT ingest, simulator, rollup, retention."""


@telemetry_group.command("subscribe")
@click.option("--url", default=None, help="broker URL (default: MQTT_URL)")
@click.option("--prefix", default=None, help="topic prefix (default: TELEMETRY_MQTT_TOPIC_PREFIX)")
@click.option("--shared", default=None, help="MQTT 5 shared-subscription group, to run several subscribers")
@with_appcontext
def subscribe(url, prefix, shared) -> None:
    """Ingest readings published on {prefix}factories/{factory}/machines/{machine}/telemetry."""
    from market.telemetry.mqtt import Subscriber

    app = current_app._get_current_object()
    sub = Subscriber(app, url=url or app.config["MQTT_URL"],
                     prefix=app.config["TELEMETRY_MQTT_TOPIC_PREFIX"] if prefix is None else prefix, shared_group=shared)
    signal.signal(signal.SIGTERM, lambda *_: sub.stop.set())
    click.echo(f"subscribed to {sub.filter} on {sub.broker.host}:{sub.broker.port} (device auth: {sub.mode})")
    try:
        sub.run()
    except KeyboardInterrupt:
        sub.stop.set()


@telemetry_group.command("opcua")
@click.argument("config_file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def opcua_cmd(config_file) -> None:
    """Ingest from machines' OPC UA servers, as the CONFIG_FILE (JSON) maps their nodes."""
    import asyncio

    from market.telemetry import opcua

    try:
        config = opcua.load_config(config_file)
    except (ValueError, OSError) as exc:
        raise click.ClickException(f"{config_file}: {exc}") from None
    connector = opcua.Connector(current_app._get_current_object(), config)

    async def main():
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, connector.stop.set)
        loop.add_signal_handler(signal.SIGINT, connector.stop.set)
        await connector.run()

    machines = sum(len(s.machines) for s in config.servers)
    click.echo(f"OPC UA: {len(config.servers)} server(s), {machines} machine(s)")
    asyncio.run(main())


@telemetry_group.command("broker-sync")
@with_appcontext
def broker_sync() -> None:
    """Write Mosquitto's password and ACL files from the device table and make it reload them
    (TELEMETRY_BROKER_PASSWORD_FILE, _ACL_FILE, _PID_FILE; cron, e.g. every minute)."""
    from market.telemetry import broker_accounts

    try:
        result = broker_accounts.sync_configured()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(result.to_dict()))
    if result.without_account:
        click.echo(f"{result.without_account} device(s) enrolled before broker accounts cannot log in to the "
                   "broker: enroll them again", err=True)


@telemetry_group.command("simulate")
@click.option("--machine", "machines", multiple=True, help="machine public id (repeat)")
@click.option("--factory", default=None, help="all machines of this factory (public id)")
@click.option("--hours", type=float, default=24.0, help="length of simulated history, ending now")
@click.option("--speed", type=float, default=0.0, help="simulated seconds per real second; 0 = as fast as possible")
@click.option("--via", type=click.Choice(["db", "http", "mqtt"]), default="db")
@click.option("--url", default="http://127.0.0.1:8000", help="portal base URL (--via http) or broker URL (--via mqtt)")
@click.option("--batch", type=int, default=2000, help="readings per message")
@click.option("--seed", type=int, default=1)
@with_appcontext
def simulate(machines, factory, hours, speed, via, url, batch, seed) -> None:
    """Play realistic machine behaviour and send it like an edge device would."""
    from market.telemetry import simulation

    targets = simulation.targets(list(machines), factory)
    if not targets:
        raise click.ClickException("no machine: give --machine or --factory")
    sender = simulation.sender(via, url, targets, prefix=current_app.config["TELEMETRY_MQTT_TOPIC_PREFIX"])
    stats = simulation.play(targets, sender, hours=hours, speed=speed, batch=batch, seed=seed,
                            progress=lambda msg: click.echo(msg))
    click.echo(json.dumps(stats))


@telemetry_group.command("rollup")
@with_appcontext
def rollup_cmd() -> None:
    """Recompute today and yesterday, summarise closed days on the ledger, raise alerts (cron, e.g. every 5 minutes)."""
    from market.telemetry import services

    click.echo(json.dumps(services.rollup_all()))


@telemetry_group.command("purge")
@click.option("--days", type=int, default=None, help="retention in days (default: TELEMETRY_RETENTION_DAYS)")
@with_appcontext
def purge(days) -> None:
    """Delete raw readings past retention; intervals and daily aggregates stay (cron, daily)."""
    from market.telemetry import services

    click.echo(f"{services.purge_readings(retention_days=days)} reading(s) deleted")
