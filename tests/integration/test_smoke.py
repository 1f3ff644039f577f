from tests.conftest import ADMIN_ID, MakeApp
from tests.support.chat import ChatClient


async def test_start(make_app: MakeApp) -> None:
    app = await make_app()
    alice = ChatClient(app, 42)
    await alice.send("/start")
    assert "Welcome" in alice.text
    admin = ChatClient(app, ADMIN_ID)
    await admin.send("/start")
    assert "secretariat" in admin.text
