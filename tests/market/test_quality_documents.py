"""Quality documents on lots: hashed onto the ledger, shown (or only their hash, when private)
on the public trace page, and required by the buyer before a lot may ship."""
import hashlib
import io
import json

from tests.market.test_materials import STEEL, entry, record
from tests.market.test_production import accepted, make_lot  # noqa: F401 - fixture

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def attach(client, url, kind, *, public=False, body=PDF, name="coc.pdf"):
    data = {"kind": kind, "file": (io.BytesIO(body), name)}
    if public:
        data["public"] = "true"
    return client.post(url, data=data, content_type="multipart/form-data")


def test_a_documents_hash_is_on_the_ledger_and_a_private_ones_name_is_not(app, client, accepted, api, tenant):
    buyer, mill, finish, order = accepted
    lot, url = make_lot(buyer, mill, finish, order)
    coc = attach(finish, f"{url}/documents", "coc", public=True, body=PDF + b"coc", name="CoC-0917.pdf")
    assert coc.status_code == 201, coc.get_json()
    fai = attach(finish, f"{url}/documents", "fai", body=PDF + b"fai", name="FAI-secret-customer.pdf")
    assert fai.status_code == 201
    coc, fai = coc.get_json(), fai.get_json()
    assert coc["sha256"] == hashlib.sha256(PDF + b"coc").hexdigest()
    public_event, private_event = entry(app, coc["ledger_index"]), entry(app, fai["ledger_index"])
    assert public_event["type"] == "document.attached" and public_event["data"]["filename"] == "CoC-0917.pdf"
    assert private_event["data"]["sha256"] == hashlib.sha256(PDF + b"fai").hexdigest()
    assert "secret-customer" not in json.dumps(private_event) and "commitment" in private_event["data"]
    # the trace page: the public one with its name and a download, the private one only its hash
    trace = client.get(f"/api/v1/trace/{lot['trace_code']}").get_json()
    assert [(d["kind"], d["filename"]) for d in trace["documents"]] == [("coc", "CoC-0917.pdf"), ("fai", None)]
    assert {coc["ledger_index"], fai["ledger_index"]} <= set(trace["own_entries"])
    page = client.get(f"/trace/{lot['trace_code']}").get_data(as_text=True)
    assert "CoC-0917.pdf" in page and fai["sha256"] in page and "secret-customer" not in page
    assert client.get(f"/trace/{lot['trace_code']}/documents/{coc['id']}").data == PDF + b"coc"
    assert client.get(f"/trace/{lot['trace_code']}/documents/{fai['id']}").status_code == 404
    # the parties download either; another tenant finds neither
    assert buyer.get(f"/api/v1/documents/{fai['id']}/file").data == PDF + b"fai"
    assert api(tenant("buyer")).get(f"/api/v1/documents/{fai['id']}/file").status_code == 404


def test_bad_documents_are_refused_and_nothing_is_written(accepted, tmp_path):
    buyer, mill, finish, order = accepted
    lot, url = make_lot(buyer, mill, finish, order)
    assert attach(finish, f"{url}/documents", "warranty").status_code == 422
    assert attach(finish, f"{url}/documents", "coc", body=b"MZ\x90\x00 not a pdf").status_code == 415
    assert attach(finish, f"{url}/documents", "coc", name="coc.exe").status_code == 415
    assert attach(buyer, f"{url}/documents", "coc").status_code == 403  # the buyer does not certify its own parts
    assert finish.get(f"{url}/documents").get_json()["items"] == []
    uploads = tmp_path / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())  # a refused file leaves nothing behind


def test_a_lot_ships_only_with_the_documents_its_buyer_requires(accepted):
    buyer, mill, finish, order = accepted
    required = f"/api/v1/orders/{order['id']}/required-documents"
    assert finish.put(required, json={"documents": ["coc"]}).status_code == 403  # the buyer's to say
    bad = buyer.put(required, json={"documents": ["coc", "horoscope"]})
    assert bad.status_code == 422 and "documents" in bad.get_json()["errors"]
    answer = buyer.put(required, json={"documents": ["material_cert", "coc", "fai", "coc"]})
    assert answer.status_code == 200 and answer.get_json()["required_documents"] == ["coc", "fai", "material_cert"]
    steel = record(mill, quantity="50")
    lot, url = make_lot(buyer, mill, finish, order)
    assert mill.post(f"{url}/inputs", json={"material_lot_id": steel["id"], "quantity": "12"}).status_code == 201
    refused = finish.post(f"{url}/shipment", json={"carrier": "SF"})
    assert refused.status_code == 409 and refused.get_json()["missing_documents"] == ["coc", "fai", "material_cert"]
    assert "documents" in refused.get_json()["errors"]
    assert attach(finish, f"{url}/documents", "coc").status_code == 201
    assert attach(finish, f"{url}/documents", "fai").status_code == 201
    refused = finish.post(f"{url}/shipment", json={"carrier": "SF"})
    assert refused.status_code == 409 and refused.get_json()["missing_documents"] == ["material_cert"]
    # the mill certificate of the material lot the parts were made from satisfies it
    cert = attach(mill, f"/api/v1/material-lots/{steel['id']}/documents", "material_cert", name="mill-cert.pdf")
    assert cert.status_code == 201
    assert finish.post(f"{url}/shipment", json={"carrier": "SF"}).status_code == 200
    assert buyer.put(required, json={"documents": []}).status_code == 409  # the order has shipped


def test_an_order_without_requirements_ships_as_before(accepted):
    buyer, mill, finish, order = accepted
    lot, url = make_lot(buyer, mill, finish, order)
    assert finish.post(f"{url}/shipment", json={"carrier": "SF"}).status_code == 200


def test_the_buyer_sets_required_documents_on_the_order_page(app, accepted):
    buyer, mill, finish, order = accepted
    web = app.test_client()
    assert web.post("/login", data={"email": buyer.email, "password": "correct-horse-1"}).status_code == 302
    assert 'id="save-required-documents"' in web.get(f"/orders/{order['id']}").get_data(as_text=True)
    saved = web.post(f"/orders/{order['id']}/required-documents", data={"documents": ["coc", "fai"]},
                     follow_redirects=True).get_data(as_text=True)
    assert 'id="require-coc" checked' in saved and 'id="require-fai" checked' in saved
    assert 'id="require-material_cert" checked' not in saved
    lot, url = make_lot(buyer, mill, finish, order)
    refused = finish.post(f"{url}/shipment", json={"carrier": "SF"})
    assert refused.status_code == 409 and refused.get_json()["missing_documents"] == ["coc", "fai"]
