from tests.discussions.support import team_fixture

team = team_fixture()
