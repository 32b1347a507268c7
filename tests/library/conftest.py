from tests.documents.conftest import team, upload  # noqa: F401  (shared fixtures)
