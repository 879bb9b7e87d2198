from ledger.disclosure import commit, new_salt, opens


def test_commitment_opens_only_with_the_same_payload_and_salt():
    salt = new_salt()
    c = commit({"amount": 125000, "currency": "CNY"}, salt)
    assert opens(c, {"currency": "CNY", "amount": 125000}, salt)  # key order does not matter
    assert not opens(c, {"amount": 125001, "currency": "CNY"}, salt)
    assert not opens(c, {"amount": 125000, "currency": "CNY"}, new_salt())
    assert not opens(c, {"amount": 125000, "currency": "CNY"}, "not hex")
