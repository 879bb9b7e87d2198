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


class LoginForm(StrictSchema):
    # no format check on the address nor a minimum on the password: an account made under
    # older rules still signs in, and a wrong one costs a failure (the throttle) like any other
    email = ma.fields.String(required=True, validate=ma.validate.Length(max=254))
    password = ma.fields.String(required=True, validate=ma.validate.Length(max=200))


class ForgotForm(StrictSchema):
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))


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
    token, errors, status = request.values.get("token", ""), {}, 200
    if request.method == "POST":
        try:
            login_user(services.confirm_sign_up(token))
            flash(_("Welcome! Your organization is ready."), "success")
            return redirect(url_for("web.dashboard"))
        except DomainError as exc:
            errors, status = forms.refused(exc)
    return render_template("accounts/confirm.html", token=token, errors=errors), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        # the typed address comes back, the password never; a refusal names no field, so the
        # page does not tell whether an account has the address
        values = {k: v for k, v in forms.clean(request.form).items() if k != "password"}
        try:
            data = forms.load(LoginForm(), forms.clean(request.form))
            login_user(services.authenticate(data["email"], data["password"], source=request.remote_addr or ""))
            return redirect(local_path(request.args.get("next"), url_for("web.dashboard")))
        except forms.FormError as exc:
            errors, status = forms.refused(exc)
        except DomainError as exc:  # a lock or a wrong pair: 401 either way, for any address
            errors, status = {"_": [_("Too many failed attempts; try again later.") if exc.status == 403
                                    else _("Wrong email or password.")]}, 401
    return render_template("accounts/login.html", values=values, errors=errors), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        services.logged_out(current_user.id)
    logout_user()
    return redirect(url_for("web.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def forgot():
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = forms.clean(request.form)
        try:
            data = forms.load(ForgotForm(), values)
            services.request_password_reset(data["email"], lambda token: external_url("accounts.reset", token=token),
                                            language=locale_code())
            flash(_("If an account exists for that address, we e-mailed a reset link to it."), "info")
            flash_where_mail_goes()
            return redirect(url_for("accounts.login"))
        except forms.FormError as exc:
            errors, status = forms.refused(exc)
    return render_template("accounts/forgot.html", values=values, errors=errors), status


@bp.route("/password/reset", methods=["GET", "POST"])
def reset():
    errors, status = {}, 200
    token = request.values.get("token", "")
    if request.method == "POST":
        try:
            data = forms.load(ResetForm(), forms.clean(request.form))
            services.reset_password(data["token"], data["password"])
            flash(_("Your password was changed. Please sign in."), "success")
            return redirect(url_for("accounts.login"))
        except (forms.FormError, DomainError) as exc:
            errors, status = forms.refused(exc)
    return render_template("accounts/reset.html", token=token, errors=errors), status


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
