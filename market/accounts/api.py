"""REST API for the calling organization and its tokens."""
from uuid import UUID

import marshmallow as ma
from flask_smorest import Blueprint

from market.accounts import services
from market.api_common import PageArgs, StrictSchema, page_schema
from market.auth import api_actor, require_token
from market.pagination import page_of

blp = Blueprint("accounts_api", __name__, url_prefix="/api/v1", description="Organization and tokens")


class OrganizationOut(ma.Schema):
    id = ma.fields.UUID(attribute="public_id")
    kind = ma.fields.String()
    name = ma.fields.String()
    created_at = ma.fields.DateTime()


class OrganizationPatch(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))


class TokenOut(ma.Schema):
    id = ma.fields.UUID(attribute="public_id")
    name = ma.fields.String()
    prefix = ma.fields.String()
    scope = ma.fields.String()
    created_at = ma.fields.DateTime()
    last_used_at = ma.fields.DateTime(allow_none=True)
    revoked_at = ma.fields.DateTime(allow_none=True)


@blp.route("/organizations/me")
@require_token("read")
@blp.response(200, OrganizationOut)
def me():
    """Your organization: name, kind and public id."""
    return services.get_organization(api_actor())


@blp.route("/organizations/me", methods=["PATCH"])
@require_token("write")
@blp.arguments(OrganizationPatch)
@blp.response(200, OrganizationOut)
def rename(data):
    """Rename your organization (owners only)."""
    return services.rename_organization(api_actor(), data["name"])


@blp.route("/tokens")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(TokenOut))
def tokens(args):
    """This organization's API tokens (never their secret; tokens are created in the portal)."""
    return page_of(services.list_api_tokens(api_actor()), **args)


@blp.route("/tokens/<uuid:token_id>", methods=["DELETE"])
@require_token("write")
@blp.response(200, TokenOut)
def revoke(token_id: UUID):
    """Revoke an API token: it stops working at once."""
    return services.revoke_api_token(api_actor(), token_id)
