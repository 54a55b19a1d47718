"""The parts a browser test runs, each started here and stopped by its PID:
a private bus (permissive, session-type: the page is tested, not the bus
policy), libvirtd with the test driver (tests/vm/libvirtd.sh), guestinfod or
the fake daemon on that bus, cockpit-ws with a local bridge on loopback that
serves the page as package "guestinfo" and sees the private bus as the
system bus, and chromedriver with headless chromium."""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.common.by import By

SOURCE = os.environ.get("MESON_SOURCE_ROOT", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BUILD = os.environ.get("MESON_BUILD_ROOT", os.path.join(SOURCE, "build"))
COCKPIT_WS = "/usr/lib/cockpit/cockpit-ws"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"


def page_files():
    """What meson installs as the page (cockpit/meson.build): {source path: file name}."""
    import json
    r = subprocess.run(["meson", "introspect", BUILD, "--installed"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, "meson introspect: " + r.stderr
    files = {src: os.path.basename(dst) for src, dst in json.loads(r.stdout).items()
             if os.path.dirname(dst).endswith("/cockpit/guestinfo")}
    assert "index.html" in files.values() and "manifest.json" in files.values(), \
        "meson installs no Cockpit page (configured with -Dcockpit=disabled?)"
    return files


def _die_with_parent():
    """In the child: SIGKILL when the test dies, even by SIGKILL (PR_SET_PDEATHSIG)."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, cond, timeout=20.0, step=0.05):
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(step)


class Stack:
    def __init__(self, name):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="guestinfod-browser.")
        self.procs = []  # (label, Popen, own process group)
        self.libvirtd_state = None
        self.vm_state = None
        self.uri = None
        self.bus = None
        self.port = None
        self.driver = None
        self.chromedriver = None
        self.mounts = []  # in this process's own mount namespace, unmounted at stop
        atexit.register(self.stop)
        # meson's timeout sends SIGTERM: clean up on the way out.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, sig, frame):
        self.stop()
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)

    def spawn(self, label, argv, env=None, group=False, **kw):
        out = open(os.path.join(self.dir, label + ".log"), "ab")
        full = dict(os.environ)
        full.update(env or {})
        p = subprocess.Popen(argv, env=full, stdin=subprocess.DEVNULL, stdout=kw.pop("stdout", out), stderr=out,
                             start_new_session=group, preexec_fn=_die_with_parent, **kw)
        self.procs.append((label, p, group))
        log("started %s, PID %d" % (label, p.pid))
        return p

    def stop_proc(self, label, p, group):
        if p.poll() is not None:
            return p.returncode
        try:
            if group:
                os.killpg(p.pid, signal.SIGTERM)  # its own group: the PID is the group's id
            else:
                p.terminate()
            p.wait(5)
        except subprocess.TimeoutExpired:
            log("%s (PID %d) ignored SIGTERM for 5 s, killing it" % (label, p.pid))
            if group:
                os.killpg(p.pid, signal.SIGKILL)
            else:
                p.kill()
            p.wait(5)
        except ProcessLookupError:
            p.wait(5)
        return p.returncode

    def stop(self):
        if self.driver:
            try:
                self.driver.quit()
            except Exception as e:  # chromedriver may be gone already
                log("quitting the browser:", e)
            self.driver = None
        while self.procs:
            label, p, group = self.procs.pop()
            self.stop_proc(label, p, group)
        if self.vm_state:
            subprocess.run([os.path.join(SOURCE, "tests/vm/vm.sh"), "down", self.vm_state], timeout=90)
            self.vm_state = None
        if self.libvirtd_state:
            subprocess.run([os.path.join(SOURCE, "tests/vm/libvirtd.sh"), "stop", self.libvirtd_state],
                           env=dict(os.environ, LIBVIRTD_DRIVER="test"), timeout=30)
            self.libvirtd_state = None
        while self.mounts:
            subprocess.run(["umount", "--lazy", self.mounts.pop()], timeout=30)
        if self.dir and not os.environ.get("BROWSER_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    # --- the parts ---

    def start_bus(self):
        sock = os.path.join(self.dir, "bus.sock")
        conf = os.path.join(self.dir, "bus.conf")
        with open(conf, "w") as f:
            f.write('<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"\n'
                    ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
                    '<busconfig><type>session</type><listen>unix:path=%s</listen>\n'
                    '<policy context="default"><allow send_destination="*" eavesdrop="true"/>'
                    '<allow eavesdrop="true"/><allow own="*"/></policy></busconfig>\n' % sock)
        p = self.spawn("dbus-daemon", ["dbus-daemon", "--config-file=" + conf, "--nofork", "--nopidfile",
                                       "--print-address=1"], stdout=subprocess.PIPE)
        self.bus = p.stdout.readline().decode().strip()
        assert self.bus, "dbus-daemon printed no address"
        return self.bus

    def start_system_bus(self, includedir):
        """A system-type bus as Debian's (deny by default; services punch holes with their own files): here
        the installed policy of guestinfod and polkit's."""
        os.chmod(self.dir, 0o755)  # polkitd and the test user reach the socket
        sock = os.path.join(self.dir, "system_bus_socket")
        conf = os.path.join(self.dir, "system-bus.conf")
        with open(conf, "w") as f:
            f.write('<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"\n'
                    ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
                    '<busconfig><type>system</type><listen>unix:path=%s</listen><auth>EXTERNAL</auth>\n'
                    '<policy context="default"><allow user="*"/><deny own="*"/><deny send_type="method_call"/>'
                    '<allow send_type="signal"/>'
                    '<allow send_requested_reply="true" send_type="method_return"/>'
                    '<allow send_requested_reply="true" send_type="error"/>'
                    '<allow receive_type="method_call"/><allow receive_type="method_return"/>'
                    '<allow receive_type="error"/><allow receive_type="signal"/>'
                    '<allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>'
                    '<allow send_destination="org.freedesktop.DBus" '
                    'send_interface="org.freedesktop.DBus.Introspectable"/>'
                    '<allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>'
                    '</policy><policy user="root"><allow send_type="method_call" '
                    'send_destination="org.freedesktop.DBus"/></policy>'
                    '<includedir>/usr/share/dbus-1/system.d</includedir><includedir>%s</includedir>'
                    '</busconfig>\n' % (sock, includedir))
        p = self.spawn("dbus-daemon-system", ["dbus-daemon", "--config-file=" + conf, "--nofork", "--nopidfile",
                                              "--print-address=1"], stdout=subprocess.PIPE)
        self.bus = p.stdout.readline().decode().strip()
        assert self.bus, "dbus-daemon printed no address"
        self.system_bus = True
        return self.bus

    def start_polkitd(self):
        self.spawn("polkitd", ["/usr/lib/polkit-1/polkitd", "--no-debug"], env={"DBUS_SYSTEM_BUS_ADDRESS": self.bus})

        def owned():
            r = subprocess.run(["busctl", "--address=" + self.bus, "status", "org.freedesktop.PolicyKit1"],
                               capture_output=True, timeout=10)
            return r.returncode == 0
        wait_for("polkitd on the bus", owned)

    def start_libvirtd(self):
        self.libvirtd_state = os.path.join(self.dir, "libvirtd")
        r = subprocess.run([os.path.join(SOURCE, "tests/vm/libvirtd.sh"), "start", self.libvirtd_state],
                           env=dict(os.environ, LIBVIRTD_DRIVER="test"), capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, "libvirtd did not start: " + r.stderr
        self.uri = r.stdout.strip().splitlines()[-1]
        return self.uri

    def start_vm(self):
        """libvirtd with the QEMU driver and guest1, the real test guest with the real qemu-ga (tests/vm)."""
        self.vm_state = os.path.join(self.dir, "vm")
        env = dict(os.environ, VM_CACHE_DIR=os.path.join(BUILD, "vm-cache"))
        r = subprocess.run([os.path.join(SOURCE, "tests/vm/vm.sh"), "up", self.vm_state], env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, "the test VM did not start: " + r.stderr[-3000:]
        self.uri = r.stdout.strip().splitlines()[-1]
        r = subprocess.run([os.path.join(SOURCE, "tests/vm/vm.sh"), "wait-agent", self.uri, "guest1", "180"],
                           capture_output=True, text=True, timeout=200)
        assert r.returncode == 0, "the agent of guest1 did not connect: " + r.stderr[-3000:]
        return self.uri

    def system_libvirt_socket(self):
        """qemu:///system reaches the private libvirtd: in this process's own mount namespace (the test runs under
        unshare -m), /run is an overlay whose upper layer is a private tmpfs, holding /run/libvirt/libvirt-sock
        (and virtqemud-sock, which libvirt's client tries first) as links to the private socket. The machine's
        /run stays as it is. For clients that hard-code the URI (libvirt-dbus)."""
        assert os.environ.get("BROWSER_PRIVATE_MOUNTS"), "needs the case in PRIVATE_MOUNTS"
        layer = os.path.join(self.dir, "run-layer")
        os.makedirs(layer)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", layer], check=True, timeout=30)
        self.mounts.append(layer)
        for d in ("upper", "work"):
            os.makedirs(os.path.join(layer, d))
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o", "lowerdir=/run,upperdir=%s/upper,workdir=%s/work"
                        % (layer, layer), "/run"], check=True, timeout=30)
        self.mounts.append("/run")
        sock = os.path.join(self.vm_state or self.libvirtd_state, "sock", "libvirt-sock")
        os.makedirs("/run/libvirt", exist_ok=True)
        for name in ("libvirt-sock", "virtqemud-sock"):
            os.symlink(sock, os.path.join("/run/libvirt", name))

    def start_libvirt_dbus(self):
        """libvirt-dbus (the D-Bus API cockpit-machines reads) on the private bus as the system bus; it opens
        qemu:///system, which system_libvirt_socket leads to the private libvirtd."""
        self.spawn("libvirt-dbus", ["/usr/sbin/libvirt-dbus", "--system"],
                   env={"DBUS_SYSTEM_BUS_ADDRESS": self.bus})

        def owned():
            r = subprocess.run(["busctl", "--address=" + self.bus, "status", "org.libvirt"], capture_output=True,
                               timeout=10)
            return r.returncode == 0
        wait_for("org.libvirt on the bus", owned)

    def guest_exec(self, domain, shell):
        """Runs a shell command inside the guest through its agent (guest-exec)."""
        import json
        cmd = json.dumps({"execute": "guest-exec", "arguments": {"path": "/bin/sh", "arg": ["-c", shell]}})
        r = subprocess.run(["virsh", "-c", self.uri, "qemu-agent-command", domain, cmd], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, "guest-exec failed: " + r.stderr

    def libvirtd_restart(self):
        """The same libvirtd state folder and socket, a new libvirtd (after kill_libvirtd)."""
        r = subprocess.run([os.path.join(SOURCE, "tests/vm/libvirtd.sh"), "start", self.libvirtd_state],
                           env=dict(os.environ, LIBVIRTD_DRIVER="test"), capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, "libvirtd did not start again: " + r.stderr

    def kill_libvirtd(self):
        with open(os.path.join(self.libvirtd_state, "libvirtd.pid")) as f:
            os.kill(int(f.read()), signal.SIGKILL)

    def virsh(self, *commands, timeout=120):
        """Runs virsh commands (one process, ';'-separated) against libvirtd."""
        r = subprocess.run(["virsh", "-q", "-c", self.uri, " ; ".join(commands)], capture_output=True, text=True,
                           timeout=timeout)
        assert r.returncode == 0, "virsh failed: " + r.stderr
        return r.stdout

    def start_daemon(self, *extra, binary=None):
        env = {"DBUS_SESSION_BUS_ADDRESS": self.bus, "DBUS_SYSTEM_BUS_ADDRESS": self.bus}
        bus = "--system" if getattr(self, "system_bus", False) else "--user"
        # the tests wait for guest changes at the intervals they set: no backoff
        backoff = [] if any(a.startswith("--backoff") for a in extra) else ["--backoff=1"]
        self.daemon = self.spawn("guestinfod", [binary or os.path.join(BUILD, "service/guestinfod"), bus, "--connect",
                                                self.uri, "--log-level=debug"] + backoff + list(extra), env=env)
        self.wait_bus_name()
        return self.daemon

    def start_fake(self, profile):
        """The daemon's own bus code serving guest data the test driver cannot give (tests/browser/fake-guests.c)."""
        env = {"DBUS_SESSION_BUS_ADDRESS": self.bus}
        self.daemon = self.spawn("fake-guests", [os.path.join(BUILD, "tests/browser/fake-guests"), profile], env=env)
        self.wait_bus_name()
        return self.daemon

    def wait_bus_name(self):
        def owned():
            r = subprocess.run(["busctl", "--address=" + self.bus, "status", "org.guestinfod.GuestInfo1"],
                               capture_output=True, timeout=10)
            return r.returncode == 0
        wait_for("org.guestinfod.GuestInfo1 on the bus", owned)

    def domain_count(self):
        r = subprocess.run(["busctl", "--address=" + self.bus, "get-property", "org.guestinfod.GuestInfo1",
                            "/org/guestinfod/GuestInfo1", "org.guestinfod.GuestInfo1.Manager", "DomainCount"],
                           capture_output=True, text=True, timeout=10)
        return int(r.stdout.split()[1]) if r.returncode == 0 else -1

    def start_cockpit(self, user=None):
        """user: (uid, gid) the web server and the bridge run as; the caller polkit sees."""
        share = os.path.join(self.dir, "share")
        pkg = os.path.join(share, "cockpit", "guestinfo")
        os.makedirs(pkg)
        for src, name in page_files().items():
            shutil.copy(src, os.path.join(pkg, name))
        home = os.path.join(self.dir, "home")
        os.makedirs(home)
        for d in [share, os.path.join(share, "cockpit"), pkg]:
            os.chmod(d, 0o755)
        self.port = free_port()
        env = {
            # The page as installed, then Cockpit's own packages (base1, shell).
            "XDG_DATA_DIRS": share + ":/usr/share",
            "XDG_DATA_HOME": os.path.join(home, "share"),
            "XDG_CONFIG_DIRS": os.path.join(self.dir, "etc"),
            "XDG_RUNTIME_DIR": os.path.join(self.dir, "run"),
            "HOME": home,
            # The bridge's "system" bus is the private one.
            "DBUS_SYSTEM_BUS_ADDRESS": self.bus,
            "DBUS_SESSION_BUS_ADDRESS": self.bus,
        }
        os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700)
        wrap = []
        if user:
            for d in [home, env["XDG_RUNTIME_DIR"]]:
                os.chown(d, user[0], user[1])
            wrap = ["setpriv", "--reuid=%d" % user[0], "--regid=%d" % user[1], "--init-groups", "--"]
        # Loopback only: nothing outside the machine reaches it.
        self.spawn("cockpit-ws", wrap + [COCKPIT_WS, "--no-tls", "--local-session=cockpit-bridge", "--address", "127.0.0.1",
                                  "--port", str(self.port)], env=env, group=True)

        def up():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                return False
        wait_for("cockpit-ws on port %d" % self.port, up)

    def start_browser(self, width=1400, height=900):
        port = free_port()
        self.chromedriver = self.spawn("chromedriver", [CHROMEDRIVER, "--port=%d" % port, "--allowed-ips=127.0.0.1"],
                                       group=True)
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=%d,%d" % (width, height), "--user-data-dir=" + os.path.join(self.dir, "chromium"),
                  "--no-first-run", "--disable-extensions", "--disable-background-networking"]:
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})

        def ready():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
            except OSError:
                return False
        wait_for("chromedriver", ready)
        self.driver = webdriver.Remote(command_executor="http://127.0.0.1:%d" % port, options=opts)
        self.driver.set_page_load_timeout(30)
        self.driver.set_script_timeout(30)
        return self.driver

    def start_all(self, fake=None, daemon_args=()):
        self.start_bus()
        if fake:
            self.start_fake(fake)
        else:
            self.start_libvirtd()
            self.start_daemon(*daemon_args)
        self.start_cockpit()
        self.start_browser()

    # --- the page ---

    def shell_url(self, path="guestinfo"):
        return "http://127.0.0.1:%d/%s" % (self.port, path)

    def url(self, fragment=""):
        return "http://127.0.0.1:%d/cockpit/@localhost/guestinfo/index.html%s" % (self.port, fragment)

    def open(self, fragment=""):
        self.driver.get(self.url(fragment))
        wait_for("the page ready", lambda: self.driver.execute_script("return document.body.dataset.ready === 'true'"),
                 timeout=30)

    def console(self):
        try:
            return self.driver.get_log("browser")
        except Exception:
            return []

    def check_console(self):
        """Errors in the page's console fail the test."""
        bad = [e for e in self.console() if e.get("level") == "SEVERE"]
        assert not bad, "console errors: %r" % bad

    def rows(self):
        return self.driver.execute_script(
            "return [...document.querySelectorAll('#gi-rows tr')].map(r => "
            "[...r.querySelectorAll('td')].map(c => c.textContent))")

    def screenshot(self, name, full=False):
        """Into the build dir; full: the whole page, not just the window."""
        path = os.path.join(BUILD, "tests/browser", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        size = self.driver.get_window_size()
        if full:
            h = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(size["width"], min(max(h + 140, size["height"]), 4000))
        self.driver.save_screenshot(path)
        if full:
            self.driver.set_window_size(size["width"], size["height"])
        log("screenshot", path)
        return path

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def dump_logs(self):
        if not self.dir:
            return
        for f in sorted(os.listdir(self.dir)):
            if f.endswith(".log"):
                with open(os.path.join(self.dir, f), errors="replace") as fh:
                    text = fh.read()[-3000:]
                if text.strip():
                    print("----- %s (tail) -----\n%s" % (f, text), file=sys.stderr)
        for e in self.console():
            print("console:", e, file=sys.stderr)
