"""LEDGER_WITNESS_KEYS / LEDGER_WITNESS_QUORUM are typed: a bad key or an impossible quorum stops
start-up naming the variable."""
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.cosign import Cosigner
from market import settings


def vkey(name):
    return Cosigner(name, Ed25519PrivateKey.generate()).key.vkey()


def test_witness_keys_and_quorum_are_read_and_checked():
    a, b = vkey("w1.example/w"), vkey("w2.example/w")
    loaded = settings.load({"LEDGER_WITNESS_KEYS": f"{a}, {b}", "LEDGER_WITNESS_QUORUM": "2"}, env_file=None)
    assert loaded.LEDGER_WITNESS_KEYS == [a, b] and loaded.LEDGER_WITNESS_QUORUM == 2
    with pytest.raises(settings.SettingsError, match="LEDGER_WITNESS_QUORUM"):
        settings.load({"LEDGER_WITNESS_KEYS": a, "LEDGER_WITNESS_QUORUM": "2"}, env_file=None)
    log_key = "smm.local/ledger+c9cca6c6+AYfeWnwDKevrF6bOihiipFpSYo6L7DEwdWMgbAH/UWa6"  # type 0x01, not a witness
    with pytest.raises(settings.SettingsError, match="LEDGER_WITNESS_KEYS"):
        settings.load({"LEDGER_WITNESS_KEYS": log_key}, env_file=None)
    with pytest.raises(settings.SettingsError, match="LEDGER_WITNESS_KEYS"):
        settings.load({"LEDGER_WITNESS_KEYS": f"{a},{a}"}, env_file=None)
