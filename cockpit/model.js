/* The daemon's objects as the page sees them, followed through
 * ObjectManager and PropertiesChanged only: nothing here polls. Listeners
 * get the paths that changed, at most once per animation frame. */

export const BUS_NAME = "org.guestinfod.GuestInfo1";
export const ROOT = "/org/guestinfod/GuestInfo1";
export const KINDS = ["OS", "Users", "Filesystems", "Network"];

const iface = suffix => BUS_NAME + "." + suffix;

export class Model {
    constructor() {
        this.client = cockpit.dbus(BUS_NAME, { bus: "system" });
        this.manager = this.client.proxy(iface("Manager"), ROOT);
        this.domains = this.client.proxies(iface("Domain"), ROOT);
        this.kinds = {};
        for (const k of KINDS)
            this.kinds[k] = this.client.proxies(iface(k), ROOT);

        this.listeners = [];
        this.dirty = new Set();
        this.membership = false; /* a domain came or went since the last flush */
        this.managerDirty = true;
        this.frame = 0;
        this.closed = null;
        this.owner = undefined; /* the daemon's unique name; null: not on the bus */
        /* True once the first ObjectManager answer is in: before it, an
         * absent domain means "not loaded yet", not "gone". */
        this.loaded = false;
        Promise.all([this.domains.wait(), this.manager.wait()])
                .catch(() => null)
                .then(() => {
                    this.loaded = true;
                    this.managerDirty = true;
                    this.membership = true;
                    this.schedule();
                });

        const touch = (proxy, member) => {
            this.dirty.add(proxy.path);
            if (member)
                this.membership = true;
            this.schedule();
        };
        this.domains.addEventListener("added", (ev, p) => touch(p, true));
        this.domains.addEventListener("removed", (ev, p) => touch(p, true));
        this.domains.addEventListener("changed", (ev, p) => touch(p, false));
        for (const k of KINDS)
            for (const what of ["added", "removed", "changed"])
                this.kinds[k].addEventListener(what, (ev, p) => touch(p, false));
        this.manager.addEventListener("changed", () => {
            this.managerDirty = true;
            this.schedule();
        });
        this.client.addEventListener("close", (ev, options) => {
            this.closed = options.problem || "disconnected";
            this.managerDirty = true;
            this.schedule();
        });
        this.client.addEventListener("owner", (ev, owner) => {
            this.owner = owner;
            this.managerDirty = true;
            this.schedule();
        });
    }

    /* fn({paths, membership, manager}) */
    subscribe(fn) {
        this.listeners.push(fn);
        this.schedule();
        return () => { this.listeners = this.listeners.filter(l => l !== fn) };
    }

    schedule() {
        if (this.frame)
            return;
        this.frame = window.requestAnimationFrame(() => this.flush());
    }

    flush() {
        this.frame = 0;
        const change = { paths: this.dirty, membership: this.membership, manager: this.managerDirty, loaded: this.loaded };
        this.dirty = new Set();
        this.membership = false;
        this.managerDirty = false;
        for (const l of this.listeners)
            l(change);
    }

    /* False while the daemon says libvirt is away, or the daemon is gone. */
    connected() {
        if (this.closed || this.owner === null)
            return false;
        if (!this.manager.valid)
            return false;
        return this.manager.Connected !== false;
    }

    domain(path) {
        const d = this.domains[path];
        return d && d.valid ? d : null;
    }

    kind(k, path) {
        const p = this.kinds[k][path];
        return p && p.valid ? p : null;
    }

    domainPaths() {
        return Object.keys(this.domains).filter(p => this.domains[p].valid);
    }

    /* Explicit property: not in GetAll, fetched when asked for. */
    supportedCommands(path) {
        return this.client.call(path, "org.freedesktop.DBus.Properties", "Get",
                                [iface("Domain"), "AgentSupportedCommands"])
                .then(reply => reply[0].v);
    }

    refresh(path) {
        return this.client.call(path, iface("Domain"), "Refresh", [], { timeout: 120000 });
    }
}

/* The hook for the Domain properties a newer daemon publishes:
 * GuestDataStatus a(sstsa{sv}), one entry per kind (kind, state, last
 * collected in µs, message, more), and GuestDataReason s, why there is no
 * guest data. Both are read when present and ignored when absent: callers
 * get null and fall back to what older daemons have. */
export function guestDataStatus(d) {
    if (!d || !Array.isArray(d.GuestDataStatus))
        return null;
    return d.GuestDataStatus.filter(s => Array.isArray(s) && s.length >= 4)
            .map(s => ({ kind: String(s[0]), state: String(s[1]), collected: Number(s[2]) || 0, message: String(s[3]), more: s[4] || {} }));
}

/* Whether a kind's value was collected (GuestDataStatus: fresh, or kept
 * from an earlier collection); a kind "not-asked" or "unsupported" has
 * only the daemon's zeros. False without GuestDataStatus. */
export function kindCollected(d, kind) {
    const s = kindStatus(d, kind);
    return !!s && (s.state === "fresh" || s.collected > 0);
}

/* A kind's GuestDataStatus entry, or null. */
export function kindStatus(d, kind) {
    return (guestDataStatus(d) || []).find(s => s.kind === kind) || null;
}

export function guestDataReason(d) {
    return d && typeof d.GuestDataReason === "string" && d.GuestDataReason ? d.GuestDataReason : null;
}

/* The newest collection time a domain shows: GuestDataStatus when the
 * daemon has it, the agent's last probe otherwise. */
export function freshness(d) {
    let t = 0;
    for (const s of guestDataStatus(d) || [])
        t = Math.max(t, s.collected);
    if (!t && d)
        t = d.AgentLastProbeTime || 0;
    return t;
}

/* GuestDataReason in words; one a newer daemon adds, as it is. */
function reasonText(reason, _) {
    const texts = {
        "libvirt-disconnected": _("guestinfod has lost libvirt; these are the last known values."),
        paused: _("The VM is paused; values are kept, not refreshed."),
        "not-running": _("The VM is not running."),
        "no-agent-channel": _("The VM has no guest agent channel."),
        "agent-not-connected": _("The guest agent is not connected."),
        frozen: _("The guest's filesystems are frozen; values are kept until the thaw."),
        collecting: _("The guest agent has not answered yet."),
        "agent-timed-out": _("The guest agent did not answer in time."),
        "agent-failed": _("The guest agent gave nothing."),
        "agent-lacks-commands": _("The guest agent offers none of the commands for guest data."),
    };
    return Object.prototype.hasOwnProperty.call(texts, reason) ? texts[reason] : reason;
}

/* Why a domain shows no guest data, in words. */
export function missingReason(d, _) {
    if (!d)
        return _("The VM is gone.");
    if (guestDataReason(d))
        return reasonText(guestDataReason(d), _);
    if (d.State !== "running")
        return _("The VM is not running.");
    if (!d.AgentConnected)
        return _("The guest agent is not connected.");
    return _("The guest agent has not answered yet.");
}
