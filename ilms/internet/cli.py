"""``flask internet stop-forgotten``: end sessions left running from an earlier day."""
import datetime as dt

import click
from flask.cli import with_appcontext

from ..common.permissions import SYSTEM
from ..common.time import local_date, local_datetime, local_today
from ..extensions import db
from . import services


@click.group("internet", help="Free internet points.")
def internet_cli():
    pass


def forgotten_end(session, schedule):
    """Where a session left open overnight most likely ended: closing time of its day, or start + its limit."""
    day = local_date(session.started_at)
    intervals = schedule.get(day.weekday(), [])
    if intervals:
        closes = intervals[-1][1]
        end = local_datetime(day, closes if closes != dt.time.max else dt.time(23, 59))
        if end > session.started_at:
            return end
    return session.started_at + dt.timedelta(minutes=session.limit_minutes or services.DEFAULT_SESSION_LIMIT)


@internet_cli.command("stop-forgotten")
@with_appcontext
def stop_forgotten():
    """Stop sessions started before today, at their institution's closing time (run it each night)."""
    stale = services.sessions_started_before(local_today())
    schedules = services.schedules_for({s.institution_id for s in stale})
    for session in stale:
        services.stop_session(session, actor=SYSTEM, at=forgotten_end(session, schedules[session.institution_id]))
    db.session.commit()
    click.echo(f"{len(stale)} session(s) left running from an earlier day stopped.")
