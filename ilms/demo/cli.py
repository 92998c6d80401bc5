"""``flask demo load``: run every registered demo loader once, in order."""
import random

import click
from flask.cli import with_appcontext

from ..audit import bulk as audit_bulk
from ..common import registry
from ..extensions import db

SEED = 1133  # the plan's number: the same demo every time


@click.group("demo", help="The demo province.")
def demo_cli():
    pass


def load_all(echo=print, only=None):
    """Run the demo loaders in order (``only``: a set of loader keys, for tests)."""
    for loader in sorted(registry.DEMO.values(), key=lambda d: d.order):
        if only is not None and loader.key not in only:
            continue
        rng = random.Random(f"{SEED}:{loader.key}")
        with audit_bulk(f"demo load {loader.key}"):
            summary = loader.load(rng)
            db.session.commit()
        echo(f"demo {loader.key}: {summary or 'ok'}")


@demo_cli.command("load")
@with_appcontext
def load_command():
    """Load the demo province; running it again adds nothing."""
    load_all(click.echo)
