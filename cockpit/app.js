/* The page: the list, or one VM's page, as cockpit.location says; the
 * shell's light or dark style. */
import { Model } from "./model.js";
import { ListView } from "./list.js";
import { VmView } from "./vm.js";
import { replace } from "./dom.js";

/* Cockpit's shell keeps the chosen style in localStorage "shell:style"
 * (auto, light, dark); pages follow it and the system's preference. */
function followTheme() {
    const media = window.matchMedia("(prefers-color-scheme: dark)");
    const apply = () => {
        let style = "auto";
        try {
            style = window.localStorage.getItem("shell:style") || "auto";
        } catch (e) { /* storage may be off */ }
        const dark = style === "dark" || (style === "auto" && media.matches);
        document.documentElement.classList.toggle("pf-theme-dark", dark);
        document.documentElement.classList.toggle("pf-v5-theme-dark", dark);
    };
    window.addEventListener("storage", ev => { if (ev.key === "shell:style") apply() });
    document.addEventListener("visibilitychange", apply);
    media.addEventListener("change", apply);
    apply();
}

function main() {
    /* po.js has set the user's language, if it has a catalog */
    document.documentElement.lang = cockpit.language;
    cockpit.translate();
    followTheme();
    const model = new Model();
    const app = document.getElementById("app");
    const list = new ListView(model, path => cockpit.location.go([path.split("/").pop()]));
    let vm = null;

    const route = () => {
        const id = cockpit.location.path[0];
        if (id) {
            vm = new VmView(model, "/org/guestinfod/GuestInfo1/domain/" + id, () => cockpit.location.go([]));
            replace(app, vm.root);
            vm.update();
        } else {
            vm = null;
            replace(app, list.root);
        }
    };
    cockpit.addEventListener("locationchanged", route);
    route();

    model.subscribe(change => {
        if (!change.loaded)
            return;
        list.update(change);
        if (vm && (change.manager || change.paths.has(vm.path)))
            vm.update();
        document.body.dataset.ready = "true";
    });
    window.setInterval(() => {
        if (vm)
            vm.update();
        else
            list.tick();
    }, 5000);
}

main();
