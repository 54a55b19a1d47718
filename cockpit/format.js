/* Turns the API's values into words; µs since the epoch throughout. */
const _ = cockpit.gettext;

export function age(usec, now) {
    if (!usec)
        return _("never");
    const s = Math.max(0, Math.round((now - usec / 1000) / 1000));
    if (s < 60)
        return cockpit.format(_("$0 s ago"), s);
    if (s < 3600)
        return cockpit.format(_("$0 min ago"), Math.floor(s / 60));
    if (s < 86400)
        return cockpit.format(_("$0 h ago"), Math.floor(s / 3600));
    return cockpit.format(_("$0 days ago"), Math.floor(s / 86400));
}

export function when(usec) {
    if (!usec)
        return _("unknown");
    return new Date(usec / 1000).toLocaleString();
}

export function bytes(n) {
    return cockpit.format_bytes(n, 1024);
}

/* A domain state as libvirt names it, in words a person reads. */
export function state(s) {
    const words = {
        running: _("Running"),
        paused: _("Paused"),
        shutoff: _("Shut off"),
        shutdown: _("Shutting down"),
        crashed: _("Crashed"),
        pmsuspended: _("Suspended (PM)"),
        blocked: _("Blocked"),
        nostate: _("No state"),
    };
    return words[s] || s || _("unknown");
}

export function address(a) {
    /* (family, address, prefix) */
    return a[2] ? a[1] + "/" + a[2] : a[1];
}

/* An a{sv} or a variant as cockpit gives it, as plain text. */
export function plain(v) {
    if (v === null || v === undefined)
        return "";
    if (typeof v === "object" && "t" in v && "v" in v && Object.keys(v).length === 2)
        return plain(v.v);
    if (Array.isArray(v))
        return v.map(plain).join(", ");
    if (typeof v === "object")
        return Object.entries(v).map(([k, x]) => k + "=" + plain(x)).join(", ");
    return String(v);
}

/* FsFreezeStatus in words; "" (unknown) is left out by the caller. */
export function freeze(f) {
    const words = { frozen: _("frozen"), thawed: _("thawed") };
    return Object.prototype.hasOwnProperty.call(words, f) ? words[f] : String(f);
}

/* A span of whole seconds: "42 s", "3 min 20 s", "1 h 0 min", "2 d 3 h". */
export function duration(s) {
    if (s < 60)
        return cockpit.format(_("$0 s"), s);
    if (s < 3600)
        return cockpit.format(_("$0 min $1 s"), Math.floor(s / 60), s % 60);
    if (s < 86400)
        return cockpit.format(_("$0 h $1 min"), Math.floor(s / 3600), Math.floor(s % 3600 / 60));
    return cockpit.format(_("$0 d $1 h"), Math.floor(s / 86400), Math.floor(s % 86400 / 3600));
}

/* OS.ClockOffset, the guest's clock less the host's in µs, in words. */
export function clockOffset(usec) {
    const n = Number(usec);
    if (!Number.isFinite(n))
        return _("unknown");
    if (Math.abs(n) < 1000000)
        return _("within a second of the host");
    const text = duration(Math.round(Math.abs(n) / 1000000));
    return cockpit.format(n > 0 ? _("$0 ahead of the host") : _("$0 behind the host"), text);
}

/* OS.LoadAverage (1, 5, 15 minutes). */
export function load(l) {
    if (!Array.isArray(l) || l.length < 3 || !l.slice(0, 3).every(x => Number.isFinite(Number(x))))
        return _("unknown");
    return l.slice(0, 3).map(x => Number(x).toFixed(2)).join(" / ");
}

/* A string from an a{sv} as cockpit gives it ({t, v} per entry); "" if
 * absent or not a string. */
export function extraString(more, key) {
    const v = more && Object.prototype.hasOwnProperty.call(more, key) ? more[key] : null;
    if (v && typeof v === "object" && v.t === "s")
        return String(v.v);
    return typeof v === "string" ? v : "";
}
