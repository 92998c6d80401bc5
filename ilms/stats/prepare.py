"""``flask indicators-prepare``: compute the morning's figures before anyone asks for them.

The manager's first page of the day (the current year, with projections, for
the whole province) costs seconds on a large province when nothing is cached.
Run after each night's data (cron, see docs/operations.md), this command
computes that page, the reports' figures of the year and the pages of every
area of a former district, in its own process, and writes the figure cache
to ``DATA_DIR/stats-figures.pickle``; each web worker merges the file on its
next page (``stats.cache.figure_cache``). Figures whose data changes later are
computed again as usual (their tags no longer match), so preparing never
shows a stale figure.
"""
from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from ..common.permissions import SYSTEM
from ..common.time import Period, local_today
from . import cache as figure_cache
from . import pages
from . import scope as scopes


def prepare(*, today=None, areas=True, echo=None):
    """Compute the current year's pages into the figure cache and write it for the workers.

    Returns ``(pages computed, entries written)``.
    """
    from .engine import Engine
    today = today or local_today()
    cache = figure_cache.figure_cache()
    if cache is None:
        return 0, 0
    period = Period.year(today.year)
    scope_list = [scopes.PROVINCE]
    if areas:
        network = scopes.network()
        scope_list += [scopes.Scope("district", code) for code in sorted({i.district_code for i in network
                                                                        if i.district_code})]
    done = 0
    for scope in scope_list:
        started = time.perf_counter()
        pages.build_page(period, scope, user=SYSTEM, today=today, engine=Engine())
        done += 1
        if echo:
            echo(f"{scope.key}: {time.perf_counter() - started:.2f} s")
    written = figure_cache.save_prepared(cache, figure_cache.prepared_path())
    return done, written


@click.command("indicators-prepare")
@click.option("--no-areas", is_flag=True, help="Only the whole province, not every former district's area.")
@with_appcontext
def prepare_command(no_areas):
    """Compute this year's indicator pages ahead of the day (run after the night's data)."""
    done, written = prepare(areas=not no_areas, echo=click.echo)
    click.echo(f"{done} pages prepared, {written} figures written for the web workers.")
