import pytest

from tests.discussions.support import team_fixture
from tests.support.smtp import start_smtp

team = team_fixture()


@pytest.fixture
def smtp(app, tmp_path):
    """A real SMTP server the platform mails through."""
    controller, server = start_smtp(tmp_path)
    app.config["EMISA_SMTP_URL"] = server.url
    app.config["EMISA_SMTP_CA_FILE"] = server.ca_file
    app.config["EMISA_BASE_URL"] = "https://emisa.example"
    yield server
    controller.stop()
