"""A second process that keeps writing while a backup is taken (started by test_backup.py).

    python -m tests.maintenance.writer URL DATA_DIR INSTANCE_DIR STOP_FILE MAX_SECONDS

Each step adds an institution and an uploaded file (the file first, so every
committed row has its file), commits, and prints the step number. It stops
when STOP_FILE appears, after MAX_SECONDS, or after 5000 steps.
"""
import sys
import time
from pathlib import Path

from ilms import create_app
from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from ilms.org import services as org
from tests.conftest import make_config


def main(url, data_dir, instance_dir, stop_file, max_seconds):
    app = create_app(make_config(url, data_dir, INSTANCE_DIR=instance_dir, SECRET_KEY=None, READER_KEY_SECRET=None))
    uploads = Path(data_dir) / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + float(max_seconds)
    step = 0
    with app.app_context():
        while time.monotonic() < deadline and not Path(stop_file).exists() and step < 5000:
            step += 1
            (uploads / f"W{step:05d}.txt").write_text(f"biên bản số {step}", encoding="utf-8")
            org.create_institution(actor=SYSTEM, code=f"W{step:05d}", name=f"Nhà văn hoá bản số {step}",
                                   kind="cultural_house", level="village")
            db.session.commit()
            print(step, flush=True)
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:])
