"""`market credit ...`: train the scorecard (reproducible), show it."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from market.credit import scorecard


@click.group("credit")
def credit_group() -> None:
    """Credit scoring."""


@credit_group.command("train")
@click.option("--seed", type=int, default=7, show_default=True, help="seed of the synthetic data and the split")
@click.option("--rows", type=int, default=8000, show_default=True, help="synthetic factories to generate")
@click.option("--csv", "csv_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="a lender's labelled CSV (feature columns + default 0/1) instead of synthetic data")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=scorecard.ARTIFACTS, show_default=True)
@click.option("--no-activate", is_flag=True, help="write the artifact without making it CURRENT")
def train(seed: int, rows: int, csv_path: Path | None, out: Path, no_activate: bool) -> None:
    """Fit the scorecard and write it as a versioned artifact; prints AUC/Gini/KS held out."""
    from market.credit import training

    missing = training.missing_packages()
    if missing:
        raise click.ClickException(f"training needs {', '.join(missing)}, which the default install leaves out: "
                                   "install the 'train' extra: pip install -e '.[train]'")

    data = training.csv_dataset(csv_path) if csv_path else training.synthetic_dataset(rows, seed)
    card = training.train(data, seed=seed)
    path = scorecard.save(card, out, make_current=not no_activate)
    click.echo(training.describe(card))
    click.echo(f"written {path}" + ("" if no_activate else " (CURRENT)"))


@credit_group.command("show")
@click.argument("version", required=False)
def show(version: str | None) -> None:
    """Print a scorecard's bins and points."""
    card = scorecard.load(version)
    click.echo(f"{card.version}  metrics {card.metrics}  trained {card.trained}")
    for f in card.features:
        bins = "  ".join(f"<{b.upper:.4g}:{b.points:.1f}" if b.upper is not None else f"rest:{b.points:.1f}" for b in f.bins)
        click.echo(f"{f.name:30s} {bins}  missing:{f.missing_points:.1f}")


@credit_group.command("refresh-quality")
@with_appcontext
def refresh_quality() -> None:
    """Recompute every factory's stored supplier quality (tenure grows with time alone: run it
    daily, e.g. from cron)."""
    from market.credit import quality

    click.echo(f"refreshed {quality.refresh_all()} factories")
