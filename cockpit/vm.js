/* One VM's page: everything the daemon has of it, redrawn when its objects
 * change (one VM is small; the list is the part that must be cheap). */
import { el, replace, setText } from "./dom.js";
import * as fmt from "./format.js";
import { KINDS, freshness, guestDataReason, guestDataStatus, kindCollected, kindStatus, missingReason } from "./model.js";

const _ = cockpit.gettext;

/* Domain properties this page lays out itself; others are listed as they come. */
const KNOWN = new Set(["Name", "UUID", "State", "Persistent", "Id", "AgentConnected", "AgentLastTransitionTime",
    "AgentLastProbeTime", "AgentVersion", "AgentSupportedCommands", "GuestDataStatus", "GuestDataReason",
    "FsFreezeStatus", "valid", "path", "iface", "data", "client", "wait", "call"]);

function card(title, id, ...body) {
    return el("div", { class: "pf-c-card gi-card", id },
              el("div", { class: "pf-c-card__title" }, el("h2", { class: "pf-c-title pf-m-lg" }, title)),
              el("div", { class: "pf-c-card__body" }, body));
}

function pairs(list) {
    return el("dl", { class: "pf-c-description-list pf-m-horizontal pf-m-compact" },
              list.filter(p => p && p[1] !== undefined && p[1] !== null && p[1] !== "").map(([term, value, id]) =>
                  el("div", { class: "pf-c-description-list__group" },
                     el("dt", { class: "pf-c-description-list__term" }, el("span", { class: "pf-c-description-list__text" }, term)),
                     el("dd", { class: "pf-c-description-list__description" },
                        el("div", { class: "pf-c-description-list__text", id }, value)))));
}

function table(id, heads, rows) {
    return el("table", { class: "pf-c-table pf-m-compact pf-m-grid-md", role: "grid", id },
              el("thead", {}, el("tr", {}, heads.map(h => el("th", { scope: "col" }, h)))),
              el("tbody", {}, rows.map(r => el("tr", {}, r.map((c, i) => el("td", { "data-label": heads[i] }, c))))));
}

function missing(text) {
    return el("p", { class: "gi-missing" }, text);
}

export class VmView {
    constructor(model, path, back) {
        this.model = model;
        this.path = path;
        this.commands = null;
        this.commandsFor = null;
        this.commandsOpen = false;
        this.diskShown = null; /* the Disks row a filesystem's disk was followed to */
        this.status = el("div", { id: "gi-refresh-status", "aria-live": "polite" });
        this.refreshButton = el("button", { class: "pf-c-button pf-m-secondary", id: "gi-refresh", type: "button", onclick: () => this.refresh() },
                                _("Refresh"));
        this.title = el("h1", { class: "pf-c-title pf-m-2xl", id: "gi-vm-name" });
        this.stateLabel = el("span", { class: "pf-c-label gi-state", id: "gi-vm-state" });
        this.body = el("div", { class: "gi-cards" });
        this.root = el("section", { class: "pf-c-page__main-section gi-vm-page" },
                       el("nav", { class: "pf-c-breadcrumb", "aria-label": _("Breadcrumb") },
                          el("ol", { class: "pf-c-breadcrumb__list" },
                             el("li", { class: "pf-c-breadcrumb__item" },
                                el("a", { href: "#", class: "pf-c-breadcrumb__link", id: "gi-back", onclick: ev => { ev.preventDefault(); back() } },
                                   _("Virtual machines"))))),
                       el("div", { class: "gi-vm-header" }, this.title, this.stateLabel, this.refreshButton),
                       this.status, this.body);
    }

    refresh() {
        this.refreshButton.disabled = true;
        replace(this.status, el("p", { class: "gi-pending" }, _("Collecting from the guest agent…")));
        this.model.refresh(this.path)
                .then(() => replace(this.status, el("div", { class: "pf-c-alert pf-m-success pf-m-inline", id: "gi-refresh-done" },
                                                    el("p", { class: "pf-c-alert__title" }, _("Collected from the guest agent.")))))
                .catch(ex => {
                    const denied = ex.name === "org.freedesktop.DBus.Error.AccessDenied" || ex.problem === "access-denied";
                    const text = denied
                        ? _("Not permitted: polkit refused this refresh.")
                        : _("The refresh failed.");
                    replace(this.status, el("div", { class: "pf-c-alert pf-m-danger pf-m-inline", id: denied ? "gi-refresh-denied" : "gi-refresh-failed", role: "alert" },
                                            el("p", { class: "pf-c-alert__title" }, text),
                                            el("div", { class: "pf-c-alert__description" }, el("p", { class: "gi-error-detail" }, String(ex.message || ex.name || ex)))));
                })
                .finally(() => { this.refreshButton.disabled = false });
    }

    update() {
        if (!this.model.loaded)
            return;
        const d = this.model.domain(this.path);
        if (!d) {
            setText(this.title, _("VM gone"));
            replace(this.body, missing(_("This VM is no longer known to guestinfod.")));
            this.refreshButton.disabled = true;
            return;
        }
        const now = Date.now();
        setText(this.title, d.Name);
        setText(this.stateLabel, fmt.state(d.State));
        this.stateLabel.dataset.state = d.State;
        this.root.classList.toggle("gi-greyed", !this.model.connected());

        const k = {};
        for (const kind of KINDS)
            k[kind] = this.model.kind(kind, this.path);
        const reason = missingReason(d, _);

        /* The agent's command list is fetched again when the agent changes. */
        const agentKey = d.AgentConnected + "/" + d.AgentVersion;
        if (this.commandsFor !== agentKey) {
            this.commandsFor = agentKey;
            this.model.supportedCommands(this.path)
                    .then(c => { this.commands = c; this.update() })
                    .catch(() => { this.commands = null });
        }

        const cards = [];
        cards.push(card(_("Virtual machine"), "gi-machine", pairs([
            [_("State"), fmt.state(d.State), "gi-machine-state"],
            [_("UUID"), d.UUID, "gi-uuid"],
            [_("ID"), d.Id > 0 ? String(d.Id) : undefined],
            [_("Persistent"), d.Persistent ? _("yes") : _("no")],
        ])));
        const os = k.OS;
        cards.push(card(_("Operating system"), "gi-os", os
            ? pairs([
                [_("Name"), os.OperatingSystemPrettyName || os.OperatingSystemName, "gi-os-name"],
                [_("ID"), os.OperatingSystemId],
                [_("Version"), os.OperatingSystemVersion || os.OperatingSystemVersionId],
                [_("Variant"), os.OperatingSystemVariant],
                [_("Kernel"), [os.KernelRelease, os.KernelVersion].filter(Boolean).join(" "), "gi-kernel"],
                [_("Machine"), os.Machine],
                [_("Hostname"), os.Hostname, "gi-hostname"],
                [_("Time zone"), os.TimezoneName ? os.TimezoneName + " (UTC" + (os.TimezoneOffset >= 0 ? "+" : "") + (os.TimezoneOffset / 3600) + ")" : ""],
                /* only what the agent said: a kind not asked or unsupported has the daemon's zeros */
                [_("vCPUs"), kindCollected(d, "vcpus") && Array.isArray(os.Vcpus)
                    ? cockpit.format(_("$0 of $1 online"), Number(os.Vcpus[1]), Number(os.Vcpus[0]))
                    : undefined, "gi-vcpus"],
                [_("Load (1, 5, 15 min)"), kindCollected(d, "load") ? fmt.load(os.LoadAverage) : undefined, "gi-load"],
                [_("Clock"), kindCollected(d, "clock") ? fmt.clockOffset(os.ClockOffset) : undefined, "gi-clock"],
            ])
            : missing(reason)));

        cards.push(card(_("Users"), "gi-users", k.Users
            ? (k.Users.Users.length
                ? [table("gi-users-table", [_("User"), _("Domain"), _("Logged in")],
                         k.Users.Users.map(u => [u[0], u[1], u[2] ? fmt.when(u[2]) + " (" + fmt.age(u[2], now) + ")" : _("unknown")])),
                   k.Users.UserCount > k.Users.Users.length ? el("p", {}, cockpit.format(_("$0 users in all"), k.Users.UserCount)) : null]
                : missing(_("Nobody is logged in.")))
            : missing(reason)));

        /* The guest's disks, their rows by device ("/dev/vda") for the
         * filesystems' links to them. */
        const disks = k.Filesystems && kindCollected(d, "disks") && Array.isArray(k.Filesystems.Disks) ? k.Filesystems.Disks : null;
        const diskRows = new Map();
        const disksTable = disks && disks.length ? this.disksTable(disks, diskRows) : null;

        cards.push(card(_("Filesystems"), "gi-filesystems", k.Filesystems
            ? (k.Filesystems.Filesystems.length
                ? [table("gi-fs-table", [_("Mount point"), _("Device"), _("Type"), _("Usage"), _("Disks")],
                         k.Filesystems.Filesystems.map(f => [f[1], f[0], f[2], usage(f[3], f[4]),
                             joined((f[5] || []).map(x => this.fsDisk(x, diskRows)), ", ")])),
                   k.Filesystems.FilesystemCount > k.Filesystems.Filesystems.length ? el("p", {}, cockpit.format(_("$0 filesystems in all"), k.Filesystems.FilesystemCount)) : null]
                : missing(_("The guest reported no filesystems.")))
            : missing(reason)));

        const disksState = kindStatus(d, "disks");
        if (disksState || (k.Filesystems && Array.isArray(k.Filesystems.Disks)))
            cards.push(card(_("Disks"), "gi-disks", disks
                ? (disksTable
                    ? [disksTable, k.Filesystems.DiskCount > disks.length ? el("p", {}, cockpit.format(_("$0 disks in all"), k.Filesystems.DiskCount)) : null]
                    : missing(_("The guest reported no disks.")))
                : missing(disksState && (disksState.state === "unsupported" || disksState.state === "disabled")
                    ? _("The guest agent does not list the guest's disks.")
                    : reason)));

        cards.push(card(_("Network interfaces"), "gi-network", k.Network
            ? table("gi-net-table", [_("Device"), _("Guest name"), _("MAC"), _("Addresses"), _("Sources")],
                    k.Network.Interfaces.map(i => [i[0], i[1], i[2], (i[3] || []).map(fmt.address).join(" "), (i[4] || []).join(", ")]))
            : missing(reason)));

        const commands = this.commands;
        cards.push(card(_("Guest agent"), "gi-agent", pairs([
            [_("Connected"), d.AgentConnected ? _("yes") : _("no"), "gi-agent-connected"],
            [_("Version"), d.AgentVersion, "gi-agent-version"],
            [_("Last change"), d.AgentLastTransitionTime ? fmt.age(d.AgentLastTransitionTime, now) : ""],
            [_("Last heard"), d.AgentLastProbeTime ? fmt.age(d.AgentLastProbeTime, now) : ""],
            [_("Collected"), freshness(d) ? fmt.age(freshness(d), now) : "", "gi-collected"],
            [_("Filesystem freeze"), typeof d.FsFreezeStatus === "string" && d.FsFreezeStatus ? fmt.freeze(d.FsFreezeStatus) : undefined, "gi-freeze"],
            /* also with data: a paused or frozen VM's is kept, not refreshed */
            [_("Why data is missing"), !os || guestDataReason(d) ? reason : undefined, "gi-reason"],
        ]), commands && commands.length
            ? el("details", { class: "gi-commands", id: "gi-commands-details", open: this.commandsOpen,
                              /* the page is redrawn on every change: keep it as the user left it */
                              ontoggle: ev => { this.commandsOpen = ev.target.open } },
                 el("summary", {}, cockpit.format(_("$0 commands, $1 enabled"), commands.length, commands.filter(c => c[1]).length)),
                 el("ul", { id: "gi-commands" }, commands.map(c => el("li", { class: c[1] ? "" : "gi-disabled" }, c[0] + (c[1] ? "" : " " + _("(disabled)"))))))
            : null));

        /* Each kind's state and age, on a daemon that publishes them;
         * otherwise only whether its object is there. */
        const status = guestDataStatus(d);
        if (status)
            cards.push(card(_("Data kinds"), "gi-kinds",
                            table("gi-kinds-table", [_("Kind"), _("State"), _("Collected"), _("Message")],
                                  status.map(s => [s.kind, s.state, s.collected ? fmt.age(s.collected, now) : _("never"), s.message]))));
        else
            cards.push(card(_("Data kinds"), "gi-kinds",
                            table("gi-kinds-table", [_("Kind"), _("State")],
                                  KINDS.map(kind => [kind, k[kind] ? _("present") : _("missing")]))));

        const extra = Object.keys(d).filter(p => /^[A-Z]/.test(p) && !KNOWN.has(p) && typeof d[p] !== "function");
        if (extra.length)
            cards.push(card(_("More"), "gi-more", pairs(extra.sort().map(p => [p, fmt.plain(d[p])]))));

        replace(this.body, cards);
    }

    /* Filesystems.Disks, (name, partition, dependencies, serial, bus,
     * target, source, more), one row each; rows by name into byName. */
    disksTable(disks, byName) {
        const t = table("gi-disks-table", [_("Device"), _("Partition"), _("Built on"), _("Serial"), _("Bus"), _("Domain disk"), _("Source")],
                        disks.map(x => {
                            const alias = fmt.extraString(x[7], "Alias");
                            return [alias ? x[0] + " (" + alias + ")" : x[0], x[1] ? _("yes") : _("no"), (x[2] || []).join(", "),
                                x[3], x[4], x[5], x[6]];
                        }));
        [...t.tBodies[0].rows].forEach((row, i) => {
            const name = String(disks[i][0]);
            if (!byName.has(name))
                byName.set(name, row);
            if (name === this.diskShown)
                row.classList.add("gi-shown");
        });
        return t;
    }

    /* A filesystem's disk (serial, bus, more {Device, Target}): its guest
     * device, a link to its Disks row when there is one, its domain disk. */
    fsDisk(x, diskRows) {
        const device = fmt.extraString(x[2], "Device");
        const target = fmt.extraString(x[2], "Target");
        const parts = [];
        if (device && diskRows.has(device))
            parts.push(el("button", { class: "pf-c-button pf-m-link pf-m-inline gi-disk-link", type: "button", onclick: () => this.showDisk(device) },
                          device));
        else if (device)
            parts.push(device);
        if (target)
            parts.push(cockpit.format(_("domain disk $0"), target));
        parts.push(x[0] || _("no serial"));
        if (x[1])
            parts.push(x[1]);
        return joined(parts, " · ");
    }

    /* Marks the disk's row, kept through redraws, and brings it into view. */
    showDisk(name) {
        this.diskShown = name;
        this.update();
        const row = this.body.querySelector("#gi-disks-table tr.gi-shown");
        if (row)
            row.scrollIntoView({ block: "nearest" });
    }
}

/* Items (strings or elements) with a separator between them. */
function joined(items, sep) {
    return items.flatMap((x, i) => i ? [sep, x] : [x]);
}

function usage(used, total) {
    if (!total)
        return _("unknown");
    const pct = Math.min(100, Math.round(100 * used / total));
    const bar = el("div", { class: "pf-c-progress pf-m-sm gi-usage" + (pct >= 90 ? " pf-m-danger" : pct >= 75 ? " pf-m-warning" : "") },
                   el("div", { class: "pf-c-progress__status" },
                      el("span", { class: "pf-c-progress__measure" }, fmt.bytes(used) + " / " + fmt.bytes(total) + " (" + pct + " %)")),
                   el("div", { class: "pf-c-progress__bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": pct },
                      el("div", { class: "pf-c-progress__indicator" })));
    /* CSSOM, not a style attribute: Cockpit's CSP allows only this */
    bar.querySelector(".pf-c-progress__indicator").style.width = pct + "%";
    return bar;
}
