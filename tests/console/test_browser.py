"""The console in Debian's Chromium (Playwright) against real calls through Asterisk 22.

One browser for the module; each test gets its own Asterisk, Redis, controller (with the
``operators`` and ``kontaktcenter`` ACD queues) and console. Operators and agents have
simulated phones that answer at once. The operator tests use the keyboard only (log-in
included). Screenshots of the three views go to docs/console/.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from console.auth import Role
from console.outcomes import OutcomeKind
from directory.api import Directory
from infra.ami import AmiClient
from infra.paths import repo_root
from routing.model import CallState
from switchboard.operator import Settings
from tests.console.support import PASSWORD, add_users, make_deps, served
from tests.integration.acd import AcdController, acd_config_for, ivr_call_id, queued_call
from tests.integration.controller import seed_directory
from tests.integration.test_operators_acd import to_the_operators
from vaxel.testing.calls import Harness

pytestmark = [pytest.mark.integration, pytest.mark.serial, pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.skipif(shutil.which("chromium") is None,
                                 reason="Debian's chromium is not installed (bin/setup)")]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = repo_root() / "docs" / "console"
CITY = "4000"
OPERATORS = {"group": "operators", "ring_timeout_s": 6, "wrap_up_s": 2, "hold_s": 2,
             "callback_after_s": 0}
KONTAKTCENTER = {"ring_timeout_s": 6, "wrap_up_s": 60, "hold_s": 2, "callback_after_s": 0}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(loop_scope="module")
async def harness(asterisk: Any) -> AsyncIterator[Harness]:
    p = asterisk.params
    async with Harness(p.ami_port, p.harness_user, p.harness_secret) as h:
        yield h


@pytest_asyncio.fixture(loop_scope="module")
async def city(tmp_path, fastagi_port, redis_server, asterisk) -> AsyncIterator[Any]:  # type: ignore[no-untyped-def]
    """Controller + console; yields (deps, base URL)."""
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    seed_directory(url)
    config = acd_config_for(tmp_path, fastagi_port, redis_server, asterisk, url, KONTAKTCENTER,
                            {"operators": OPERATORS})
    controller = await AcdController(config).start()
    await controller.wait_router()
    p = asterisk.params
    ami = AmiClient("127.0.0.1", p.ami_port, p.ami_user, p.ami_secret)
    await ami.connect()
    deps = make_deps(redis_server.url, directory=Directory.open(url), ami=ami,
                     operator_settings=Settings(ring_s=8, return_ring_s=5))
    await deps.users.add_user("eva", Role.OPERATOR, PASSWORD, "Local/1001@sim-phones")
    await deps.users.add_user("anna", Role.AGENT, PASSWORD, "Local/2000@sim-phones")
    await add_users(deps, sam=Role.SUPERVISOR)
    try:
        async with served(deps) as base:
            yield deps, base
    finally:
        await ami.close()
        await controller.stop()
        await deps.redis.aclose()


async def open_page(browser: Any, base: str, name: str, *, keyboard: bool = False) -> Any:
    page = await browser.new_page(viewport={"width": 1440, "height": 900})
    await page.goto(base + "/login")
    if keyboard:
        await page.keyboard.type(name)
        await page.keyboard.press("Tab")
        await page.keyboard.type(PASSWORD)
        await page.keyboard.press("Enter")
    else:
        await page.fill("input[name=name]", name)
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
    await page.wait_for_selector("body[data-user]")
    # The first snapshot comes over the WebSocket; with Asterisk, a browser and the console
    # sharing two cores it once took over 30 s (a clean-clone CI run): wait up to 60 s.
    await page.wait_for_function("() => typeof Live !== 'undefined' && Live.snapshot !== null",
                                 timeout=60_000)
    return page


async def operator_with_call(browser: Any, deps: Any, base: str, harness: Harness,
                             caller: str) -> tuple[Any, Any]:
    """Eva logs in to the queue and pauses (keys L, S); a caller waits; she answers (A)."""
    page = await open_page(browser, base, "eva", keyboard=True)
    await page.keyboard.press("l")
    await page.wait_for_selector("#my-state.available")
    await page.keyboard.press("s")
    await page.wait_for_selector("#my-state.paused")
    call = await to_the_operators(harness, CITY, caller)
    await page.wait_for_selector(f"#waiting li:has-text('{caller}')", timeout=30_000)
    await page.keyboard.press("a")
    await harness.wait_answered("1001", timeout=30)
    await page.wait_for_selector(f"#hand-caller:has-text('{caller}')", timeout=15_000)
    return page, call


async def test_operator_answers_finds_by_part_of_name_and_transfers_with_keyboard_only(
        browser, city, harness):
    deps, base = city
    page, call = await operator_with_call(browser, deps, base, harness, "0701111111")
    assert "main_menu" in await page.inner_text("#hand-path")
    await page.keyboard.press("/")
    await page.keyboard.type("ekstr")
    await page.wait_for_selector("#hits li.sel:has-text('Anna Ekström')")
    assert await page.inner_text("#hits li.sel .tag.free")
    await page.screenshot(path=str(SHOTS / "operator.png"))
    await page.keyboard.press("Enter")
    await harness.wait_answered("4711", timeout=20)
    bridged = await call.wait_for(lambda e: e.get("Event") == "BridgeEnter" and
                                  e.get("Channel", "").startswith("Local/4711@sim-phones"),
                                  20, "the employee's phone in a bridge")
    assert bridged["BridgeNumChannels"] in ("1", "2")
    await page.close()


async def test_attended_transfer_cancelled_and_the_caller_is_back_with_the_operator(
        browser, city, harness):
    deps, base = city
    page, call = await operator_with_call(browser, deps, base, harness, "0702222222")
    await page.keyboard.press("/")
    await page.keyboard.type("öberg")
    await page.wait_for_selector("#hits li.sel:has-text('Öberg')")
    await page.keyboard.press("Shift+Enter")
    await page.wait_for_selector("#consulting:not([hidden])")
    await harness.wait_answered("4712", timeout=20)
    await page.keyboard.press("Escape")
    await page.keyboard.press("x")
    await call.wait_event("VaxelConsultBack", timeout=15)
    caller = ivr_call_id(call)
    channel = deps_channel = None
    for _ in range(50):
        channel = (await page.evaluate("() => 0")) or None  # keep the page alive
        deps_channel = await caller_peer(deps, caller)
        if deps_channel.startswith("Local/1001@sim-phones"):
            break
        await asyncio.sleep(0.1)
    assert deps_channel.startswith("Local/1001@sim-phones"), deps_channel
    assert channel is None
    await page.close()


async def caller_peer(deps: Any, call_id: str) -> str:
    rows = await deps.ami.core_show_channels()
    name = next((r["Channel"] for r in rows if r.get("Uniqueid") == call_id), "")
    if not name:
        return ""
    try:
        reply = await deps.ami.action({"Action": "Getvar", "Channel": name,
                                       "Variable": "BRIDGEPEER"})
    except Exception:  # noqa: BLE001 (not bridged yet)
        return ""
    return str(reply.get("Value") or "")


async def test_agent_takes_a_queued_call_and_records_resolved_at_first_contact(
        browser, city, harness):
    deps, base = city
    page = await open_page(browser, base, "anna")
    await page.keyboard.press("l")
    await page.wait_for_selector("#agent-state.available")
    await page.keyboard.press("s")
    await page.wait_for_selector("#agent-state.paused")
    call = await queued_call(harness, caller_id="0703333333")
    call_id = ivr_call_id(call)
    await page.keyboard.press("r")
    await harness.wait_answered("2000", timeout=30)
    await page.wait_for_selector("#agent-state.on_call", timeout=15_000)
    await page.wait_for_selector("#call-caller:has-text('0703333333')")
    await call.hangup()
    await page.wait_for_selector("#outcome-panel.active", timeout=15_000)
    await page.fill("#outcome-topic", "bygglov")
    await page.screenshot(path=str(SHOTS / "agent.png"))
    await page.keyboard.press("Control+Enter")
    await page.wait_for_selector("#outcome-result:has-text('" + call_id + "')")
    stored = await deps.outcomes.for_call(call_id)
    assert stored is not None and stored.kind is OutcomeKind.RESOLVED
    assert (stored.agent_id, stored.queue, stored.topic) == ("anna", "kontaktcenter", "bygglov")
    await page.close()


async def test_wallboard_shows_a_new_waiting_call_within_one_second(browser, city, harness):
    deps, base = city
    await deps.desk.login("bo", "Local/2001@sim-phones", queues=["kontaktcenter"])
    await deps.desk.login("anna", "Local/2000@sim-phones", queues=["kontaktcenter"],
                          skills={"topic:bygglov": 3})
    await deps.desk.pause("anna", "lunch")
    page = await open_page(browser, base, "sam")
    await page.wait_for_selector("tr[data-queue=kontaktcenter] .waiting-now:has-text('0')")
    first = await queued_call(harness, caller_id="0705555555")
    await harness.wait_answered("2001", timeout=30)
    await page.wait_for_selector("tr[data-agent=bo] .state.on_call", timeout=10_000)
    await page.evaluate("""() => { window.__seen = null;
        new MutationObserver(() => {
          const cell = document.querySelector("tr[data-queue=kontaktcenter] .waiting-now");
          if (cell && cell.textContent === "1" && !window.__seen) window.__seen = Date.now();
        }).observe(document.getElementById("board"), {subtree: true, childList: true,
                                                       characterData: true}); }""")
    call = await queued_call(harness, caller_id="0704444444")
    await page.wait_for_function("() => window.__seen !== null", timeout=5000)
    seen = await page.evaluate("() => window.__seen") / 1000
    enqueued = await enqueue_time(deps, ivr_call_id(call))
    assert seen - enqueued < 1.0, f"shown {seen - enqueued:.2f} s after it was queued"
    assert (await deps.routing.call(ivr_call_id(call))).state is CallState.WAITING
    await page.wait_for_selector("tr[data-agent=anna] .state.paused")
    await asyncio.sleep(3)   # the longest wait ticks on the board
    await page.screenshot(path=str(SHOTS / "wallboard.png"))
    assert ivr_call_id(first) != ivr_call_id(call)
    await page.close()


async def enqueue_time(deps: Any, call_id: str) -> float:
    for _id, e in await deps.routing.events("0-0", count=10_000):
        if e.get("kind") == "call_enqueued" and e.get("call_id") == call_id:
            return float(e["at"])
    raise AssertionError(f"{call_id} was never enqueued")


async def test_an_agents_token_gets_403_on_a_deploy_and_a_gone_call_409(city, harness):
    deps, base = city
    token = await deps.users.create_token("anna", Role.AGENT)
    async with httpx.AsyncClient(base_url=base) as client:
        reply = await client.post("/api/dialplans/deploy",
                                  headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 403
        operator = await deps.users.create_token("eva", Role.OPERATOR)
        call = await queued_call(harness, caller_id="0706666666")
        call_id = ivr_call_id(call)
        await call.hangup()
        await call.wait_hangup()
        started = time.monotonic()
        while time.monotonic() - started < 5:
            reply = await client.post("/api/operator/transfer",
                                      json={"call_id": call_id, "target": "4711"},
                                      headers={"Authorization": f"Bearer {operator}"})
            if reply.status_code != 200:
                break
        assert reply.status_code == 409, reply.text
        assert "lagt på" in reply.json()["message"] and "hung up" in reply.json()["message"]
