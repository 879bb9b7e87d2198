"""Driving the portal's confirmation dialogs in a browser."""


def confirm(page, selector: str, before=None):
    """Click an irreversible action's button (templates/macros.html `confirm`), then the
    confirming button of the dialog it opens (`before()` first, to look at it), and wait for
    the page the action leads to."""
    page.click(selector)
    dialog = page.locator("dialog.confirm-dialog[open]")
    dialog.wait_for(state="visible")
    if before:
        before()
    with page.expect_navigation():
        dialog.locator("button.confirm-go").click()
    return page
