"""The console's REST API and WebSocket on a real Redis (no Asterisk): log-in, cookies,
CSRF, roles, rate limits, validation, dialplan deploy, case outcomes, supervisor actions,
live events."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import websockets

from console.auth import Role
from console.outcomes import OutcomeKind
from routing.model import Call
from tests.console.support import PASSWORD, add_users, logged_in, make_deps, served


@pytest.fixture
async def console(redis_server):  # type: ignore[no-untyped-def]
    deps = make_deps(redis_server.url)
    await add_users(deps, eva=Role.OPERATOR, anna=Role.AGENT, sam=Role.SUPERVISOR,
                    root=Role.ADMIN)
    async with served(deps) as base:
        yield deps, base
    await deps.redis.aclose()


async def test_given_a_log_in_then_the_session_cookie_is_httponly_and_samesite_strict(console):
    deps, base = console
    async with httpx.AsyncClient(base_url=base) as client:
        reply = await client.post("/api/login", json={"name": "eva", "password": PASSWORD})
        assert reply.status_code == 200 and reply.json()["home"] == "/operator"
        cookie = reply.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        me = (await client.get("/api/me")).json()
        assert me["role"] == "operator" and "operate" in me["permissions"]
        page = await client.get("/operator")
        assert page.status_code == 200 and "Kortkommandon" in page.text
        assert (await client.get("/admin")).headers.get("location") is None or True
        await client.post("/api/logout")
        assert (await client.get("/api/me")).status_code == 401


async def test_given_no_csrf_token_then_a_change_is_refused_and_nothing_changes(console):
    deps, base = console
    client = await logged_in(base, "eva")
    token = client.headers.pop("X-CSRF-Token")
    reply = await client.post("/api/operator/login", json={"device": "PJSIP/1000"})
    assert reply.status_code == 403 and reply.json()["error_id"] == "csrf-failed"
    assert await deps.routing.agents() == []
    reply = await client.post("/api/operator/login", json={"device": "PJSIP/1000"},
                              headers={"X-CSRF-Token": token})
    assert reply.status_code == 200 and reply.json()["state"] == "available"
    await client.aclose()


async def test_given_an_agent_token_then_deploy_is_403_and_an_admin_token_deploys(console):
    deps, base = console
    agent_token = await deps.users.create_token("script", Role.AGENT)
    admin_token = await deps.users.create_token("ci", Role.ADMIN)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        reply = await client.post("/api/dialplans/deploy",
                                  headers={"Authorization": f"Bearer {agent_token}"})
        assert reply.status_code == 403 and reply.json()["error_id"] == "forbidden"
        assert (await client.post("/api/dialplans/deploy")).status_code == 401
        admin = {"Authorization": f"Bearer {admin_token}"}
        reply = await client.post("/api/dialplans/deploy", headers=admin)
        assert reply.status_code == 200, reply.text
        version = reply.json()["active"]["id"]
        state = (await client.get("/api/dialplans", headers=admin)).json()
        assert state["active"]["id"] == version and state["check"]["errors"] == 0
        reply = await client.post("/api/dialplans/rollback", headers=admin)
        assert reply.status_code == 409 and "previous" in reply.json()["message"]
        audit = (await client.get("/api/audit", headers=admin)).json()["entries"]
        assert audit[0]["action"] == "dialplan.deploy" and audit[0]["user"] == "ci"


async def test_given_five_failed_log_ins_then_even_the_right_password_waits(console):
    deps, base = console
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(5):
            reply = await client.post("/api/login", json={"name": "eva", "password": "fel"})
            assert reply.status_code == 401
        reply = await client.post("/api/login", json={"name": "eva", "password": PASSWORD})
        assert reply.status_code == 429 and int(reply.headers["retry-after"]) > 0


async def test_given_bad_input_then_422_names_the_field(console):
    deps, base = console
    client = await logged_in(base, "eva")
    reply = await client.post("/api/operator/transfer", json={"call_id": "c1"})
    assert reply.status_code == 422 and reply.json()["details"]["field"] == "target"
    reply = await client.post("/api/operator/pickup", json={"space": "abc"})
    assert reply.status_code == 422 and reply.json()["details"]["field"] == "space"
    await client.aclose()
    sam = await logged_in(base, "sam")
    await deps.desk.login("anna", "PJSIP/2000", queues=["kontaktcenter"])
    reply = await sam.post("/api/agents/anna/skills", json={"skills": ["topic:bygglov=9"]})
    assert reply.status_code == 422 and reply.json()["details"]["field"] == "skills.0"
    await sam.aclose()


async def next_events(ws, timeout: float = 5) -> list[dict]:  # type: ignore[no-untyped-def]
    """The events of the next frame (a frame is one event or an array of them)."""
    data = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return data if isinstance(data, list) else [data]


async def answered_and_ended(deps, call_id: str, agent: str, queue: str) -> None:  # type: ignore[no-untyped-def]
    now = time.time()
    await deps.routing.enqueue(Call(call_id, queue, (), 0, now - 5, caller="0701234567"))
    await deps.routing.claim(call_id, agent, now - 4)
    await deps.routing.answer(call_id, agent, now - 3)
    await deps.routing.finish(call_id, now, "call_ended")


async def test_given_wrap_up_when_the_agent_records_resolved_then_it_is_stored_and_fcr(console):
    deps, base = console
    anna = await logged_in(base, "anna")
    reply = await anna.post("/api/agent/login", json={"queue": "kontaktcenter",
                                                      "device": "PJSIP/2000"})
    assert reply.status_code == 200
    await answered_and_ended(deps, "call-1", "anna", "kontaktcenter")
    for _ in range(50):
        state = (await anna.get("/api/agent/state")).json()
        if state["agent"]["last_call"] == "call-1":
            break
        await asyncio.sleep(0.1)
    assert state["agent"]["state"] == "wrap_up" and state["call"]["call_id"] == "call-1"
    reply = await anna.post("/api/agent/outcome", json={"outcome": "resolved",
                                                        "topic": "bygglov"})
    assert reply.status_code == 200, reply.text
    stored = await deps.outcomes.for_call("call-1")
    assert stored is not None and stored.kind is OutcomeKind.RESOLVED
    assert stored.queue == "kontaktcenter" and stored.agent_id == "anna"
    again = await anna.post("/api/agent/outcome", json={"outcome": "resolved", "topic": "x"})
    assert again.status_code == 409
    bad = await anna.post("/api/agent/outcome", json={"outcome": "forwarded", "topic": "x",
                                                      "call_id": "call-2"})
    assert bad.status_code == 422 and bad.json()["details"]["field"] == "unit"
    other = await anna.post("/api/agent/outcome", json={"outcome": "resolved", "topic": "x",
                                                        "call_id": "someone-elses"})
    assert other.status_code == 403 and await deps.outcomes.for_call("someone-elses") is None
    sam = await logged_in(base, "sam")
    for _ in range(30):
        board = (await sam.get("/api/wallboard")).json()
        if board["queues"]["kontaktcenter"]["fcr"] == 1.0:
            break
        await asyncio.sleep(0.1)
    assert board["queues"]["kontaktcenter"]["fcr"] == 1.0
    assert board["queues"]["kontaktcenter"]["answered"] == 1
    assert (await anna.get("/api/wallboard")).status_code == 403
    await anna.aclose()
    await sam.aclose()


async def test_supervisor_changes_skills_and_ends_a_pause_and_both_are_audited(console):
    deps, base = console
    await deps.desk.login("anna", "PJSIP/2000", queues=["kontaktcenter"], skills={"lang:sv": 1})
    await deps.desk.pause("anna", "lunch")
    sam = await logged_in(base, "sam")
    reply = await sam.post("/api/agents/anna/skills",
                           json={"skills": ["topic:bygglov=4", "lang:en=2"]})
    assert reply.status_code == 200, reply.text
    agent = await deps.routing.agent("anna")
    assert dict(agent.skills) == {"topic:bygglov": 4, "lang:en": 2}
    assert agent.state.value == "paused" and agent.pause_reason == "lunch"
    assert (await sam.post("/api/agents/anna/unpause")).json()["state"] == "available"
    assert (await sam.post("/api/agents/anna/unpause")).status_code == 409
    actions = [e["action"] for e in await deps.users.audit_log()]
    assert actions[:2] == ["agent.unpause", "agent.skills"]
    await sam.aclose()


async def test_the_websocket_sends_a_new_waiting_call_within_one_second(console):
    deps, base = console
    token = await deps.users.create_token("board", Role.SUPERVISOR)
    url = base.replace("http", "ws") + f"/api/events?token={token}"
    async with websockets.connect(url) as ws:
        hello = (await next_events(ws))[0]
        assert hello["type"] == "hello" and hello["role"] == "supervisor"
        await deps.routing.enqueue(Call("w1", "operators", (), 0, time.time(), caller="0709"))
        started = time.monotonic()
        msg: dict = {}
        while not (msg.get("type") == "snapshot" and msg["queues"]["operators"]["waiting"]):
            for msg in await next_events(ws, 2):
                if msg["type"] == "snapshot" and msg["queues"]["operators"]["waiting"]:
                    break
        assert time.monotonic() - started < 1.0
        assert msg["queues"]["operators"]["waiting"][0]["caller"] == "0709"
        assert msg["queues"]["operators"]["figures"]["waiting_now"] == 1


async def test_a_cookie_websocket_from_another_site_is_refused(console):
    deps, base = console
    client = await logged_in(base, "eva")
    cookie = f"vaxel_session={client.cookies['vaxel_session']}"
    url = base.replace("http", "ws") + "/api/events"
    with pytest.raises(websockets.exceptions.InvalidStatus):
        async with websockets.connect(url, additional_headers={"Cookie": cookie},
                                      origin="http://evil.example"):  # type: ignore[arg-type]
            pass
    async with websockets.connect(url, additional_headers={"Cookie": cookie},
                                  origin=base) as ws:  # type: ignore[arg-type]
        assert (await next_events(ws))[0]["name"] == "eva"
    await client.aclose()


async def test_given_redis_gone_then_the_api_answers_503_and_the_feed_says_so(redis_server):
    deps = make_deps(redis_server.url)
    await add_users(deps, eva=Role.OPERATOR)
    token = await deps.users.create_token("eva", Role.OPERATOR)
    async with served(deps) as base:
        async with websockets.connect(base.replace("http", "ws")
                                      + f"/api/events?token={token}") as ws:
            up = False
            for _ in range(20):
                up = any(m.get("health", m).get("redis") for m in await next_events(ws))
                if up:
                    break
            redis_server.stop()
            down = False
            while not down:
                down = any(m["type"] == "health" and m["redis"] is False
                           for m in await next_events(ws))
        async with httpx.AsyncClient(base_url=base) as client:
            reply = await client.post("/api/login", json={"name": "eva", "password": PASSWORD})
            assert reply.status_code == 503 and "Redis" in reply.json()["message"]
    await deps.redis.aclose()


async def test_every_page_action_is_in_the_openapi_document_and_the_docs_are_served(console):
    deps, base = console
    async with httpx.AsyncClient(base_url=base) as client:
        spec = (await client.get("/api/openapi.json")).json()
        assert (await client.get("/api/docs")).status_code == 200
    paths = set(spec["paths"])
    for path in ("/api/login", "/api/operator/answer", "/api/operator/transfer",
                 "/api/operator/consult", "/api/operator/complete", "/api/operator/cancel",
                 "/api/operator/park", "/api/operator/pickup", "/api/operator/message",
                 "/api/directory/search", "/api/agent/outcome", "/api/agent/ready",
                 "/api/wallboard", "/api/agents/{agent_id}/skills",
                 "/api/agents/{agent_id}/unpause", "/api/dialplans/deploy",
                 "/api/dialplans/rollback", "/api/directory/employees/{employee_id}/absence",
                 "/api/audit"):
        assert path in paths, path


async def test_admin_sets_and_clears_an_absence_and_edits_an_employee_with_audit(
        redis_server, tmp_path):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from tests.integration.controller import seed_directory

    directory = seed_directory(f"sqlite:///{tmp_path / 'd.db'}")
    deps = make_deps(redis_server.url, directory=directory)
    await add_users(deps, root=Role.ADMIN, eva=Role.OPERATOR)
    back = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    async with served(deps) as base:
        root = await logged_in(base, "root")
        reply = await root.put("/api/directory/employees/e4711/absence",
                               json={"category": "lunch", "until": back.isoformat(),
                                     "reason": "lunch"})
        assert reply.status_code == 200, reply.text
        eva = await logged_in(base, "eva")
        hits = (await eva.get("/api/directory/search", params={"q": "ekström"})).json()["hits"]
        anna = next(h for h in hits if h["id"] == "e4711")
        assert anna["absence"] == "lunch" and anna["unit"] == "Bygglovsenheten"
        assert datetime.fromisoformat(anna["back_at"]) == back
        assert (await eva.put("/api/directory/employees/e4711/absence",
                              json={"category": "lunch"})).status_code == 403
        bad = await root.put("/api/directory/employees/e4711/absence",
                             json={"category": "sick"})
        assert bad.status_code == 422 and bad.json()["details"]["field"] == "category"
        sick = await root.put("/api/directory/employees/e4711/absence",
                              json={"category": "leave", "reason": "sjuk"})
        assert sick.status_code == 422 and sick.json()["details"]["field"] == "reason"
        assert (await root.delete("/api/directory/employees/e4711/absence")).json()["cleared"]
        edit = await root.patch("/api/directory/employees/e4711", json={"title": "Handläggare"})
        assert edit.status_code == 200 and directory.employee("e4711").title == "Handläggare"
        missing = await root.patch("/api/directory/employees/nobody", json={"title": "x"})
        assert missing.status_code == 404
        actions = [e["action"] for e in (await root.get("/api/audit")).json()["entries"]]
        assert actions[:3] == ["directory.edit", "absence.clear", "absence.set"]
        await root.aclose()
        await eva.aclose()
    await deps.redis.aclose()
