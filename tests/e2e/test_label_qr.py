"""In a browser: the printed lot label's QR code scans to the lot's public trace page,
decoded from the rendered pixels by a real QR decoder (zbar), as a phone would."""
import shutil
import subprocess

import pytest

from market.production import codes
from tests.e2e.test_journey_production import login
from tests.market.test_production import accepted  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


def decode_qr(png) -> list[str]:
    """Every QR code zbar finds in an image (Debian's zbar-tools)."""
    if not shutil.which("zbarimg"):
        pytest.fail("zbarimg not found: install Debian's zbar-tools package (.ci/run does)")
    done = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
                          capture_output=True, text=True, timeout=60)
    return done.stdout.splitlines()


@pytest.mark.parametrize("media", ["screen", "print"])
def test_a_phone_scans_the_lot_label_to_the_lots_trace_page(live_server, browser, shot, media,
                                                           accepted, two_sites):  # noqa: F811
    _, mill, _, order = accepted
    lot = mill.post(f"/api/v1/orders/{order['id']}/lots", json={}).get_json()
    page = login(browser, live_server, two_sites[0]["tenant"].email)
    page.emulate_media(media=media)
    page.goto(f"{live_server}/lots/{lot['id']}/label")
    box = page.locator(".label .qr svg").bounding_box()
    assert 140 <= box["width"] <= 160 and box["width"] == box["height"]  # 40 mm at 96 CSS px per inch
    scanned = decode_qr(shot(page, media))
    assert scanned == [f"{live_server}/trace/{codes.normalize(lot['trace_code'])}"]
    page.goto(scanned[0])  # and the phone follows it to the lot
    assert lot["trace_code"] in page.inner_text("main")
