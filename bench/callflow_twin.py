"""The city flow's bench path in plain dialplan: the yardstick the controller is held to.

``dialplans/city-main.yaml`` for a caller who presses ``#`` (Swedish), ``1`` and an
extension, written as Asterisk dialplan with no controller: the same prompts
(welcome; choose_language, 2 s, one key; main_menu, 5 s, one key; enter_extension,
5 s, up to 6 keys ending in #; connecting), the same directory answer (AstDB
``benchdir/<extension>`` holds the device the SQLite directory gives the controller)
and the same transfer (Dial for 20 s). Any other key or an unknown extension goes to
``vaxel-fallback`` as a failed controller would. ``VaxelListening`` before each Read
tells the bench caller to press its keys (the controller's cue is its GET DATA);
``BenchStep`` marks the other commands so an IVR step is timed the same way on both.
Installed over AMI (``DialplanExtensionAdd``) into the benchmark's own Asterisk.
"""

from __future__ import annotations

from callflow_ami import Ami

TWIN_CONTEXT = "bench-twin"
#: Where the bench moves a caller's own half (AMI Redirect) to press keys: ``k<keys>``
#: with ``h`` for ``#``. SendDTMF runs in the caller's channel thread; AMI PlayDTMF would
#: hold the bench's one AMI session for each digit's duration (ast_senddigit_external).
KEYS_CONTEXT = "bench-keys"
KEYS = [("Set", "K=${EXTEN:1}"), ("SendDTMF", "${STRREPLACE(K,h,#)},60,80"),
        ("Wait", "300"), ("Hangup", "")]
#: The bench callers' own half: answers and stays silent. The tests' ``sim-caller`` plays
#: music so that the IVR side's Answer() returns at the first frame; a thousand callers
#: playing music took both cores from Asterisk, so a bench caller costs the IVR side's
#: Answer() its 500 ms wait instead (the same on both sides).
CALLER_CONTEXT = "bench-caller"
CALLER = [("Answer", ""), ("Wait", "300"), ("Hangup", "")]
#: Simulated phones the bench reaches: hang up as soon as they answer (calls stay short).
PHONES = ("4711", "1000", "1001", "2000")
#: The directory's answer for the bench's extension (seed_directory's Anna Ekström).
DIRECTORY = {"4711": "Local/4711@sim-phones"}


def twin_priorities(sounds: str) -> list[tuple[str, str]]:
    """(application, data) for priorities 1, 2, ... of ``_X.`` in the twin context."""
    s = sounds.rstrip("/")
    return [
        ("Set", "IVR_DONE=0"),                                        # 1
        ("Set", "__VAXEL_ENTRY=${EXTEN}"),                            # 2
        ("Answer", ""),                                               # 3
        ("UserEvent", "BenchStep"),                                   # 4
        ("Playback", f"{s}/sv/welcome"),                              # 5
        ("UserEvent", "VaxelListening"),                              # 6
        ("Read", f"LANG,{s}/sv/choose_language,1,,1,2"),              # 7
        ("Set", "L=${IF($[\"${LANG}\" = \"9\"]?en:sv)}"),             # 8
        ("UserEvent", "VaxelListening"),                              # 9
        ("Read", f"CHOICE,{s}/${{L}}/main_menu,1,,1,5"),              # 10
        ("GotoIf", "$[\"${CHOICE}\" = \"1\"]?13"),                     # 11
        ("Goto", "vaxel-fallback,s,1"),                               # 12
        ("UserEvent", "VaxelListening"),                              # 13
        ("Read", f"EXT,{s}/${{L}}/enter_extension,6,,1,5"),           # 14
        ("Set", "DEV=${DB(benchdir/${EXT})}"),                        # 15
        ("GotoIf", "$[\"${DEV}\" = \"\"]?vaxel-fallback,s,1"),         # 16
        ("UserEvent", "BenchStep"),                                   # 17
        ("Playback", f"{s}/${{L}}/connecting"),                       # 18
        ("Dial", "${DEV},20"),                                        # 19
        ("Hangup", ""),                                               # 20
    ]


async def install_twin(ami: Ami, sounds: str) -> None:
    """Add the twin context, the directory answer and the phones' behaviour over AMI."""
    for priority, (app, data) in enumerate(twin_priorities(sounds), start=1):
        await _ok(ami, {"Action": "DialplanExtensionAdd", "Context": TWIN_CONTEXT,
                        "Extension": "_X.", "Priority": str(priority), "Application": app,
                        "ApplicationData": data, "Replace": "yes"})
    for priority, (app, data) in enumerate(KEYS, start=1):
        await _ok(ami, {"Action": "DialplanExtensionAdd", "Context": KEYS_CONTEXT,
                        "Extension": "_k.", "Priority": str(priority), "Application": app,
                        "ApplicationData": data, "Replace": "yes"})
    for priority, (app, data) in enumerate(CALLER, start=1):
        await _ok(ami, {"Action": "DialplanExtensionAdd", "Context": CALLER_CONTEXT,
                        "Extension": "s", "Priority": str(priority), "Application": app,
                        "ApplicationData": data, "Replace": "yes"})
    for ext, device in DIRECTORY.items():
        await _ok(ami, {"Action": "DBPut", "Family": "benchdir", "Key": ext, "Val": device})
    for phone in PHONES:
        await _ok(ami, {"Action": "DBPut", "Family": "simphone-talk", "Key": phone, "Val": "0"})


async def _ok(ami: Ami, action: dict[str, str]) -> None:
    reply = await ami.action(action)
    if reply.get("Response") != "Success":
        raise RuntimeError(f"{action['Action']} refused: {reply}")
