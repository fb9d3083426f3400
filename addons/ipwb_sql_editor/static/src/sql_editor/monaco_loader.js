/** @odoo-module **/
// Lazy loading of Monaco (0.57, AMD build) without breaking Odoo's own libraries.
//
// Monaco's AMD loader defines the globals `define` (with `define.amd`) and `require`.
// UMD libraries that Odoo loads later (Chart.js for graph views, …) check
// `typeof define === "function" && define.amd` and would then register themselves as
// anonymous AMD modules instead of setting their global (`window.Chart`), breaking those
// views. Once Monaco is loaded, `define.amd` is hidden: Monaco's own modules are named
// `define(...)` calls and never look at it, and UMD libraries fall back to globals.

import { loadJS } from "@web/core/assets";

export const MONACO_BASE = "/ipwb_sql_editor/static/lib/monaco/min/vs";

let monacoPromise = null;

export function hideAmdFlag() {
    if (window.define && window.define.amd) {
        window.__ipwbMonacoAmd = window.define.amd;
        delete window.define.amd;
    }
}

export function loadMonaco() {
    if (!monacoPromise) {
        monacoPromise = (async () => {
            await loadJS(`${MONACO_BASE}/loader.js`);
            window.require.config({ paths: { vs: MONACO_BASE } });
            const monaco = await new Promise((resolve, reject) => {
                window.require(["vs/editor/editor.main"], resolve, reject);
            });
            hideAmdFlag();
            return window.monaco || monaco;
        })();
        monacoPromise.catch(() => {
            monacoPromise = null;
        });
    }
    return monacoPromise;
}
