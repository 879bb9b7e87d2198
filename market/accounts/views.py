"""Portal: sign-up, login, logout, password reset, API tokens."""
import marshmallow as ma
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from market import policy
from market.accounts import services
from market.api_common import StrictSchema
from market.auth import portal_actor
from market.errors import Conflict, DomainError, Invalid
from market.i18n import locale_code
from market.mail.views import flash_where_mail_goes
from market.web import forms
from market.web.links import external_url
from market.web.redirects import local_path
from market.web.security import limiter

bp = Blueprint("accounts", __name__)
Password = lambda: ma.fields.String(required=True, validate=ma.validate.Length(min=10, max=200))  # noqa: E731


class SignUpForm(StrictSchema):
    email = ma.fields.Email(required=True)
    password = Password()
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    organization_name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(services.SELF_SERVICE_KINDS))


class ResetForm(StrictSchema):
    token = ma.fields.String(required=True)
    password = Password()


class MemberForm(StrictSchema):
    email = ma.fields.Email(required=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))


class TokenForm(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    scope = ma.fields.String(required=True, validate=ma.validate.OneOf(("read", "write")))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    values, errors = dict(request.args), {}
    if request.method == "POST":
        values = forms.clean(request.form)
        try:
            services.request_sign_up(**forms.load(SignUpForm(), values),
                                     confirm_url_for=lambda token: external_url("accounts.confirm", token=token),
                                     login_url=external_url("accounts.login"), language=locale_code())
            flash(_("We e-mailed a link to finish signing up to that address: open it within 24 hours."), "info")
            flash_where_mail_goes()
            return redirect(url_for("accounts.login"))
        except forms.FormError as exc:
            errors = exc.errors
        except DomainError as exc:
            errors = forms.as_form_error(exc).errors or {"_": [exc.detail]}
    return render_template("accounts/signup.html", values=values, errors=errors), 422 if errors else 200


@bp.route("/signup/confirm", methods=["GET", "POST"])
def confirm():
    """GET shows a button, POST signs up: a mail scanner opening the link changes nothing."""
    token, errors = request.values.get("token", ""), {}
    if request.method == "POST":
        try:
            login_user(services.confirm_sign_up(token))
            flash(_("Welcome! Your organization is ready."), "success")
            return redirect(url_for("web.dashboard"))
        except DomainError as exc:
            errors = {"token": [exc.detail]}
    return render_template("accounts/confirm.html", token=token, errors=errors), 422 if errors else 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    error = None
    if request.method == "POST":
        try:
            user = services.authenticate(request.form.get("email", ""), request.form.get("password", ""),
                                         source=request.remote_addr or "")
            login_user(user)
            return redirect(local_path(request.args.get("next"), url_for("web.dashboard")))
        except DomainError as exc:
            error = _("Too many failed attempts; try again later.") if exc.status == 403 else _("Wrong email or password.")
    return render_template("accounts/login.html", error=error, email=request.form.get("email", "")), 401 if error else 200


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        services.logged_out(current_user.id)
    logout_user()
    return redirect(url_for("web.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def forgot():
    if request.method == "POST":
        services.request_password_reset(request.form.get("email", ""),
                                        lambda token: external_url("accounts.reset", token=token),
                                        language=locale_code())
        flash(_("If an account exists for that address, we e-mailed a reset link to it."), "info")
        flash_where_mail_goes()
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html")


@bp.route("/password/reset", methods=["GET", "POST"])
def reset():
    errors = {}
    token = request.values.get("token", "")
    if request.method == "POST":
        try:
            data = forms.load(ResetForm(), forms.clean(request.form))
            services.reset_password(data["token"], data["password"])
            flash(_("Your password was changed. Please sign in."), "success")
            return redirect(url_for("accounts.login"))
        except forms.FormError as exc:
            errors = exc.errors
        except DomainError as exc:
            errors = {"token": [exc.detail]}
    return render_template("accounts/reset.html", token=token, errors=errors), 422 if errors else 200


@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    actor = portal_actor()
    new_token, errors, values = None, {}, {"scope": "write"}
    if request.method == "POST":
        values = forms.clean(request.form)
        try:
            data = forms.load(TokenForm(), values)
            _record, new_token = services.create_api_token(actor, **data)
            values = {"scope": "write"}
        except forms.FormError as exc:
            errors = exc.errors
    return render_template("accounts/tokens.html", tokens=services.list_api_tokens(actor),
                           new_token=new_token, errors=errors, values=values,
                           may_revoke=lambda token: policy.may_revoke_token(actor, token)), 422 if errors else 200


@bp.post("/settings/tokens/<uuid:token_id>/revoke")
@login_required
def revoke(token_id):
    services.revoke_api_token(portal_actor(), token_id)
    flash(_("Token revoked."), "success")
    return redirect(url_for("accounts.tokens"))


@bp.route("/settings/team", methods=["GET", "POST"])
@login_required
def team():
    actor = portal_actor()
    errors, values = {}, {}
    if request.method == "POST":
        values = forms.clean(request.form)
        try:
            data = forms.load(MemberForm(), values)
            services.add_member(actor, **data, language=locale_code(),
                                set_password_url_for=lambda token: external_url("accounts.reset", token=token))
            # the link goes to the new member only (never shown to the owner, who could use it)
            flash(_("Member added. We e-mailed %(email)s a link to choose a password.", email=data["email"]), "success")
            flash_where_mail_goes()
            values = {}
        except forms.FormError as exc:
            errors = exc.errors
        except (Invalid, Conflict) as exc:
            errors = exc.errors or {"_": [exc.detail]}
    return render_template("accounts/team.html", members=services.list_members(actor), values=values,
                           errors=errors, is_owner=actor.role == "owner"), 422 if errors else 200
