"""The dev key file under var/: threads (or processes) starting together all end up with
the one key on disk, and none reads a half-written file (found by the database-restart
fault test: the first requests of a fresh app raced here)."""
import threading

from ledger.signing import load_or_create_private_key, public_key_bytes


def test_concurrent_first_use_yields_one_complete_key(tmp_path):
    for round_ in range(20):
        path = tmp_path / f"r{round_}" / "ledger_ed25519.key"
        barrier, keys, errors = threading.Barrier(8), [], []

        def use():
            barrier.wait()
            try:
                keys.append(public_key_bytes(load_or_create_private_key(path)))
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)

        threads = [threading.Thread(target=use) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(set(keys)) == 1 and public_key_bytes(load_or_create_private_key(path)) == keys[0]
        assert [p.name for p in path.parent.iterdir()] == ["ledger_ed25519.key"]  # no temporary left
        assert path.stat().st_mode & 0o077 == 0
