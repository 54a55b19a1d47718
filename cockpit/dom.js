/* The only way this page makes elements. Every string, guest data above
 * all, goes in as a text node: nothing here parses HTML. */

export function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === undefined || v === null || v === false)
            continue;
        if (k === "class")
            e.className = v;
        else if (k.startsWith("on"))
            e.addEventListener(k.slice(2), v);
        else
            e.setAttribute(k, v === true ? "" : String(v));
    }
    add(e, children);
    return e;
}

export function add(parent, child) {
    if (child === undefined || child === null || child === false)
        return;
    if (Array.isArray(child))
        child.forEach(c => add(parent, c));
    else if (child instanceof Node)
        parent.appendChild(child);
    else
        parent.appendChild(document.createTextNode(String(child)));
}

/* Writes only when the text differs: rows are updated in place. */
export function setText(e, s) {
    s = String(s);
    if (e.textContent !== s)
        e.textContent = s;
}

export function clear(e) {
    while (e.firstChild)
        e.removeChild(e.firstChild);
}

export function replace(e, ...children) {
    clear(e);
    add(e, children);
}
