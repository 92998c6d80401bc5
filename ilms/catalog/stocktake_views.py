"""Staff screens of the stocktake (kiểm kê): open, scan or upload, pause and resume, close, withdraw, report.

A section of the catalogue's blueprint (``/catalog/stocktakes/...``); its
forms live here too, since no other screen uses them. The scan box answers
by JSON when the page's script asks (no page load per scan) and by a
redirect otherwise, as the checkout desk does.
"""
from __future__ import annotations

from flask import Response, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..common.errors import DomainError
from ..common.fields import DateField
from ..common.time import local_today
from ..common.web import EmptyForm, form_error, staff_required
from ..extensions import db
from . import services
from . import stocktake as st
from .views import bp

#: Rows of each list shown on the page; the report has them all.
LIST_LIMIT = 200
#: Missing copies listed for withdrawal at once (those withdrawn go to the end, the next ones come up).
MISSING_LIMIT = 1000


class OpenStocktakeForm(FlaskForm):
    institution = SelectField(_l("Library"), validators=[DataRequired()])
    name = StringField(_l("Name of the stocktake"), validators=[Optional(), Length(max=200)],
                       description=_l("For example: Kiểm kê kho mở 2026"))
    location = StringField(_l("Location"), validators=[Optional(), Length(max=120)],
                           description=_l("Only shelves whose name begins with this text; empty: all."))
    shelf_from = StringField(_l("From shelf"), validators=[Optional(), Length(max=120)])
    shelf_to = StringField(_l("To shelf"), validators=[Optional(), Length(max=120)])
    call_from = StringField(_l("From call number"), validators=[Optional(), Length(max=120)])
    call_to = StringField(_l("To call number"), validators=[Optional(), Length(max=120)])


class ScanForm(FlaskForm):
    code = StringField(_l("Barcode"), validators=[Optional(), Length(max=200)])


class UploadForm(FlaskForm):
    file = FileField(_l("Scanner file"), validators=[FileRequired(_l("Choose the scanner's file."))],
                     description=_l("A text file, one barcode a line (at most 2 MB)."))


class WithdrawMissingForm(FlaskForm):
    date = DateField(_l("Withdrawal date"), validators=[DataRequired()])


def _libraries():
    return [inst for inst in services.libraries() if current_user.can("catalog.edit", inst)]


def _stocktake(stocktake_id):
    """The stocktake, for staff of its institution only (another library's staff get 403)."""
    try:
        return st.get_stocktake(stocktake_id, actor=current_user)
    except DomainError as error:
        abort(getattr(error, "status_code", 400))


def _wants_json():
    return request.accept_mimetypes.best == "application/json"


@bp.route("/stocktakes")
@staff_required("catalog.edit")
def stocktakes():
    return render_template("catalog/stocktakes.html", stocktakes=st.stocktakes_for(current_user),
                           can_open=bool(_libraries()))


@bp.route("/stocktakes/new", methods=["GET", "POST"])
@staff_required("catalog.edit")
def stocktake_new():
    libraries = _libraries()
    if not libraries:
        abort(403)
    form = OpenStocktakeForm()
    form.institution.choices = [(str(i.id), i.name) for i in libraries]
    if request.method == "GET":
        mine = getattr(current_user, "institution_id", None)
        form.institution.data = str(mine if any(i.id == mine for i in libraries) else libraries[0].id)
    if form.validate_on_submit():
        institution = next((i for i in libraries if str(i.id) == form.institution.data), None)
        try:
            if institution is None:
                raise DomainError(_("Choose one of your libraries."), field="institution")
            made = st.open_stocktake(institution, actor=current_user, name=form.name.data or "",
                                     location=form.location.data or "", shelf_from=form.shelf_from.data or "",
                                     shelf_to=form.shelf_to.data or "", call_from=form.call_from.data or "",
                                     call_to=form.call_to.data or "")
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Stocktake opened: %(n)d copies are expected on the shelves. Scan them.",
                    n=made.expected_count), "success")
            return redirect(url_for("catalog.stocktake", stocktake_id=made.id))
    return render_template("catalog/stocktake_new.html", form=form)


def _page_context(stocktake):
    closed = stocktake.status == st.StocktakeStatus.CLOSED
    context = {"stocktake": stocktake, "counts": st.counts(stocktake), "SeenAs": st.SeenAs,
               "Status": st.StocktakeStatus, "action_form": EmptyForm(), "limit": LIST_LIMIT,
               "missing_limit": MISSING_LIMIT,
               "elsewhere": st.entries(stocktake, kinds=st.ELSEWHERE, limit=LIST_LIMIT),
               "twice": st.entries(stocktake, twice=True, limit=LIST_LIMIT)}
    if closed:
        context["missing"] = st.missing(stocktake, limit=MISSING_LIMIT + 1)
        context["withdraw_form"] = WithdrawMissingForm(date=local_today()) if request.method == "GET" else \
            WithdrawMissingForm()
    else:
        context["scan_form"] = ScanForm()
        context["upload_form"] = UploadForm()
    return context


@bp.route("/stocktakes/<int:stocktake_id>")
@staff_required("catalog.edit")
def stocktake(stocktake_id):
    item = _stocktake(stocktake_id)
    return render_template("catalog/stocktake.html", result=session.pop("stocktake_result", None),
                           **_page_context(item))


@bp.route("/stocktakes/<int:stocktake_id>/counts")
@staff_required("catalog.edit")
def stocktake_counts(stocktake_id):
    """The live figures as JSON (the page asks every few seconds, so other staff's scans show up)."""
    item = _stocktake(stocktake_id)
    return jsonify({"status": item.status.value, "counts": st.counts(item)})


def _result(level, message, *, barcode="", kind="", detail=""):
    return {"level": level, "message": str(message)[:300], "barcode": barcode[:40], "kind": kind,
            "detail": str(detail)[:300]}


def _scan_message(result):
    item = result.item
    title = item.record.title if item is not None else ""
    if result.seen_as == st.SeenAs.FOUND:
        level, message = "ok", _("Found: %(barcode)s “%(title)s”", barcode=result.barcode, title=title)
    elif result.seen_as == st.SeenAs.UNKNOWN:
        level, message = "error", _("%(barcode)s: no copy has this barcode. Put the book aside for checking.",
                                    barcode=result.barcode)
    elif result.seen_as == st.SeenAs.OTHER_LIBRARY:
        level, message = "warn", _("%(barcode)s “%(title)s” belongs to %(library)s: put it aside to send back.",
                                   barcode=result.barcode, title=title, library=item.institution.name)
    elif result.seen_as == st.SeenAs.ON_LOAN:
        level, message = "warn", _("%(barcode)s “%(title)s” is recorded as on loan: the loan was never "
                                   "returned. Return it at the desk.", barcode=result.barcode, title=title)
    elif result.seen_as == st.SeenAs.WITHDRAWN:
        level, message = "warn", _("%(barcode)s “%(title)s” was withdrawn: take it off the shelf.",
                                   barcode=result.barcode, title=title)
    elif result.seen_as == st.SeenAs.AWAY:
        level, message = "warn", _("%(barcode)s “%(title)s” is recorded as in transit or in rotation: "
                                   "check it in.", barcode=result.barcode, title=title)
    else:
        level, message = "warn", _("%(barcode)s “%(title)s” stands outside this stocktake's shelves (%(shelf)s "
                                   "%(call)s): put it back in its place.", barcode=result.barcode, title=title,
                                   shelf=item.shelf or "—", call=item.call_number or "")
    detail = _("Seen %(n)d times: counted once.", n=result.scans) if result.repeated else ""
    if result.repeated and level == "ok":
        level = "warn"
    return _result(level, message, barcode=result.barcode, kind=result.seen_as.value, detail=detail)


def _answer(stocktake, result):
    if not _wants_json():
        session["stocktake_result"] = result
        return redirect(url_for("catalog.stocktake", stocktake_id=stocktake.id), 303)
    return jsonify({**result, "counts": st.counts(stocktake), "status": stocktake.status.value,
                    "result_html": render_template("catalog/_stocktake_result.html", result=result)})


@bp.route("/stocktakes/<int:stocktake_id>/scan", methods=["POST"])
@staff_required("catalog.edit")
def stocktake_scan(stocktake_id):
    item = _stocktake(stocktake_id)
    form = ScanForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        outcome = st.record_scan(item, form.code.data or "", actor=current_user)
        # the answer is drawn inside the scan's transaction: nothing is read twice, one write lock per scan
        response = _answer(item, _scan_message(outcome))
        db.session.commit()
        return response
    except DomainError as error:
        db.session.rollback()
        result = _result("error", error.message, barcode=(form.code.data or "").strip()[:40], kind=error.code)
    return _answer(item, result)


@bp.route("/stocktakes/<int:stocktake_id>/upload", methods=["POST"])
@staff_required("catalog.edit")
def stocktake_upload(stocktake_id):
    item = _stocktake(stocktake_id)
    form = UploadForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(" ".join(str(e) for e in form.file.errors) or _("Choose the scanner's file."), "error")
        return redirect(url_for("catalog.stocktake", stocktake_id=item.id))
    data = form.file.data.stream.read(st.MAX_UPLOAD_BYTES + 1)
    try:
        done = st.record_upload(item, data, actor=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("%(n)d barcodes counted from the file: %(found)d found, %(other)d to look at.",
                n=sum(done.values()), found=done.get(st.SeenAs.FOUND, 0),
                other=sum(v for k, v in done.items() if k != st.SeenAs.FOUND)), "success")
    return redirect(url_for("catalog.stocktake", stocktake_id=item.id))


def _state_change(stocktake_id, change, message):
    item = _stocktake(stocktake_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        change(item, actor=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(message, "success")
    return redirect(url_for("catalog.stocktake", stocktake_id=item.id))


@bp.route("/stocktakes/<int:stocktake_id>/pause", methods=["POST"])
@staff_required("catalog.edit")
def stocktake_pause(stocktake_id):
    return _state_change(stocktake_id, st.pause_stocktake,
                         _("Stocktake paused. Any of the library's staff can resume it."))


@bp.route("/stocktakes/<int:stocktake_id>/resume", methods=["POST"])
@staff_required("catalog.edit")
def stocktake_resume(stocktake_id):
    return _state_change(stocktake_id, st.resume_stocktake, _("Stocktake resumed: scan on."))


@bp.route("/stocktakes/<int:stocktake_id>/close", methods=["POST"])
@staff_required("catalog.edit")
def stocktake_close(stocktake_id):
    return _state_change(stocktake_id, st.close_stocktake,
                         _("Stocktake closed. Tick the missing copies to withdraw as lost, then print the report."))


@bp.route("/stocktakes/<int:stocktake_id>/withdraw", methods=["POST"])
@staff_required("catalog.edit")
def stocktake_withdraw(stocktake_id):
    item = _stocktake(stocktake_id)
    form = WithdrawMissingForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(_("Give the withdrawal date (dd/mm/yyyy)."), "error")
        return redirect(url_for("catalog.stocktake", stocktake_id=item.id))
    ids = [v for v in request.form.getlist("items") if v.isdigit()][:st.MAX_UPLOAD_LINES]
    try:
        done = st.withdraw_missing(item, ids, actor=current_user, date=form.date.data)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("%(n)d copies withdrawn as lost.", n=len(done)), "success")
    return redirect(url_for("catalog.stocktake", stocktake_id=item.id, _anchor="missing"))


@bp.route("/stocktakes/<int:stocktake_id>/report.<fmt>")
@staff_required("catalog.edit")
def stocktake_report(stocktake_id, fmt):
    from . import stocktake_report as report
    if fmt not in ("xlsx", "pdf"):
        abort(404)
    item = _stocktake(stocktake_id)
    doc = report.build(item)
    data = report.to_xlsx(doc) if fmt == "xlsx" else report.to_pdf(doc)
    mimetype = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
                else "application/pdf")
    name = f"kiem-ke-{item.id}-{local_today().isoformat()}.{fmt}"
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})
