#!/usr/bin/python3
"""The Cockpit page in Debian's headless chromium, served by Debian's
cockpit-ws and cockpit-bridge, reading guestinfod (or the fake daemon, for
guest data the test driver cannot give) on a private bus.

usage: test-browser.py CASE      (one of the names in CASES)
Each case starts its own parts and stops them by PID, also on failure."""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, log, wait_for  # noqa: E402

from selenium.common.exceptions import NoAlertPresentException  # noqa: E402

HOSTILE = "<img src=x onerror=alert(1)>"
# Elements that markup in guest data would make; the page itself makes none.
FOREIGN = "img, script, svg, iframe, video, object, b, i, u, a[href='x']"
# How long a change on the bus may take to show (it takes ~100 ms; the
# bound leaves room for a loaded 2-core machine).
LIVE_S = 10
# The kinds of GuestDataStatus, in the daemon's order (docs/dbus-api.md).
DAEMON_KINDS = ["agent", "os", "hostname", "timezone", "users", "filesystems", "interfaces", "fsfreeze", "vcpus",
                "load", "disks", "clock", "nic-counters", "cpu-counters", "disk-counters"]
# What the real qemu-ga 7.2 of the test guest answers: every kind but the load (guest-get-load is 10.0's).
REAL_AGENT_STATES = [[k, "unsupported" if k == "load" else "fresh"] for k in DAEMON_KINDS]


def domain_xml(name, uuid=None):
    name = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    u = "<uuid>%s</uuid>" % uuid if uuid else ""
    return ("<domain type='test'><name>%s</name>%s<memory unit='MiB'>64</memory>"
            "<os><type>hvm</type></os></domain>" % (name, u))


def define(s, names, start=()):
    """Defines (and starts) test-driver domains through one virsh process."""
    cmds = []
    for i, n in enumerate(names):
        path = os.path.join(s.dir, "dom-%d.xml" % i)
        with open(path, "w") as f:
            f.write(domain_xml(n))
        cmds.append("define " + path)
    for n in start:
        cmds.append("start '%s'" % n)
    s.virsh(*cmds)


def names_in_list(s):
    return sorted(r[0] for r in s.rows())


def row_of(s, name):
    for r in s.rows():
        if r[0] == name:
            return r
    return None


def mark_page(s):
    """A value that a reload would lose: proves a change came live."""
    s.driver.execute_script("window.giMarker = 42")


def assert_not_reloaded(s):
    assert s.driver.execute_script("return window.giMarker") == 42, "the page was reloaded"


def no_foreign_elements(s):
    found = s.driver.execute_script(
        "return [...document.getElementById('app').querySelectorAll(arguments[0])].map(e => e.outerHTML)", FOREIGN)
    assert found == [], "markup from guest data became elements: %r" % found


def no_alert(s):
    try:
        text = s.driver.switch_to.alert.text
    except NoAlertPresentException:
        return
    raise AssertionError("a script from guest data ran: alert(%r)" % text)


def app_text(s):
    return s.driver.execute_script("return document.getElementById('app').textContent")


def open_vm(s, name):
    """Opens a VM's page from the list, as a person does."""
    links = [a for a in s.driver.find_elements("css selector", "#gi-rows a.gi-name") if a.text == name]
    assert links, "no link to %r in the list" % name
    links[0].click()
    wait_for("the page of %r" % name,
             lambda: s.driver.execute_script("const t = document.getElementById('gi-vm-name');"
                                             "return t && t.textContent") == name)


def text_of(s, css):
    return s.driver.execute_script("const e = document.querySelector(arguments[0]); return e && e.textContent", css)


def table_rows(s, table_id):
    """A table of the VM page: [cell text, ...] a row."""
    return s.driver.execute_script("return [...document.querySelectorAll(arguments[0])]"
                                   ".map(r => [...r.cells].map(c => c.textContent))", "#%s tbody tr" % table_id)


def follow_disk_link(s, device):
    """Clicks a filesystem's link to its disk; the Disks row it marks."""
    links = [b for b in s.driver.find_elements("css selector", "#gi-fs-table .gi-disk-link") if b.text == device]
    assert links, "no link to the disk %r in %r" % (device, text_of(s, "#gi-fs-table"))
    s.driver.execute_script("arguments[0].click()", links[0])
    return s.driver.execute_script("const r = document.querySelector('#gi-disks-table tr.gi-shown');"
                                   "return r && [...r.cells].map(c => c.textContent)")


def kinds_table(s):
    """The VM page's "Data kinds" card: [kind, state, collected, message] a row."""
    return s.driver.execute_script("return [...document.querySelectorAll('#gi-kinds-table tbody tr')]"
                                   ".map(r => [...r.cells].map(c => c.textContent))")


# ---- the cases ----

def case_list(s):
    s.start_all()
    define(s, ["alpha", "bravo", "charlie"], start=["alpha", "bravo"])
    expected = sorted(s.virsh("list --all --name").split())
    assert expected == ["alpha", "bravo", "charlie", "test"], expected
    s.open()
    wait_for("the test driver's domains in the list", lambda: names_in_list(s) == expected)
    assert row_of(s, "alpha")[1] == "Running"
    assert row_of(s, "charlie")[1] == "Shut off"
    assert row_of(s, "test")[2] == "Not connected"
    assert text_of(s, "#gi-count") == "4 VMs"
    assert s.driver.execute_script("return document.getElementById('gi-list').classList.contains('gi-greyed')") is False
    # Sorting by state, then filtering, are done in the page.
    s.find("th[data-key='state'] button").click()
    assert [r[1] for r in s.rows()] == ["Running", "Running", "Running", "Shut off"], s.rows()
    s.find("th[data-key='state'] button").click()
    assert s.rows()[0][0] == "charlie", s.rows()
    s.find("#gi-filter").send_keys("rav")
    wait_for("the filter", lambda: names_in_list(s) == ["bravo"])
    assert text_of(s, "#gi-count") == "4 VMs · 1 shown"
    s.check_console()


def case_vm_page(s):
    s.start_all()
    s.open()
    wait_for("the list", lambda: names_in_list(s) == ["test"])
    uuid = s.virsh("domuuid test").strip()
    mac = s.virsh("domiflist test").split()[-1]
    open_vm(s, "test")
    assert s.driver.current_url.endswith("#/" + uuid.replace("-", "")), s.driver.current_url
    assert text_of(s, "#gi-vm-state") == "Running"
    assert text_of(s, "#gi-uuid") == uuid
    assert text_of(s, "#gi-agent-connected") == "no"
    # The test driver's domain has no agent channel: the page says so, from
    # the daemon's GuestDataReason.
    assert text_of(s, "#gi-os .gi-missing") == "The VM has no guest agent channel.", text_of(s, "#gi-os .gi-missing")
    assert text_of(s, "#gi-reason") == "The VM has no guest agent channel."
    # Its interfaces come from the domain XML, without an agent.
    assert mac in text_of(s, "#gi-net-table"), (mac, text_of(s, "#gi-net-table"))

    # Its GuestDataStatus: every kind the daemon publishes, none asked, none collected; no freeze known.
    kinds = kinds_table(s)
    assert [k[0] for k in kinds] == DAEMON_KINDS, kinds
    assert all(k[1:3] == ["not-asked", "never"] for k in kinds), kinds
    assert text_of(s, "#gi-freeze") is None
    # Stopped: the reason follows, live.
    s.virsh("destroy test")
    wait_for("the stopped VM's reason", lambda: text_of(s, "#gi-reason") == "The VM is not running.", timeout=LIVE_S)
    s.find("#gi-back").click()
    wait_for("back to the list", lambda: names_in_list(s) == ["test"])
    assert row_of(s, "test")[1] == "Shut off"
    s.check_console()


def case_guest_data(s):
    """Everything a guest reports, from the daemon's own bus code."""
    s.start_all(fake="ordinary")
    s.open()
    wait_for("the list", lambda: names_in_list(s) == ["build-01", "db-01", "web-01"])
    web = row_of(s, "web-01")
    assert web[1:6] == ["Running", "Connected", "Debian GNU/Linux 12 (bookworm)", "web-01.example.com",
                        "192.168.122.10/24 fe80::5054:ff:fe12:3456/64"], web
    assert row_of(s, "db-01")[1] == "Paused"
    assert row_of(s, "build-01")[1:5] == ["Shut off", "Not connected", "", ""]
    s.screenshot("list.png")
    open_vm(s, "web-01")
    assert text_of(s, "#gi-os-name") == "Debian GNU/Linux 12 (bookworm)"
    assert text_of(s, "#gi-kernel").startswith("6.1.0-18-amd64 #1 SMP")
    assert text_of(s, "#gi-hostname") == "web-01.example.com"
    users = s.driver.execute_script("return [...document.querySelectorAll('#gi-users-table tbody tr')]"
                                    ".map(r => r.cells[0].textContent)")
    assert users == ["root", "alice"], users
    mounts = s.driver.execute_script("return [...document.querySelectorAll('#gi-fs-table tbody tr')]"
                                     ".map(r => r.cells[0].textContent)")
    assert mounts == ["/", "/boot/efi"], mounts
    # The guest's disks, linked to the domain's (target, source) and from the filesystems by device.
    assert table_rows(s, "gi-disks-table") == [
        ["/dev/vda", "no", "", "0QEMU_QEMU_HARDDISK_drive-virtio-disk0", "virtio", "vda",
         "/var/lib/libvirt/images/web-01.qcow2"],
        ["/dev/vda1", "yes", "/dev/vda", "", "", "", ""],
        ["/dev/vda15", "yes", "/dev/vda", "", "", "", ""]], table_rows(s, "gi-disks-table")
    fs_disks = [r[4] for r in table_rows(s, "gi-fs-table")]
    assert fs_disks == ["/dev/vda · domain disk vda · 0QEMU_QEMU_HARDDISK_drive-virtio-disk0 · virtio"] * 2, fs_disks
    assert follow_disk_link(s, "/dev/vda")[0] == "/dev/vda"
    # vCPUs, load and clock, from their kinds.
    assert text_of(s, "#gi-vcpus") == "2 of 2 online"
    assert text_of(s, "#gi-load") == "0.52 / 0.41 / 0.30"
    assert text_of(s, "#gi-clock") == "1 h 0 min ahead of the host"
    net = text_of(s, "#gi-net-table")
    assert "192.168.122.10/24" in net and "52:54:00:12:34:56" in net, net
    assert text_of(s, "#gi-agent-version") == "7.2.19"
    wait_for("the agent's commands", lambda: (text_of(s, ".gi-commands summary") or "").endswith("enabled"))
    # Each kind fresh, collected when the fake daemon started (seconds ago); the freeze as the agent said.
    kinds = kinds_table(s)
    assert [k[0] for k in kinds] == DAEMON_KINDS, kinds
    assert all(k[1] == "fresh" and re.fullmatch(r"\d+ s ago", k[2]) and k[3] == "" for k in kinds), kinds
    assert text_of(s, "#gi-freeze") == "thawed"
    assert text_of(s, "#gi-reason") is None
    s.screenshot("vm.png", full=True)
    # The shell's dark style, as Cockpit keeps it, is followed.
    s.driver.execute_script("localStorage.setItem('shell:style', 'dark')")
    s.driver.refresh()
    wait_for("the page ready", lambda: s.driver.execute_script("return document.body.dataset.ready === 'true'"))
    assert s.driver.execute_script("return document.documentElement.classList.contains('pf-theme-dark')")
    bg = s.driver.execute_script("return getComputedStyle(document.querySelector('.gi-card')).backgroundColor")
    rgb = [int(x) for x in bg[bg.index("(") + 1:bg.index(")")].split(",")[:3]]
    assert sum(rgb) < 3 * 100, "a card in the dark style is %s" % bg
    s.screenshot("vm-dark.png")
    # The paused VM keeps its data and says why it is not refreshed; the stopped one says why it has none.
    s.find("#gi-back").click()
    wait_for("the list", lambda: names_in_list(s) == ["build-01", "db-01", "web-01"])
    open_vm(s, "db-01")
    assert text_of(s, "#gi-os-name") == "Debian GNU/Linux 12 (bookworm)"
    assert text_of(s, "#gi-reason") == "The VM is paused; values are kept, not refreshed."
    s.find("#gi-back").click()
    wait_for("the list", lambda: names_in_list(s) == ["build-01", "db-01", "web-01"])
    open_vm(s, "build-01")
    assert text_of(s, "#gi-os .gi-missing") == "The VM is not running."
    assert text_of(s, "#gi-reason") == "The VM is not running."
    assert all(k[1:3] == ["not-asked", "never"] for k in kinds_table(s)), kinds_table(s)
    # Kinds not asked: no vCPUs, load or clock from the daemon's zeros; the disks' reason.
    assert [text_of(s, c) for c in ["#gi-vcpus", "#gi-load", "#gi-clock"]] == [None] * 3
    assert text_of(s, "#gi-disks .gi-missing") == "The VM is not running."
    s.check_console()


def case_hostile_name(s):
    """A domain name of markup, through libvirt and the real daemon."""
    s.start_all()
    define(s, [HOSTILE], start=[HOSTILE])
    s.open()
    wait_for("the hostile domain in the list", lambda: HOSTILE in names_in_list(s))
    no_foreign_elements(s)
    open_vm(s, HOSTILE)
    assert text_of(s, "#gi-vm-name") == HOSTILE
    no_foreign_elements(s)
    no_alert(s)
    s.check_console()


def case_hostile_guest(s):
    """Guest data of markup in every field the page shows."""
    s.start_all(fake="hostile")
    s.open()
    wait_for("the list", lambda: names_in_list(s) == ["hostile"])
    r = row_of(s, "hostile")
    assert r[3] == "<img src=x onerror=alert(2)>" and r[4] == HOSTILE, r
    no_foreign_elements(s)
    open_vm(s, "hostile")
    wait_for("the agent's commands", lambda: (text_of(s, ".gi-commands summary") or "").endswith("enabled"))
    text = app_text(s)
    for literal in [HOSTILE, "<img src=x onerror=alert(2)>", "<script>alert(3)</script>", "<i>id</i>",
                    "<img src=x onerror=alert(4)>", "<a href=x>d</a>", "<svg onload=alert(5)>", "/<iframe src=x>",
                    "<video src=x>", "<object data=x>", "<img src=x onerror=alert(6)>",
                    "<img src=x onerror=alert(7)>", "<img src=x onerror=alert(8)> (<svg onload=alert(9)>)",
                    "<b>serial</b>", "<u>bus</u>", "<i>part</i>", "/images/<img src=x onerror=alert(10)>.img"]:
        assert literal in text, "%r is not shown as text" % literal
    assert text_of(s, "#gi-hostname") == HOSTILE
    # The disk rows, each field as text; the filesystem's link to its disk by a device name of markup.
    assert table_rows(s, "gi-disks-table") == [
        ["<img src=x onerror=alert(8)> (<svg onload=alert(9)>)", "no", "", "<b>serial</b>", "<u>bus</u>", "vda",
         "/images/<img src=x onerror=alert(10)>.img"],
        ["<i>part</i>", "yes", "<img src=x onerror=alert(8)>", "", "", "", ""]], table_rows(s, "gi-disks-table")
    assert follow_disk_link(s, "<img src=x onerror=alert(8)>")[3] == "<b>serial</b>"
    no_foreign_elements(s)
    no_alert(s)
    s.check_console()


def case_live_state(s):
    s.start_all()
    s.open()
    wait_for("the list", lambda: names_in_list(s) == ["test"])
    mark_page(s)
    s.virsh("suspend test")
    wait_for("Paused in the list", lambda: row_of(s, "test")[1] == "Paused", timeout=LIVE_S)
    open_vm(s, "test")
    assert text_of(s, "#gi-vm-state") == "Paused"
    s.virsh("resume test")
    wait_for("Running on the VM page", lambda: text_of(s, "#gi-vm-state") == "Running", timeout=LIVE_S)
    assert_not_reloaded(s)
    s.check_console()


def case_domain_gone(s):
    s.start_all()
    define(s, ["doomed", "kept"], start=["doomed"])
    s.open()
    wait_for("the list", lambda: names_in_list(s) == ["doomed", "kept", "test"])
    mark_page(s)
    s.virsh("destroy doomed", "undefine doomed")
    wait_for("doomed gone from the list", lambda: names_in_list(s) == ["kept", "test"], timeout=LIVE_S)
    open_vm(s, "kept")
    s.virsh("undefine kept")
    wait_for("the VM page saying it is gone", lambda: text_of(s, "#gi-vm-name") == "VM gone", timeout=LIVE_S)
    assert_not_reloaded(s)
    s.check_console()


def greyed(s):
    return s.driver.execute_script(
        "const t = document.getElementById('gi-list'), b = document.getElementById('gi-disconnected');"
        "return t.classList.contains('gi-greyed') && !b.classList.contains('gi-hidden')"
        " && getComputedStyle(b).display !== 'none'")


def case_libvirt_down(s):
    s.start_all()
    s.open()
    wait_for("the list", lambda: names_in_list(s) == ["test"])
    assert not greyed(s)
    mark_page(s)
    s.kill_libvirtd()
    wait_for("the list greyed", lambda: greyed(s), timeout=LIVE_S)
    # The last values seen stay, marked as such.
    assert names_in_list(s) == ["test"]
    s.screenshot("list-disconnected.png")
    # libvirtd back: the daemon reconnects, the list is live again.
    s.libvirtd_restart()
    wait_for("the list live again", lambda: not greyed(s), timeout=60)
    s.virsh("suspend test")
    wait_for("Paused after the reconnection", lambda: row_of(s, "test")[1] == "Paused", timeout=LIVE_S)
    assert_not_reloaded(s)


def case_daemon_gone(s):
    s.start_all()
    s.open()
    wait_for("the list", lambda: names_in_list(s) == ["test"])
    assert not greyed(s)
    mark_page(s)
    open_vm(s, "test")
    s.stop_proc("guestinfod", s.daemon, False)
    # The VM page greyed, its last values kept; then the list likewise.
    wait_for("the VM page greyed", lambda: s.driver.execute_script(
        "return document.querySelector('.gi-vm-page').classList.contains('gi-greyed')"), timeout=LIVE_S)
    assert text_of(s, "#gi-vm-name") == "test"
    s.find("#gi-back").click()
    wait_for("the list greyed", lambda: greyed(s), timeout=LIVE_S)
    assert names_in_list(s) == ["test"]
    # A new daemon: the page follows it without reload. (The change comes after its start: libvirt's
    # test driver starts afresh whenever its last client leaves.)
    s.start_daemon()
    wait_for("the list live again", lambda: not greyed(s), timeout=LIVE_S)
    s.virsh("suspend test")
    wait_for("the new daemon's signals", lambda: row_of(s, "test") and row_of(s, "test")[1] == "Paused",
             timeout=LIVE_S)
    assert_not_reloaded(s)


SCALE_N = 1000
# Bounds on this project's machines (2 cores, headless chromium, no GPU);
# measured: see docs/cockpit.md.
SCALE_LOAD_S = 15.0    # page opened → all rows drawn
SCALE_ACTION_S = 2.0   # one sort or filter of the whole list
SCALE_BURST_S = 15.0   # virsh starting 599 state changes → all of them shown


def case_scale(s):
    s.start_all()
    names = ["vm-%04d" % i for i in range(SCALE_N - 1)]
    t0 = time.monotonic()
    define(s, names, start=names[: SCALE_N // 2])
    log("defined %d domains in %.1f s" % (len(names), time.monotonic() - t0))
    wait_for("the daemon's %d domains" % SCALE_N, lambda: s.domain_count() == SCALE_N, timeout=60)
    t0 = time.monotonic()
    s.driver.get(s.url())
    wait_for("%d rows" % SCALE_N, lambda: s.driver.execute_script(
        "return document.querySelectorAll('#gi-rows tr').length") == SCALE_N, timeout=60, step=0.02)
    load = time.monotonic() - t0
    log("%d rows drawn %.2f s after the page was opened (bound %.1f s)" % (SCALE_N, load, SCALE_LOAD_S))
    assert load < SCALE_LOAD_S, "%d VMs took %.2f s to draw, bound %.1f s" % (SCALE_N, load, SCALE_LOAD_S)
    assert text_of(s, "#gi-count") == "%d VMs" % SCALE_N

    t0 = time.monotonic()
    s.find("th[data-key='state'] button").click()
    first = s.rows()[0]
    sort = time.monotonic() - t0
    assert first[1] == "Running", first
    t0 = time.monotonic()
    s.find("#gi-filter").send_keys("vm-099")
    wait_for("the filtered list", lambda: len(s.rows()) == 9, timeout=SCALE_ACTION_S * 2)
    filt = time.monotonic() - t0
    log("sort by state %.2f s, filter %.2f s (bound %.1f s each)" % (sort, filt, SCALE_ACTION_S))
    assert sort < SCALE_ACTION_S and filt < SCALE_ACTION_S
    # Still live at this size.
    s.driver.execute_script("const f = document.getElementById('gi-filter'); f.value = '';"
                            "f.dispatchEvent(new Event('input'))")
    wait_for("the whole list again", lambda: len(s.rows()) == SCALE_N)
    s.virsh("suspend vm-0100")
    wait_for("vm-0100 paused", lambda: row_of(s, "vm-0100")[1] == "Paused", timeout=LIVE_S)
    # A burst: 599 state changes (399 suspends, 200 starts) through one virsh, batched by the page per frame.
    burst = names[100:500]
    t0 = time.monotonic()
    s.virsh(*["suspend " + n for n in burst[1:]], *["start " + n for n in names[500:700]])
    wait_for("the burst shown", lambda: s.driver.execute_script(
        "const rows = [...document.querySelectorAll('#gi-rows tr')].map(r => r.cells[1].textContent);"
        "return rows.filter(x => x === 'Paused').length === 400 && rows.filter(x => x === 'Running').length === 301"),
        timeout=SCALE_BURST_S, step=0.1)
    log("599 state changes shown %.2f s after virsh started them (bound %.1f s)" % (time.monotonic() - t0,
                                                                                   SCALE_BURST_S))
    s.check_console()


def spec(expr):
    """What tests/vm/guest.env says the guest reports."""
    from stack import SOURCE
    return subprocess.run(["sh", "-c", '. "$1"; printf %%s "%s"' % expr, "sh",
                           os.path.join(SOURCE, "tests/vm/guest.env")],
                          capture_output=True, text=True, check=True).stdout


def case_real_vm(s):
    """The real test guest with the real qemu-ga under QEMU (TCG)."""
    s.start_bus()
    s.start_vm()
    # Short intervals: a change inside the guest must show within the test's bound.
    s.start_daemon("--interval=hostname=2", "--interval=users=2", "--interval=filesystems=2", "--interval=os=2")
    s.start_cockpit()
    s.start_browser()
    s.open()
    wait_for("guest1 in the list", lambda: names_in_list(s) == ["guest1"])
    hostname = spec("$GUEST_HOSTNAME")
    wait_for("guest1's OS and hostname in the list",
             lambda: row_of(s, "guest1")[3:5] == [spec("$OS_PRETTY_NAME"), hostname], timeout=120)
    r = row_of(s, "guest1")
    assert r[1:3] == ["Running", "Connected"], r
    for a in [spec("$GUEST_IPV4"), spec("$GUEST_IPV6")]:
        assert a in r[5], (a, r)
    s.screenshot("list-vm.png")
    mark_page(s)
    open_vm(s, "guest1")
    assert text_of(s, "#gi-os-name") == spec("$OS_PRETTY_NAME")
    assert text_of(s, "#gi-hostname") == hostname
    users = s.driver.execute_script("return [...document.querySelectorAll('#gi-users-table tbody tr')]"
                                    ".map(r => r.cells[0].textContent)")
    assert sorted(users) == sorted(u.split(":")[0] for u in spec("$GUEST_USERS").split()), users
    mounts = s.driver.execute_script("return [...document.querySelectorAll('#gi-fs-table tbody tr')]"
                                     ".map(r => r.cells[0].textContent)")
    assert spec("$DATA_DISK_MOUNT") in mounts, mounts
    # The data disk's usage bar, from the guest's own numbers.
    assert s.driver.execute_script("return document.querySelectorAll('#gi-fs-table .pf-c-progress').length") >= 1
    assert spec("$DATA_DISK_SERIAL") in text_of(s, "#gi-fs-table")
    # The data disk among the guest's disks: the domain's disk (target and source as virsh domblklist has
    # them), linked from its filesystem by the guest's device.
    wait_for("the data disk", lambda: any(r[3] == spec("$DATA_DISK_SERIAL") for r in table_rows(s, "gi-disks-table")),
             timeout=60)
    data = [r for r in table_rows(s, "gi-disks-table") if r[3] == spec("$DATA_DISK_SERIAL")]
    blk = [line.split(None, 1) for line in s.virsh("domblklist guest1").splitlines()
           if line.strip() and not line.strip().startswith(("Target", "-"))]
    assert len(data) == 1 and [data[0][5], data[0][6]] in blk, (data, blk)
    assert re.fullmatch(r"/dev/vd[a-z]+", data[0][0]) and data[0][1:3] == ["no", ""] and data[0][4] == "virtio", data
    log("the data disk on the real guest's page: %s" % data[0])
    data_fs = [r[4] for r in table_rows(s, "gi-fs-table") if r[0] == spec("$DATA_DISK_MOUNT")]
    assert data_fs == ["%s · domain disk %s · %s · virtio" % (data[0][0], data[0][5], spec("$DATA_DISK_SERIAL"))], \
        data_fs
    assert follow_disk_link(s, data[0][0]) == data[0]
    assert spec("$GUEST_MAC") in text_of(s, "#gi-net-table")
    assert text_of(s, "#gi-agent-connected") == "yes"
    wait_for("the agent's commands", lambda: (text_of(s, ".gi-commands summary") or "").endswith("enabled"))
    # The real daemon's GuestDataStatus from the real qemu-ga: every kind fresh, with its real age, and the
    # guest's FsFreezeStatus; no reason while collected as usual.
    wait_for("every kind fresh", lambda: [k[:2] for k in kinds_table(s)] == REAL_AGENT_STATES, timeout=60)
    kinds = kinds_table(s)
    assert all(re.fullmatch(r"\d+ (s|min) ago", k[2]) and k[3] == "" for k in kinds if k[0] != "load"), kinds
    log("kinds on the real guest's page: %s" % kinds)
    # vCPUs as the domain has them, all online; no load (qemu-ga 7.2 has no guest-get-load); the clock
    # as the host's.
    vcpus = int(s.virsh("vcpucount guest1 --live --active").strip())
    assert text_of(s, "#gi-vcpus") == "%d of %d online" % (vcpus, vcpus), text_of(s, "#gi-vcpus")
    assert text_of(s, "#gi-load") is None
    # The guest's clock starts from the RTC's whole seconds: it may be a second or so off, as the daemon says.
    uuid = s.virsh("domuuid guest1").strip().replace("-", "")
    offset = int(subprocess.run(["busctl", "--address=" + s.bus, "get-property", "org.guestinfod.GuestInfo1",
                                 "/org/guestinfod/GuestInfo1/domain/" + uuid, "org.guestinfod.GuestInfo1.OS",
                                 "ClockOffset"], capture_output=True, text=True, check=True,
                                timeout=10).stdout.split()[1])
    log("the real guest's clock offset: %d µs, on the page: %s" % (offset, text_of(s, "#gi-clock")))
    assert abs(offset) < 5000000, offset
    assert text_of(s, "#gi-clock") == ("within a second of the host" if abs(offset) < 1000000 else "%d s %s the host" % (
        round(abs(offset) / 1e6), "ahead of" if offset > 0 else "behind")), (offset, text_of(s, "#gi-clock"))
    assert text_of(s, "#gi-freeze") == "thawed"
    assert text_of(s, "#gi-reason") is None
    s.screenshot("vm-real.png", full=True)

    # A change inside the guest, live; the page redrawn keeps the commands as the user opened them.
    # Clicked in the page's own script: the body is redrawn at each GuestDataStatus change (every 2 s here),
    # which would make an element found beforehand stale.
    s.driver.execute_script("document.querySelector('.gi-commands summary').click()")
    assert s.driver.execute_script("return document.getElementById('gi-commands-details').open")
    s.guest_exec("guest1", "hostname renamed-in-guest")
    wait_for("the new hostname", lambda: text_of(s, "#gi-hostname") == "renamed-in-guest", timeout=60)
    assert s.driver.execute_script("return document.getElementById('gi-commands-details').open")
    assert "guest-get-osinfo" in text_of(s, "#gi-commands")
    # Markup as the guest's hostname, the whole real way: sethostname in the guest, qemu-ga, libvirt,
    # guestinfod, the bridge. Shown as text, in the VM page and in the list.
    s.guest_exec("guest1", "hostname '%s'" % HOSTILE)
    wait_for("the hostile hostname", lambda: text_of(s, "#gi-hostname") == HOSTILE, timeout=60)
    no_foreign_elements(s)
    s.find("#gi-back").click()
    wait_for("the list", lambda: row_of(s, "guest1") and row_of(s, "guest1")[4] == HOSTILE)
    no_foreign_elements(s)
    no_alert(s)
    open_vm(s, "guest1")
    # Suspend and resume, live.
    s.virsh("suspend guest1")
    wait_for("Paused", lambda: text_of(s, "#gi-vm-state") == "Paused", timeout=LIVE_S)
    wait_for("the paused reason", lambda: text_of(s, "#gi-reason") == "The VM is paused; values are kept, not refreshed.",
             timeout=LIVE_S)
    s.virsh("resume guest1")
    wait_for("Running", lambda: text_of(s, "#gi-vm-state") == "Running", timeout=LIVE_S)
    wait_for("no reason once running", lambda: text_of(s, "#gi-reason") is None, timeout=60)
    # Refresh (allowed: the daemon on a session bus asks nobody).
    s.find("#gi-refresh").click()
    wait_for("the refresh done", lambda: s.driver.execute_script(
        "return !!document.getElementById('gi-refresh-done')"), timeout=90)
    assert_not_reloaded(s)
    s.check_console()


def case_shell(s):
    """The page inside Cockpit's own shell, as a user reaches it: from the menu, in the shell's frame."""
    s.start_all(fake="ordinary")
    s.driver.get(s.shell_url("system"))
    wait_for("the shell's menu entry", lambda: s.driver.execute_script(
        "return [...document.querySelectorAll('a')].some(a => a.textContent.trim() === 'Guest info')"), timeout=30)
    s.driver.execute_script("[...document.querySelectorAll('a')].find(a => a.textContent.trim() === 'Guest info')"
                            ".click()")
    wait_for("the page's frame", lambda: s.driver.execute_script(
        "return !!document.querySelector('iframe[name=\"cockpit1:localhost/guestinfo\"]')"), timeout=30)
    frame = s.find("iframe[name='cockpit1:localhost/guestinfo']")
    s.driver.switch_to.frame(frame)
    wait_for("the list in the shell", lambda: s.driver.execute_script(
        "return document.body.dataset.ready === 'true' && document.querySelectorAll('#gi-rows tr').length") == 3,
        timeout=30)
    open_vm(s, "web-01")
    assert text_of(s, "#gi-hostname") == "web-01.example.com"
    s.driver.switch_to.default_content()
    # The shell keeps the page's place in its own address.
    wait_for("the shell's address", lambda: "/guestinfo#/c0000000000040008000000000000002" in s.driver.current_url)
    s.screenshot("shell-vm.png")
    s.check_console()


# The page's own views, given a domain as a daemon with per-kind status would publish it.
STATUS_HOOK_JS = """
const done = arguments[arguments.length - 1];
Promise.all([import("./vm.js"), import("./list.js")]).then(([vm, list]) => {
    const now = Date.now() * 1000;
    const domains = {
        "/with": { Name: "with", State: "running", AgentConnected: true, UUID: "u1",
                   GuestDataStatus: [["OS", "failed", now - 5e6, "<b>agent timed out</b>", {}],
                                     ["Users", "ok", now - 65e6, "", {}]],
                   GuestDataReason: "<i>the agent is busy</i>" },
        "/without": { Name: "without", State: "running", AgentConnected: false, UUID: "u2" },
    };
    const model = {
        loaded: true,
        domain: p => domains[p] || null,
        kind: () => null,
        connected: () => true,
        domainPaths: () => Object.keys(domains),
        supportedCommands: () => Promise.resolve([]),
    };
    const out = {};
    for (const p of Object.keys(domains)) {
        const v = new vm.VmView(model, p, () => null);
        v.update();
        out[p] = {
            kinds: [...v.root.querySelectorAll("#gi-kinds-table tbody tr")].map(r => [...r.cells].map(c => c.textContent)),
            reason: (v.root.querySelector("#gi-reason") || {}).textContent,
            collected: (v.root.querySelector("#gi-collected") || {}).textContent,
            elements: v.root.querySelectorAll("b, i").length,
        };
    }
    const l = new list.ListView(model, () => null);
    l.update({ paths: new Set(), membership: true, manager: true });
    out.rows = [...l.tbody.querySelectorAll("tr")].map(r => ({
        name: r.cells[0].textContent, agentTitle: r.cells[2].getAttribute("title"), fresh: r.cells[6].textContent }));
    done(out);
}).catch(e => done({ error: String(e) }));
"""


def case_status_hook(s):
    """GuestDataStatus and GuestDataReason read when present, ignored when absent (an older daemon), and a
    state and reason the page does not know (a newer daemon's) shown as text. The page's real views, fed domain
    objects; the real daemon's are in vm-page, guest-data and real-vm."""
    s.start_all(fake="ordinary")
    s.open()
    out = s.driver.execute_async_script(STATUS_HOOK_JS)
    assert "error" not in out, out
    w, wo = out["/with"], out["/without"]
    assert w["kinds"] == [["OS", "failed", "5 s ago", "<b>agent timed out</b>"], ["Users", "ok", "1 min ago", ""]], w
    assert w["reason"] == "<i>the agent is busy</i>" and w["elements"] == 0, w
    assert w["collected"] == "5 s ago", w
    # Absent: what the daemon has today.
    assert wo["kinds"] == [["OS", "missing"], ["Users", "missing"], ["Filesystems", "missing"],
                           ["Network", "missing"]], wo
    assert wo["reason"] == "The guest agent is not connected.", wo
    assert out["rows"] == [{"name": "with", "agentTitle": "<i>the agent is busy</i>", "fresh": "5 s ago"},
                           {"name": "without", "agentTitle": None, "fresh": "—"}], out["rows"]
    s.check_console()


def case_german(s):
    """Cockpit's language set to German, as the shell's language menu does (the CockpitLang cookie): the bridge
    serves the page's po.js from po.de.js and the page shows German, its own strings and the title alike."""
    s.start_all(fake="ordinary")
    s.driver.get(s.url())
    s.driver.add_cookie({"name": "CockpitLang", "value": "de", "path": "/"})
    s.open()
    wait_for("the list", lambda: names_in_list(s) == ["build-01", "db-01", "web-01"])
    assert s.driver.execute_script("return [cockpit.language, document.documentElement.lang, document.title]") == \
        ["de", "de", "Gastinformationen"]
    heads = s.driver.execute_script("return [...document.querySelectorAll('#gi-list th')].map(h => h.textContent)")
    assert [h.strip(" ▲▼") for h in heads] == ["Name", "Zustand", "Agent", "Betriebssystem", "Hostname", "Adressen",
                                              "Erfasst"], heads
    assert text_of(s, ".gi-list-page h2") == "Virtuelle Maschinen"
    assert s.find("#gi-filter").get_attribute("placeholder") == "Nach Name, Betriebssystem, Hostname oder Adresse filtern"
    assert row_of(s, "web-01")[1:3] == ["Läuft", "Verbunden"], row_of(s, "web-01")
    assert row_of(s, "db-01")[1] == "Pausiert"
    assert row_of(s, "build-01")[1:3] == ["Ausgeschaltet", "Nicht verbunden"]
    assert re.fullmatch(r"vor \d+ (s|min)", row_of(s, "web-01")[6]), row_of(s, "web-01")
    assert text_of(s, "#gi-count") == "3 VMs"  # ngettext, with the catalog's plural forms
    s.screenshot("list-de.png")
    open_vm(s, "web-01")
    assert text_of(s, "#gi-refresh") == "Aktualisieren"
    assert text_of(s, "#gi-back") == "Virtuelle Maschinen"
    titles = s.driver.execute_script("return [...document.querySelectorAll('.gi-card .pf-c-card__title')]"
                                     ".map(t => t.textContent)")
    assert titles == ["Virtuelle Maschine", "Betriebssystem", "Benutzer", "Dateisysteme", "Datenträger",
                      "Netzwerkschnittstellen", "Gastagent", "Datenarten"], titles
    assert text_of(s, "#gi-vcpus") == "2 von 2 online"
    assert text_of(s, "#gi-clock") == "1 h 0 min vor der Uhr des Hosts"
    assert text_of(s, "#gi-agent-connected") == "ja"
    assert text_of(s, "#gi-freeze") == "aufgetaut"
    wait_for("the agent's commands", lambda: re.fullmatch(r"\d+ Befehle, \d+ aktiviert",
                                                          text_of(s, ".gi-commands summary") or ""))
    s.find("#gi-back").click()
    wait_for("the list", lambda: names_in_list(s) == ["build-01", "db-01", "web-01"])
    open_vm(s, "build-01")
    assert text_of(s, "#gi-os .gi-missing") == "Die VM läuft nicht."
    build01 = "#" + s.driver.current_url.split("#", 1)[1]
    # The shell's menu: Cockpit translates the manifest's label with the page's catalog.
    s.driver.get(s.shell_url("system"))
    wait_for("the shell's menu in German", lambda: s.driver.execute_script(
        "return [...document.querySelectorAll('nav a')].some(a => a.textContent.trim() === 'Gastinformationen')"),
        timeout=30)
    s.open(build01)
    wait_for("build-01's page", lambda: text_of(s, "#gi-vm-name") == "build-01")
    assert text_of(s, "#gi-os .gi-missing") == "Die VM läuft nicht."
    # English once the cookie is gone: the catalog is the language's, not the page's.
    s.driver.delete_cookie("CockpitLang")
    s.driver.refresh()
    wait_for("the page ready", lambda: s.driver.execute_script("return document.body.dataset.ready === 'true'"))
    assert s.driver.execute_script("return cockpit.language") == "en"
    wait_for("the English page", lambda: text_of(s, "#gi-os .gi-missing") == "The VM is not running.")
    s.check_console()


# The colour seen at an empty spot of the page (the bottom left corner): the first element there, or one of its
# parents, with a background of its own; null when all are transparent (the shell's shows through the frame).
PAGE_BACKGROUND_JS = """
let e = arguments[0] || document.elementFromPoint(4, window.innerHeight - 4);
for (; e; e = e.parentElement) {
    const c = getComputedStyle(e).backgroundColor;
    if (c && c !== "rgba(0, 0, 0, 0)" && c !== "transparent")
        return c;
}
return null;
"""


def look(s, frame, name_css):
    """A page in the shell's frame: its font family (the body's and a VM name's in the list) and the background
    seen at an empty spot, through the frame if the page's own is transparent."""
    def inside():
        v = s.driver.execute_script(
            "const n = document.querySelector(arguments[0]);"
            "return { body: getComputedStyle(document.body).fontFamily, name: n && getComputedStyle(n).fontFamily,"
            "         dark: document.documentElement.classList.contains('pf-theme-dark') }", name_css)
        v["background"] = s.driver.execute_script(PAGE_BACKGROUND_JS, None)
        return v
    v = in_frame(s, frame, inside)
    if v["background"] is None:
        v["background"] = s.driver.execute_script(PAGE_BACKGROUND_JS, s.find("iframe[name='cockpit1:localhost/%s']"
                                                                             % frame))
        v["through-frame"] = True
    return v


def menu_click(s, label):
    """An entry of the shell's menu, clicked (in the shell's document)."""
    s.driver.switch_to.default_content()
    s.driver.execute_script("[...document.querySelectorAll('a')].find(a => a.textContent.trim() === arguments[0])"
                            ".click()", label)


def in_frame(s, name, fn):
    s.driver.switch_to.default_content()
    s.driver.switch_to.frame(s.find("iframe[name='cockpit1:localhost/%s']" % name))
    try:
        return fn()
    finally:
        s.driver.switch_to.default_content()


def side_by_side(s, left, right, out):
    """One PNG of two screenshots side by side, drawn by the browser (a canvas on a blank page)."""
    import base64
    from stack import BUILD
    imgs = []
    for p in (left, right):
        with open(p, "rb") as f:
            imgs.append("data:image/png;base64," + base64.b64encode(f.read()).decode())
    s.driver.get("about:blank")
    url = s.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        Promise.all(arguments[0].map(src => new Promise((ok, bad) => {
            const i = new Image(); i.onload = () => ok(i); i.onerror = bad; i.src = src;
        }))).then(([a, b]) => {
            const c = document.createElement("canvas"), gap = 8;
            c.width = a.width + gap + b.width;
            c.height = Math.max(a.height, b.height);
            const g = c.getContext("2d");
            g.fillStyle = "#8a8d90";
            g.fillRect(0, 0, c.width, c.height);
            g.drawImage(a, 0, 0);
            g.drawImage(b, a.width + gap, 0);
            done(c.toDataURL("image/png"));
        }).catch(e => done("error: " + e));""", imgs)
    assert url.startswith("data:image/png;base64,"), url[:200]
    path = os.path.join(BUILD, "tests/browser", out)
    with open(path, "wb") as f:
        f.write(base64.b64decode(url.split(",", 1)[1]))
    log("screenshot", path)
    return path


def case_beside_machines(s):
    """The page beside Debian's cockpit-machines, in one shell: cockpit-machines (from /usr/share/cockpit) reads
    libvirt-dbus, our page reads guestinfod, both on the private bus as the system bus, both from the private
    libvirtd with the real test guest. Both list guest1 as running; both have the same font and the same page
    background, in the light style and in the dark."""
    s.start_bus()
    s.start_vm()
    s.system_libvirt_socket()
    s.start_libvirt_dbus()
    s.start_daemon()
    s.start_cockpit()
    s.start_browser(width=1100, height=800)

    s.driver.get(s.shell_url("system"))
    # cockpit-machines checks for KVM (virt-host-validate) and, without it (QEMU under TCG here), shows "Hardware
    # virtualization is disabled" until the user presses Ignore, which it keeps in this localStorage key.
    s.driver.execute_script("localStorage.setItem('virtualization-disabled-ignored', 'true');"
                            "localStorage.setItem('shell:style', 'light')")
    s.driver.get(s.shell_url("machines"))
    wait_for("cockpit-machines' frame", lambda: s.driver.execute_script(
        "return !!document.querySelector('iframe[name=\"cockpit1:localhost/machines\"]')"), timeout=30)

    def machines_row():
        return s.driver.execute_script(
            "const a = [...document.querySelectorAll('a.vm-list-item-name')].find(a => a.textContent === 'guest1');"
            "return a && [...a.closest('tr').cells].map(c => c.textContent)")
    row = in_frame(s, "machines", lambda: wait_for("guest1 in cockpit-machines", machines_row, timeout=60))
    log("cockpit-machines' row: %r" % row)
    assert row[0] == "guest1" and "Running" in row, row
    names = in_frame(s, "machines", lambda: s.driver.execute_script(
        "return [...document.querySelectorAll('a.vm-list-item-name')].map(a => a.textContent)"))
    assert names == ["guest1"], names
    theirs = look(s, "machines", "a.vm-list-item-name")
    left = s.screenshot("beside-machines-1.png")

    # What cockpit-machines could not read here, for the log (its alert, if any).
    log("cockpit-machines' alerts: %r" % in_frame(s, "machines", lambda: s.driver.execute_script(
        "return [...document.querySelectorAll('.pf-c-alert')].map(a => a.textContent)")))
    # Ours, from the same shell's menu: the machines frame stays in that document.
    menu_click(s, "Guest info")
    wait_for("the page's frame", lambda: s.driver.execute_script(
        "return !!document.querySelector('iframe[name=\"cockpit1:localhost/guestinfo\"]')"), timeout=30)
    in_frame(s, "guestinfo", lambda: wait_for("guest1 in our list", lambda: s.driver.execute_script(
        "return document.body.dataset.ready === 'true' && [...document.querySelectorAll('#gi-rows tr')]"
        ".map(r => [r.cells[0].textContent, r.cells[1].textContent]).join()") == "guest1,Running", timeout=60))
    assert s.driver.execute_script("return document.querySelectorAll('iframe[name^=\"cockpit1:localhost/\"]')"
                                   ".length") >= 2
    ours = look(s, "guestinfo", "#gi-rows a.gi-name")
    log("light: cockpit-machines %r, ours %r" % (theirs, ours))
    assert not theirs["dark"] and not ours["dark"], (theirs, ours)
    assert ours["body"] == theirs["body"] and ours["name"] == theirs["name"], (theirs, ours)
    assert ours["background"] == theirs["background"], (theirs, ours)
    right = s.screenshot("beside-machines-2.png")

    # The dark style, chosen in the shell (its localStorage key, which every frame of the origin hears of): both
    # pages follow without a reload.
    s.driver.execute_script("localStorage.setItem('shell:style', 'dark');"
                            "window.dispatchEvent(new StorageEvent('storage', { key: 'shell:style' }))")
    ours_dark = wait_for("our page dark", lambda: (lambda v: v["dark"] and v)(look(s, "guestinfo", "#gi-rows a.gi-name")))
    right_dark = s.screenshot("beside-machines-2-dark.png")
    # Measured where it is shown: the shell hides the frames not in front.
    menu_click(s, "Virtual machines")
    theirs_dark = wait_for("cockpit-machines dark", lambda: (lambda v: v["dark"] and v)(
        look(s, "machines", "a.vm-list-item-name")))
    left_dark = s.screenshot("beside-machines-1-dark.png")
    log("dark: cockpit-machines %r, ours %r" % (theirs_dark, ours_dark))
    assert ours_dark["background"] == theirs_dark["background"] != theirs["background"], (theirs_dark, ours_dark)
    assert ours_dark["body"] == theirs_dark["body"] and ours_dark["name"] == theirs_dark["name"], \
        (theirs_dark, ours_dark)
    console = s.console()
    log("cockpit-machines' console warnings and errors: %r" % [
        e["message"][:300] for e in console if e.get("level") in ("SEVERE", "WARNING") and "/machines/" in e["message"]])
    bad = [e for e in console if e.get("level") == "SEVERE" and "/guestinfo/" in e.get("message", "")]
    assert not bad, "console errors of the page: %r" % bad
    side_by_side(s, left, right, "beside-machines.png")
    side_by_side(s, left_dark, right_dark, "beside-machines-dark.png")


MEMBER_UID = 64999
BUS_GROUP = "libvirt"  # the default of the bus_group build option


def private_machine(s):
    """In this process's own mount namespace (see main): guestinfod's bus policy and polkit action as meson
    installs them, polkit's actions and rules folders, and /etc/passwd and /etc/group with a member of the
    bus group, all throw-away copies bind-mounted over the machine's, which keeps its own.
    Returns (uid, gid) of the member."""
    import json
    from stack import BUILD

    def sh(cmd):
        subprocess.run(["sh", "-ec", cmd], check=True, timeout=120)

    dest = os.path.join(s.dir, "destdir")
    sh("meson install -C '%s' --destdir '%s' --no-rebuild --quiet >/dev/null" % (BUILD, dest))
    installed = json.loads(subprocess.run(["meson", "introspect", BUILD, "--installed"], capture_output=True,
                                          text=True, check=True).stdout)
    policy = action = None
    for src, dst in installed.items():
        if src.endswith("org.guestinfod.GuestInfo1.conf"):
            policy = dest + dst
        elif src.endswith("org.guestinfod.guestinfo1.policy"):
            action = dest + dst
    assert policy and action, "meson installs no bus policy or polkit action"

    passwd, group = os.path.join(s.dir, "passwd"), os.path.join(s.dir, "group")
    sh("cp /etc/passwd '%s' && cp /etc/group '%s'" % (passwd, group))
    lines = open(group).read().splitlines()
    gid = None
    for i, line in enumerate(lines):
        f = line.split(":")
        if f[0] == BUS_GROUP:
            gid = int(f[2])
            f[3] = ",".join([m for m in f[3].split(",") if m] + ["guestinfo-member"])
            lines[i] = ":".join(f)
    if gid is None:
        gid = 64998
        lines.append("%s:x:%d:guestinfo-member" % (BUS_GROUP, gid))
    with open(group, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(passwd, "a") as f:
        f.write("guestinfo-member:x:%d:%d::/nonexistent:/usr/sbin/nologin\n" % (MEMBER_UID, gid))
    actions, s.rules = os.path.join(s.dir, "polkit-actions"), os.path.join(s.dir, "polkit-rules")
    sh("mkdir -p '{a}' '{r}' && cp /usr/share/polkit-1/actions/* '{a}'/ 2>/dev/null || true; cp '{p}' '{a}'/ && "
       "chmod 755 '{a}' '{r}'".format(a=actions, r=s.rules, p=action))
    for src, dst in [(passwd, "/etc/passwd"), (group, "/etc/group"), (actions, "/usr/share/polkit-1/actions"),
                     (s.rules, "/etc/polkit-1/rules.d")]:
        sh("mount --bind '%s' '%s'" % (src, dst))
    return os.path.dirname(policy), (MEMBER_UID, gid)


def case_refresh_polkit(s):
    """Refresh through polkit, as a member of the bus group: denied by the action's default (auth_admin, and
    nobody to authenticate), then allowed by a rule picked up live."""
    includedir, member = private_machine(s)
    s.start_system_bus(includedir)
    s.start_polkitd()
    s.start_libvirtd()
    s.start_daemon()
    s.start_cockpit(user=member)
    s.start_browser()
    s.open()
    wait_for("the list", lambda: names_in_list(s) == ["test"])
    open_vm(s, "test")
    s.find("#gi-refresh").click()
    wait_for("the denial", lambda: s.driver.execute_script("return !!document.getElementById('gi-refresh-denied')"),
             timeout=30)
    assert text_of(s, "#gi-refresh-denied .pf-c-alert__title") == "Not permitted: polkit refused this refresh."
    # The daemon's answer after polkit's, not the bus policy's.
    assert text_of(s, "#gi-refresh-denied .gi-error-detail").startswith(
        "Refresh is not allowed: authentication is required"), \
        text_of(s, "#gi-refresh-denied .gi-error-detail")
    s.screenshot("refresh-denied.png")

    with open(os.path.join(s.rules, "50-guestinfod-test.rules"), "w") as f:
        f.write('polkit.addRule(function(action, subject) {\n'
                '    if (action.id == "org.guestinfod.guestinfo1.refresh" && subject.isInGroup("%s"))\n'
                '        return polkit.Result.YES;\n'
                '});\n' % BUS_GROUP)
    os.chmod(os.path.join(s.rules, "50-guestinfod-test.rules"), 0o644)

    # Allowed: past polkit, only the test driver's missing agent stops it.
    def allowed():
        if not s.driver.execute_script("return document.getElementById('gi-refresh').disabled"):
            s.find("#gi-refresh").click()
        time.sleep(0.3)
        detail = text_of(s, "#gi-refresh-failed .gi-error-detail") or ""
        return "agent" in detail.lower() and not s.driver.execute_script(
            "return !!document.getElementById('gi-refresh-denied')")
    wait_for("the refresh allowed by the rule", allowed, timeout=30, step=0.5)
    log("allowed, then: %r" % text_of(s, "#gi-refresh-failed"))
    s.check_console()


def refresh_outcome(s):
    """What the last Refresh showed: "done", "denied", "failed", or None while it runs."""
    return s.driver.execute_script(
        "if (document.getElementById('gi-refresh').disabled) return null;"
        "for (const w of ['done', 'denied', 'failed'])"
        "    if (document.getElementById('gi-refresh-' + w)) return w;"
        "return null")


def case_refresh_real(s):
    """Refresh through polkit on the real guest with the real qemu-ga: denied by the action's default and shown
    as such, then allowed by a rule picked up live; the success is shown, and a hostname changed inside the guest
    just before appears at once, where the daemon's interval (an hour here) would show it much later."""
    includedir, member = private_machine(s)
    s.start_system_bus(includedir)
    s.start_polkitd()
    s.start_vm()
    # Every kind an hour apart: only the Refresh brings a change in time.
    s.start_daemon(*["--interval=%s=3600" % k for k in DAEMON_KINDS])
    s.start_cockpit(user=member)
    s.start_browser()
    s.open()
    wait_for("guest1 in the list", lambda: names_in_list(s) == ["guest1"])
    open_vm(s, "guest1")
    hostname = spec("$GUEST_HOSTNAME")
    wait_for("the guest's hostname", lambda: text_of(s, "#gi-hostname") == hostname, timeout=120)
    mark_page(s)

    s.guest_exec("guest1", "hostname refreshed-in-guest")
    s.find("#gi-refresh").click()
    wait_for("the denial", lambda: refresh_outcome(s) == "denied", timeout=30)
    assert text_of(s, "#gi-refresh-denied .pf-c-alert__title") == "Not permitted: polkit refused this refresh."
    assert text_of(s, "#gi-refresh-denied .gi-error-detail").startswith(
        "Refresh is not allowed: authentication is required"), text_of(s, "#gi-refresh-denied .gi-error-detail")
    assert s.driver.execute_script("return getComputedStyle(document.getElementById('gi-refresh-denied')).display")\
        != "none"
    # Denied, nothing collected: the old hostname stays (a few seconds, to be sure).
    time.sleep(4)
    assert text_of(s, "#gi-hostname") == hostname, text_of(s, "#gi-hostname")

    with open(os.path.join(s.rules, "50-guestinfod-test.rules"), "w") as f:
        f.write('polkit.addRule(function(action, subject) {\n'
                '    if (action.id == "org.guestinfod.guestinfo1.refresh" && subject.isInGroup("%s"))\n'
                '        return polkit.Result.YES;\n'
                '});\n' % BUS_GROUP)
    os.chmod(os.path.join(s.rules, "50-guestinfod-test.rules"), 0o644)

    # polkitd reads the rule within moments; until then the page keeps saying "denied".
    def succeeded():
        outcome = refresh_outcome(s)
        if outcome == "done":
            return True
        if outcome is not None:
            assert outcome == "denied", text_of(s, "#gi-refresh-status")
            s.find("#gi-refresh").click()
        return False
    t0 = time.monotonic()
    wait_for("the refresh allowed by the rule", succeeded, timeout=60, step=0.5)
    assert text_of(s, "#gi-refresh-done .pf-c-alert__title") == "Collected from the guest agent."
    wait_for("the new hostname after the refresh", lambda: text_of(s, "#gi-hostname") == "refreshed-in-guest",
             timeout=5)
    log("refresh allowed and the new hostname shown %.1f s after the rule was written" % (time.monotonic() - t0))
    assert text_of(s, "#gi-refresh-denied") is None
    s.screenshot("refresh-real.png")
    assert_not_reloaded(s)
    s.check_console()


def case_scale_guests(s):
    """1000 VMs each with a full guest report (OS, users, filesystems, interfaces): five objects apiece."""
    s.start_all(fake="many")
    t0 = time.monotonic()
    s.driver.get(s.url())
    wait_for("%d rows" % SCALE_N, lambda: s.driver.execute_script(
        "return document.querySelectorAll('#gi-rows tr').length") == SCALE_N, timeout=60, step=0.02)
    load = time.monotonic() - t0
    log("%d rows with guest data drawn %.2f s after the page was opened (bound %.1f s)" % (SCALE_N, load,
                                                                                             SCALE_LOAD_S))
    assert load < SCALE_LOAD_S, "%d VMs took %.2f s to draw, bound %.1f s" % (SCALE_N, load, SCALE_LOAD_S)
    wait_for("every row's OS", lambda: s.driver.execute_script(
        "return [...document.querySelectorAll('#gi-rows td.gi-col-os')]"
        ".every(c => c.textContent === 'Debian GNU/Linux 12 (bookworm)')"), timeout=SCALE_LOAD_S)
    t0 = time.monotonic()
    s.find("th[data-key='addresses'] button").click()
    sort = time.monotonic() - t0
    t0 = time.monotonic()
    s.find("#gi-filter").send_keys("vm-00099")
    wait_for("the filtered list", lambda: len(s.rows()) == 10, timeout=SCALE_ACTION_S * 2)
    filt = time.monotonic() - t0
    log("sort by addresses %.2f s, filter %.2f s (bound %.1f s each)" % (sort, filt, SCALE_ACTION_S))
    assert sort < SCALE_ACTION_S and filt < SCALE_ACTION_S
    s.check_console()


CASES = {
    "list": case_list,
    "vm-page": case_vm_page,
    "guest-data": case_guest_data,
    "hostile-name": case_hostile_name,
    "hostile-guest": case_hostile_guest,
    "live-state": case_live_state,
    "domain-gone": case_domain_gone,
    "libvirt-down": case_libvirt_down,
    "daemon-gone": case_daemon_gone,
    "scale": case_scale,
    "scale-guests": case_scale_guests,
    "shell": case_shell,
    "status-hook": case_status_hook,
    "real-vm": case_real_vm,
    "refresh-polkit": case_refresh_polkit,
    "refresh-real": case_refresh_real,
    "german": case_german,
    "beside-machines": case_beside_machines,
}
# Cases that change the machine's files, in a mount namespace of their own.
PRIVATE_MOUNTS = {"refresh-polkit", "refresh-real", "beside-machines"}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print("usage: %s CASE\ncases: %s" % (sys.argv[0], " ".join(CASES)), file=sys.stderr)
        return 2
    name = sys.argv[1]
    if name in PRIVATE_MOUNTS and not os.environ.get("BROWSER_PRIVATE_MOUNTS"):
        # exec: the same PID, so a timeout's SIGTERM still reaches the test.
        os.environ["BROWSER_PRIVATE_MOUNTS"] = "1"
        os.execvp("unshare", ["unshare", "-m", "--propagation", "private", sys.executable] + sys.argv)
    s = Stack(name)
    try:
        CASES[name](s)
    except BaseException:
        s.dump_logs()
        try:
            s.screenshot("failed-%s.png" % name)
        except Exception:
            pass
        raise
    finally:
        s.stop()
    log("%s: ok" % name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
