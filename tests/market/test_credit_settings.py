"""Credit settings come from the environment: the base rate prices the band, the scorecard
version selects the artifact."""
import pytest


def test_the_base_rate_and_scorecard_version_are_read_from_the_environment(monkeypatch, tmp_path):
    from market import create_app
    from market.credit import report

    monkeypatch.setenv("CREDIT_BASE_RATE_BP", "425")
    monkeypatch.setenv("CREDIT_SCORECARD_VERSION", "sc-87708623fc7b")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "VAR_DIR": str(tmp_path),
                      "SECRET_KEY": "s"})
    assert app.config["CREDIT_BASE_RATE_BP"] == 425
    with app.app_context():
        assert report.active_scorecard().version == "sc-87708623fc7b"
        app.config["CREDIT_SCORECARD_VERSION"] = "sc-000000000000"
        with pytest.raises(FileNotFoundError, match="sc-000000000000"):
            report.active_scorecard()
