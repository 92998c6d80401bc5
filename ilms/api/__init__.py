"""JSON API v1: thin views over the domains' services, authenticated by personal tokens."""


def init_app(app):
    from ..extensions import csrf
    from . import views
    csrf.exempt(views.bp)  # no cookies here: every call carries its bearer token
    app.register_blueprint(views.bp)
