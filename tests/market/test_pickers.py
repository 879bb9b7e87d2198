"""Forms pick orders, factories, machines and organizations by name, never by a typed id, and
offer only what the user may see: the financing form's accepted orders, the material form's
orders, the lessor's consenting factories and their machines, the operator's factory
organizations."""
import html
import re

from tests.conftest import order_body
from tests.market.test_leasing import world  # noqa: F401  (fixture)
from tests.market.test_production import accepted  # noqa: F401  (fixture)


def _login(app, email, language="en"):
    client = app.test_client()
    headers = {"Accept-Language": language}
    assert client.post("/login", data={"email": email, "password": "correct-horse-1"}, headers=headers).status_code == 302
    return client, headers


def _options(page: str, select_name: str) -> dict[str, str]:
    """{value: shown text} of a <select name=...> (the "—" choice left out)."""
    body = re.search(rf'<select[^>]*name="{select_name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return {v: html.unescape(t).strip() for v, t in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', body) if v}


def test_the_financing_and_material_forms_pick_the_factorys_accepted_orders_by_title(app, tenant, accepted, two_sites):  # noqa: F811
    buyer, _mill, _finish, order = accepted
    buyer.post("/api/v1/orders", json=order_body(title="Not placed yet"))
    web, headers = _login(app, two_sites[0]["tenant"].email)
    credit = web.get("/credit", headers=headers).get_data(as_text=True)
    assert 'name="order_id"' in credit and not re.search(r'<input[^>]*name="order_id"', credit)
    assert _options(credit, "order_id") == {order["id"]: "Bracket · BR-1"}  # the accepted one only
    assert "Order id" not in credit
    materials = web.get("/materials", headers=headers).get_data(as_text=True)
    assert _options(materials, "order_id") == {order["id"]: "Bracket · BR-1"}

    stranger, headers = _login(app, tenant("factory", "Elsewhere").email)
    assert _options(stranger.get("/credit", headers=headers).get_data(as_text=True), "order_id") == {}


def test_the_lessor_picks_consenting_factories_their_machines_and_a_supplier_by_name(app, world):  # noqa: F811
    web, headers = _login(app, world["lessor_tenant"].email)
    page = web.get("/leases", headers=headers).get_data(as_text=True)
    assert _options(page, "factory_id") == {world["factory"]["id"]: "Test Works"}
    assert _options(page, "machine_id") == {world["machine"]["id"]: "Test Works · VMC-850"}  # not Other's lathe
    suppliers = _options(page, "supplier_id")
    assert suppliers[world["supplier_id"]] == "Machine Tool Co" and "Leasing Co" not in suppliers.values()
    assert "Factory id" not in page and "Machine id" not in page


def test_a_lender_without_consent_is_offered_no_factory_and_told_how_to_get_one(app, tenant, world):  # noqa: F811
    web, headers = _login(app, tenant("lender", "Bank C").email)
    page = web.get("/leases", headers=headers).get_data(as_text=True)
    assert _options(page, "factory_id") == {} and _options(page, "machine_id") == {}
    assert 'id="no-consenting-factory"' in page


def test_the_operator_picks_a_factory_organization_by_name_for_its_subscription_tier(app, tenant, two_sites):
    web, headers = _login(app, tenant("operator").email)
    page = web.get("/operator/revenue", headers=headers).get_data(as_text=True)
    assert set(_options(page, "organization_id").values()) == {"Mill Works", "Finish Lab"}
    assert "Organization id" not in page
