"""Sign-in and sign-out, the profile page, API tokens, staff administration."""
import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer

from ..common.errors import DomainError
from ..common.web import EmptyForm, client_address, form_error, is_safe_next, page_number, staff_required
from ..extensions import db
from ..org import services as org
from . import services
from .forms import ChangePasswordForm, LanguageForm, LoginForm, ResetPasswordForm, TokenForm, UserForm
from .models import ApiToken, User

bp = Blueprint("accounts", __name__)

#: The browser's "device cookie": usernames that signed in from it before (signed, a year), so a flood of
#: failures against a username from elsewhere never locks its owner out here (``services.authenticate``).
DEVICE_COOKIE = "ilms_device"
DEVICE_NAMES = 5


def _device():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="ilms-login-device")


def _known_usernames():
    try:
        names = _device().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadSignature:
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _remember_device(response, username):
    names = [username] + [n for n in _known_usernames() if n != username]
    response.set_cookie(DEVICE_COOKIE, _device().dumps(names[:DEVICE_NAMES]), max_age=365 * 24 * 3600,
                        httponly=True, secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
                        samesite="Lax", path=url_for("accounts.login"))
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("main.dashboard"))
    status = 200
    if form.validate_on_submit():
        try:
            known = (form.username.data or "").strip().lower() in _known_usernames()
            user = services.authenticate(form.username.data, form.password.data, address=client_address(),
                                         known_device=known)
            record = services.start_session(user, address=client_address(),
                                            user_agent=request.headers.get("User-Agent", ""))
            db.session.commit()
        except services.BadCredentials as error:
            db.session.commit()  # keep the failure: it counts toward throttling
            flash(str(error.message), "error")
            status = 401
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            status = error.status_code
        else:
            session.clear()
            session.permanent = True
            session["sid"] = record.id
            login_user(user)
            target = form.next.data
            return _remember_device(redirect(target if is_safe_next(target) else url_for("main.dashboard")),
                                    user.username.lower())
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form, language_form=LanguageForm()), status


@bp.route("/logout", methods=["POST"])
def logout():
    EmptyForm().validate_on_submit() or abort(400)
    services.end_session(session.get("sid"))
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if not form.validate_on_submit() or form.language.data not in ("vi", "en"):
        abort(400)
    session["lang"] = form.language.data
    if current_user.is_authenticated:
        services.set_locale(current_user, form.language.data)
        db.session.commit()
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("main.dashboard"))


@bp.route("/profile")
@staff_required()
def profile():
    return render_template(
        "accounts/profile.html", password_form=ChangePasswordForm(), token_form=TokenForm(),
        tokens=services.tokens_of(current_user), revoke_form=EmptyForm())


@bp.route("/profile/password", methods=["POST"])
@staff_required()
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if form.new_password.data != form.confirm.data:
            form.confirm.errors = [_("The two new passwords differ.")]
        else:
            try:
                services.change_own_password(current_user, current_password=form.current_password.data,
                                             new_password=form.new_password.data,
                                             keep_session_id=session.get("sid"))
                db.session.commit()
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("accounts.profile"))
            except DomainError as error:
                form_error(form, error)
    return render_template("accounts/profile.html", password_form=form, token_form=TokenForm(),
                           tokens=services.tokens_of(current_user), revoke_form=EmptyForm()), 400


@bp.route("/profile/tokens", methods=["POST"])
@staff_required()
def create_token():
    form = TokenForm()
    if form.validate_on_submit():
        try:
            days = int(form.days.data or 0) or None
            token, secret = services.create_token(current_user, name=form.name.data, days=days)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            return render_template("accounts/token_created.html", token=token, secret=secret)
    return render_template("accounts/profile.html", password_form=ChangePasswordForm(), token_form=form,
                           tokens=services.tokens_of(current_user), revoke_form=EmptyForm()), 400


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@staff_required()
def revoke_token(token_id):
    EmptyForm().validate_on_submit() or abort(400)
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != current_user.id and not current_user.can("accounts.manage")):
        abort(404)
    services.revoke_token(token, actor=current_user)
    db.session.commit()
    flash(_("The token has been revoked."), "success")
    return redirect(url_for("accounts.profile"))


# -- staff administration ----------------------------------------------------

def _institution_choices():
    return [("", _("— province-wide —"))] + [
        (str(inst.id), ("\u2003" * depth) + inst.name) for inst, depth in org.tree()]


def _chosen_institution(form):
    value = form.institution.data
    return org.get(int(value)) if value else None


@bp.route("/admin/users")
@staff_required("accounts.manage")
def users():
    q = (request.args.get("q") or "").strip().lower()
    query = sa.select(User).order_by(User.active.desc(), User.username)
    if q:
        query = query.where(sa.or_(User.username.contains(q), sa.func.lower(User.full_name).contains(q)))
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    return render_template("accounts/users.html", page=page, q=q)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@staff_required("accounts.manage")
def create_user():
    form = UserForm()
    form.institution.choices = _institution_choices()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                actor=current_user, username=form.username.data, full_name=form.full_name.data,
                password=form.password.data, role=form.role.data, institution=_chosen_institution(form),
                email=form.email.data or "")
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for("accounts.edit_user", user_id=user.id))
    return render_template("accounts/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@staff_required("accounts.manage")
def edit_user(user_id):
    user = services.get_user(user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    form.institution.choices = _institution_choices()
    if request.method == "GET":
        form.role.data = user.role.value
        form.institution.data = str(user.institution_id or "")
    if form.validate_on_submit():
        try:
            services.update_user(user, actor=current_user, full_name=form.full_name.data,
                                 role=form.role.data, institution=_chosen_institution(form),
                                 email=form.email.data or "")
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Account %(name)s saved.", name=user.username), "success")
            return redirect(url_for("accounts.edit_user", user_id=user.id))
    return render_template("accounts/user_form.html", form=form, user=user,
                           reset_form=ResetPasswordForm(), action_form=EmptyForm())


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@staff_required("accounts.manage")
def set_user_active(user_id):
    EmptyForm().validate_on_submit() or abort(400)
    user = services.get_user(user_id)
    active = request.form.get("active") == "1"
    try:
        services.set_active(user, active, actor=current_user)
        db.session.commit()
        flash(_("Account activated.") if active else
              _("Account deactivated: its sessions and tokens no longer work."), "success")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/password", methods=["POST"])
@staff_required("accounts.manage")
def reset_password(user_id):
    user = services.get_user(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.new_password.data, actor=current_user)
            db.session.commit()
            flash(_("Temporary password set; %(name)s must choose a new one at next sign-in.",
                    name=user.username), "success")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    else:
        flash(_("Type a temporary password."), "error")
    return redirect(url_for("accounts.edit_user", user_id=user.id))
