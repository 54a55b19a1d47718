/* The VM list: one row per domain object, kept and updated in place; the
 * order is recomputed only when the sort, the filter or the membership
 * changes, or a sorted-on value does. */
import { el, setText } from "./dom.js";
import * as fmt from "./format.js";
import { freshness, guestDataReason, missingReason } from "./model.js";

const _ = cockpit.gettext;

const COLUMNS = [
    { key: "name", label: _("Name") },
    { key: "state", label: _("State") },
    { key: "agent", label: _("Agent") },
    { key: "os", label: _("Operating system") },
    { key: "hostname", label: _("Hostname") },
    { key: "addresses", label: _("Addresses") },
    { key: "fresh", label: _("Collected") },
];

function values(model, path) {
    const d = model.domain(path);
    const os = model.kind("OS", path);
    const net = model.kind("Network", path);
    const addrs = [];
    if (net && Array.isArray(net.Interfaces))
        for (const i of net.Interfaces)
            for (const a of i[3] || [])
                addrs.push(fmt.address(a));
    return {
        name: d.Name || "",
        state: d.State || "",
        agent: d.AgentConnected ? _("Connected") : _("Not connected"),
        os: os ? (os.OperatingSystemPrettyName || os.OperatingSystemName || "") : "",
        hostname: os ? (os.Hostname || "") : "",
        addresses: addrs.join(" "),
        fresh: freshness(d),
        /* GuestDataReason, when the daemon publishes it: shown on the agent cell */
        reason: guestDataReason(d) ? missingReason(d, _) : "",
    };
}

export class ListView {
    constructor(model, open) {
        this.model = model;
        this.open = open;
        this.rows = new Map(); /* path → {tr, cells, v} */
        this.sortKey = "name";
        this.sortUp = true;
        this.filter = "";
        this.needOrder = true;

        this.search = el("input", {
            class: "pf-c-form-control", type: "search", id: "gi-filter",
            placeholder: _("Filter by name, OS, hostname or address"),
            "aria-label": _("Filter"),
            oninput: () => { this.filter = this.search.value.toLowerCase(); this.needOrder = true; this.reorder() },
        });
        this.count = el("span", { class: "gi-count", id: "gi-count" });
        this.banner = el("div", { class: "pf-c-alert pf-m-warning pf-m-inline gi-hidden", id: "gi-disconnected", role: "alert" },
                         el("p", { class: "pf-c-alert__title" }, _("The connection to libvirt is down: these values are the last ones seen.")));
        this.heads = COLUMNS.map(c => {
            const button = el("button", { class: "pf-c-table__button", type: "button", onclick: () => this.sortBy(c.key) },
                              el("span", { class: "pf-c-table__text" }, c.label),
                              el("span", { class: "gi-sort", "aria-hidden": "true" }));
            return el("th", { class: "pf-c-table__sort", scope: "col", "data-key": c.key }, button);
        });
        this.tbody = el("tbody", { role: "rowgroup", id: "gi-rows" });
        this.empty = el("p", { class: "gi-empty gi-hidden", id: "gi-empty" }, _("No VMs."));
        this.table = el("table", { class: "pf-c-table pf-m-compact pf-m-grid-md", role: "grid", id: "gi-list", "aria-label": _("Virtual machines") },
                        el("thead", {}, el("tr", { role: "row" }, this.heads)), this.tbody);
        this.root = el("section", { class: "pf-c-page__main-section gi-list-page" },
                       el("div", { class: "pf-c-card" },
                          el("div", { class: "pf-c-card__header gi-toolbar" },
                             el("h2", { class: "pf-c-title pf-m-xl" }, _("Virtual machines")),
                             this.search, this.count),
                          this.banner,
                          el("div", { class: "pf-c-card__body gi-scroll" }, this.table, this.empty)));
        this.showSort();
    }

    sortBy(key) {
        if (this.sortKey === key)
            this.sortUp = !this.sortUp;
        else {
            this.sortKey = key;
            this.sortUp = true;
        }
        this.showSort();
        this.needOrder = true;
        this.reorder();
    }

    showSort() {
        for (const th of this.heads) {
            const on = th.dataset.key === this.sortKey;
            th.classList.toggle("pf-m-selected", on);
            th.setAttribute("aria-sort", on ? (this.sortUp ? "ascending" : "descending") : "none");
            setText(th.querySelector(".gi-sort"), on ? (this.sortUp ? " ▲" : " ▼") : "");
        }
    }

    makeRow(path) {
        const cells = {};
        const tr = el("tr", { role: "row", "data-path": path });
        for (const c of COLUMNS) {
            const td = el("td", { role: "gridcell", "data-label": c.label, class: "gi-col-" + c.key });
            if (c.key === "name") {
                cells.link = el("a", { href: "#", class: "gi-name", onclick: ev => { ev.preventDefault(); this.open(path) } });
                td.appendChild(cells.link);
            }
            cells[c.key] = td;
            tr.appendChild(td);
        }
        return { tr, cells, v: null, visible: true };
    }

    fill(row, v, now) {
        setText(row.cells.link, v.name);
        setText(row.cells.state, fmt.state(v.state));
        row.cells.state.dataset.state = v.state;
        setText(row.cells.agent, v.agent);
        if (v.reason)
            row.cells.agent.title = v.reason;
        else
            row.cells.agent.removeAttribute("title");
        setText(row.cells.os, v.os);
        setText(row.cells.hostname, v.hostname);
        setText(row.cells.addresses, v.addresses);
        setText(row.cells.fresh, v.fresh ? fmt.age(v.fresh, now) : "—");
    }

    /* From the model's batched change. */
    update(change) {
        if (!this.model.loaded)
            return;
        const now = Date.now();
        if (change.membership || this.rows.size === 0) {
            const live = new Set(this.model.domainPaths());
            for (const [path, row] of this.rows)
                if (!live.has(path)) {
                    row.tr.remove();
                    this.rows.delete(path);
                }
            for (const path of live)
                if (!this.rows.has(path)) {
                    this.rows.set(path, this.makeRow(path));
                    change.paths.add(path);
                }
            this.needOrder = true;
        }
        for (const path of change.paths) {
            const row = this.rows.get(path);
            if (!row || !this.model.domain(path))
                continue;
            const v = values(this.model, path);
            if (!row.v || row.v[this.sortKey] !== v[this.sortKey] || this.filter)
                this.needOrder = true;
            row.v = v;
            this.fill(row, v, now);
        }
        if (change.manager) {
            const up = this.model.connected();
            this.table.classList.toggle("gi-greyed", !up);
            this.banner.classList.toggle("gi-hidden", up);
            this.root.dataset.connected = up ? "true" : "false";
        }
        this.reorder();
    }

    matches(v) {
        if (!this.filter)
            return true;
        return [v.name, v.os, v.hostname, v.addresses, v.state].some(s => s.toLowerCase().includes(this.filter));
    }

    reorder() {
        if (!this.needOrder)
            return;
        this.needOrder = false;
        const key = this.sortKey, sign = this.sortUp ? 1 : -1;
        const shown = [...this.rows.values()].filter(r => r.v && this.matches(r.v));
        shown.sort((a, b) => {
            const x = a.v[key], y = b.v[key];
            const c = typeof x === "number" ? x - y : x.localeCompare(y);
            return sign * (c || a.v.name.localeCompare(b.v.name));
        });
        /* Rows move only when out of place: a sorted list stays as is. */
        let at = this.tbody.firstChild;
        for (const r of shown) {
            if (r.tr === at)
                at = at.nextSibling;
            else
                this.tbody.insertBefore(r.tr, at);
        }
        while (at) {
            const next = at.nextSibling;
            at.remove();
            at = next;
        }
        setText(this.count, cockpit.format(cockpit.ngettext("$0 VM", "$0 VMs", this.rows.size), this.rows.size) +
                (shown.length !== this.rows.size ? " · " + cockpit.format(_("$0 shown"), shown.length) : ""));
        this.empty.classList.toggle("gi-hidden", shown.length > 0);
    }

    /* Ages move on with the clock, not with the bus. */
    tick() {
        const now = Date.now();
        for (const row of this.rows.values())
            if (row.v && row.v.fresh && row.tr.parentNode)
                setText(row.cells.fresh, fmt.age(row.v.fresh, now));
    }
}
