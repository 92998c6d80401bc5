"""The province's network of institutions: libraries, points, museum, cultural houses."""
from flask_babel import lazy_gettext as _l

from ..common.registry import NavItem, register_nav


def init_app(app):
    from ..common.checks import register_check
    from . import history, views
    app.register_blueprint(views.bp)
    register_nav(NavItem("org", "org.index", _l("Network"), None, order=900))
    register_check("institution versions", history.overlap_problems, repair=history.repair_due, order=6)
