"""Internet points: the sessions screen's refresh, starting and stopping sessions, the NET.* figures.

Builds a scratch database with the demo province (a year of sessions at 18 libraries and points),
then compares each ILMS operation with the bare SQL doing the same work on the same file.

    .venv/bin/python -m benchmarks.internet [--rounds 200]
"""
import argparse
import re
import datetime as dt
import sqlite3
import tempfile
from pathlib import Path

import sqlalchemy as sa

from benchmarks.measure import PeakRSS, Row, print_table, time_each
from ilms.accounts.models import User
from ilms.common.permissions import SYSTEM
from ilms.common.time import Period, local_today
from ilms.extensions import db
from ilms.internet import services
from ilms.org import services as org
from ilms.stats import registry


def build(workdir):
    from flask_migrate import upgrade

    from ilms import create_app
    from ilms.demo.cli import load_all
    from ilms.config import TestConfig
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    db_path = Path(workdir) / "bench.sqlite"
    config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_path}", DATA_DIR=str(Path(workdir) / "data"))
    app = create_app(config)
    with app.app_context():
        upgrade()
        load_all(echo=lambda *_: None, only={"network", "internet"})
    return app, db_path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        app, db_path = build(workdir)
        rows = []
        with app.app_context():
            library = org.get_by_code("TVH-TD")
            library_id = library.id
            station_ids = [s.id for s in services.stations_of(library_id, public_only=True)]
            user_id = db.session.scalar(sa.select(User.id).where(User.username == "internet"))
            sessions_total = db.session.scalar(sa.text("SELECT count(*) FROM internet_sessions"))

            # 1. the screen's JSON refresh, with two computers in use
            for station_id in station_ids[:2]:
                services.start_session(services.get_station(station_id), actor=SYSTEM, guest={})
            db.session.commit()
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post("/login", data={"csrf_token": token, "username": "internet", "password": "laichau2016"})
        url = f"/internet/status.json?institution={library_id}"
        assert client.get(url).status_code == 200
        with PeakRSS() as peak:
            samples, wall = time_each(lambda _: client.get(url), range(args.rounds))
        rows.append(Row("status.json (ILMS, one request)", samples, args.rounds, wall, peak.peak_mb,
                        f"{len(station_ids)} computers"))
        raw = sqlite3.connect(db_path)
        raw.execute("PRAGMA synchronous = NORMAL")   # as ILMS sets it (the file is in WAL mode already)
        query = ("SELECT s.id, s.code, x.id, x.started_at, x.limit_minutes FROM internet_stations s "
                 "LEFT JOIN internet_sessions x ON x.station_id = s.id AND x.state = 'open' "
                 "WHERE s.institution_id = ? AND s.training_only = 0 ORDER BY s.code")
        samples, wall = time_each(lambda _: raw.execute(query, (library_id,)).fetchall(), range(args.rounds))
        rows.append(Row("  bare SQL: stations and open sessions", samples, args.rounds, wall))

        # 2. start then stop a session through the services (one commit each, as the screen does)
        with app.app_context():
            actor = db.session.get(User, user_id)
            station = services.get_station(station_ids[2])

            def start_stop(_):
                session = services.start_session(station, actor=actor, guest={})
                db.session.commit()
                services.stop_session(session, actor=actor)
                db.session.commit()

            with PeakRSS() as peak:
                samples, wall = time_each(start_stop, range(args.rounds))
            rows.append(Row("start + stop a session (services, 2 commits)", samples, args.rounds, wall,
                            peak.peak_mb))

        def raw_start_stop(_):
            now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(" ")
            cur = raw.execute("INSERT INTO internet_sessions (station_id, institution_id, reader_key, is_guest, "
                              "state, started_at, void_reason, created_at) VALUES (?, ?, '', 1, 'open', ?, '', ?)",
                              (station_ids[2], library_id, now, now))
            raw.commit()
            raw.execute("UPDATE internet_sessions SET state = 'ended', ended_at = ?, duration_seconds = 0 "
                        "WHERE id = ?", (now, cur.lastrowid))
            raw.commit()

        samples, wall = time_each(raw_start_stop, range(args.rounds))
        rows.append(Row("  bare SQL: insert + update, 2 commits", samples, args.rounds, wall))

        # 3. the year's NET.* figures for every institution
        with app.app_context():
            today = local_today()
            period = Period(today - dt.timedelta(days=365), today)
            ids = [i.id for i in org.all_institutions()]
            codes = ["NET.SESSIONS", "NET.HOURS", "NET.USERS", "NET.TRAINEES", "NET.STATIONS"]

            def figures(_):
                for code in codes:
                    registry.get(code).compute(period, ids)

            rounds = max(10, args.rounds // 10)
            with PeakRSS() as peak:
                samples, wall = time_each(figures, range(rounds))
            rows.append(Row("NET.* for the year, every institution", samples, rounds, wall, peak.peak_mb,
                            f"{sessions_total} sessions"))
            start, end = (v.replace(tzinfo=None).isoformat(" ") for v in period.utc_bounds())
        raw_sql = ("SELECT institution_id, count(*), sum(duration_seconds) / 3600.0, "
                   "count(DISTINCT CASE WHEN is_guest = 0 THEN reader_key END) + sum(is_guest) "
                   "FROM internet_sessions WHERE state = 'ended' AND started_at >= ? AND started_at < ? "
                   "GROUP BY institution_id")
        samples, wall = time_each(lambda _: raw.execute(raw_sql, (start, end)).fetchall(), range(rounds))
        rows.append(Row("  bare SQL: one GROUP BY for the sessions", samples, rounds, wall))
        raw.close()
        print_table("Internet points (SQLite, demo province; shared 2-core machine)", rows)


if __name__ == "__main__":
    main()
