/** @odoo-module **/
// The lineage graph over a 511-table fixture (see tests/lineage_fixture.py): first page of a
// hub's neighbours with "+k more" nodes, next page, expanding a table, a table's columns with
// column edges and impact highlighting, wheel zoom around the cursor, buttons, pan and fit.

import {registry} from "@web/core/registry";

const HUB = "silver.lgt_hub";
const zoomOf = () => Number(document.querySelector(".o_ipwb_lineage_zoom").dataset.zoom);
const viewport = () => document.querySelector(".o_ipwb_lineage_viewport").getAttribute("transform");
function check(condition, message) {
    if (!condition) {
        throw new Error(`ipwb lineage graph tour: ${message}`);
    }
}
const memo = {};
/** click the hub's "+k more" node of ``direction`` while it reads each of ``counts`` in turn */
const loadPages = (direction, counts) =>
    counts.map((count) => ({
        content: `Load the next ${direction} page (+${count} more)`,
        trigger: `.o_ipwb_lineage_more[data-node='${HUB}'][data-direction='${direction}']:contains('+${count} more')`,
        run: "click",
    }));

registry.category("web_tour.tours").add("ipwb_catalog_lineage_graph_tour", {
    steps: () => [
        {
            content: "Open the hub's lineage graph from its form",
            trigger: "button[name='action_open_lineage']",
            run: "click",
        },
        {
            content: "First page: the hub, 25 sources and 25 marts",
            trigger: `.o_ipwb_lineage_count[data-count='51']`,
        },
        {
            content: "The rest of the sources is one '+k more' node",
            trigger: `.o_ipwb_lineage_more[data-node='${HUB}'][data-direction='upstream']:contains('+95 more')`,
        },
        {
            content: "The hub's 25 shown marts are packed in one grid",
            trigger: `.o_ipwb_lineage_group[data-parent='${HUB}'][data-direction='downstream'][data-count='25']`,
        },
        {
            content: "Tables sit in their layer lanes",
            trigger: ".o_ipwb_lineage_lane[data-layer='gold']:contains('gold · 25')",
        },
        {
            content: "The first view fits the graph, at a zoom where labels stay readable",
            trigger: ".o_ipwb_lineage_zoom",
            run() {
                memo.first = zoomOf();
                check(memo.first >= 40 && memo.first < 100, `first zoom ${memo.first}% of a tall graph`);
                const hub = document.querySelector(`.o_ipwb_lineage_node[data-node='${HUB}']`);
                const [box, node] = [this.anchor.closest(".o_ipwb_lineage_graph"), hub].map((el) =>
                    el.getBoundingClientRect()
                );
                check(node.top >= box.top && node.bottom <= box.bottom, "the hub is on screen");
            },
        },
        {
            content: "Load the next page of marts",
            trigger: `.o_ipwb_lineage_more[data-node='${HUB}'][data-direction='downstream']:contains('+275 more')`,
            run: "click",
        },
        {
            content: "25 more marts, 250 still behind the '+k more' node",
            trigger: `.o_ipwb_lineage_more[data-node='${HUB}'][data-direction='downstream']:contains('+250 more')`,
        },
        {
            content: "…and drawn",
            trigger:
                ".o_ipwb_lineage_graph:has(.o_ipwb_lineage_count[data-count='76'])" +
                " .o_ipwb_lineage_node[data-node='gold.lgt_mart_049']",
        },
        {
            content: "Expand a mart",
            trigger: ".o_ipwb_lineage_node[data-node='gold.lgt_mart_049']",
            run: "click",
        },
        {
            content: "Its KPI table appears",
            trigger: ".o_ipwb_lineage_node[data-node='platinum.lgt_kpi_049']",
        },
        {
            content: "Show the hub's columns",
            trigger: `.o_ipwb_lineage_node[data-node='${HUB}'] .o_ipwb_lineage_cols_toggle`,
            run: "click",
        },
        {
            content: "Its columns are listed, with column→column edges",
            trigger: `.o_ipwb_lineage_node[data-node='${HUB}'] .o_ipwb_lineage_column[data-column='amount']`,
            run() {
                const edges = document.querySelectorAll(".o_ipwb_lineage_column_edge").length;
                check(edges >= 100, `${edges} column edges drawn`);
            },
        },
        {
            content: "Select the amount column",
            trigger: `.o_ipwb_lineage_node[data-node='${HUB}'] .o_ipwb_lineage_column[data-column='amount']`,
            run: "click",
        },
        {
            content: "Its impact: 390 columns in 390 tables",
            trigger: ".o_ipwb_lineage_impact_info:contains('390 column(s) in 390 table(s)')",
        },
        {
            content: "…drawn impacted tables are highlighted",
            trigger: ".o_ipwb_lineage_node.o_ipwb_lineage_impacted[data-node='gold.lgt_mart_049']",
        },
        {
            content: "…and the impacted column edges too",
            trigger: ".o_ipwb_lineage_column_edge.o_ipwb_lineage_impact",
        },
        {
            content: "Hide the hub's columns again",
            trigger: `.o_ipwb_lineage_node[data-node='${HUB}'] .o_ipwb_lineage_cols_toggle`,
            run: "click",
        },
        {
            content: "The columns are gone",
            trigger: `.o_ipwb_lineage_node[data-node='${HUB}']:not(:has(.o_ipwb_lineage_column))`,
        },
        {
            content: "Zoom in with the wheel around a point",
            trigger: ".o_ipwb_lineage_svg",
            run() {
                memo.before = zoomOf();
                const rect = this.anchor.getBoundingClientRect();
                const init = {deltaY: -400, clientX: rect.left + 50, clientY: rect.top + 50, bubbles: true};
                this.anchor.dispatchEvent(new WheelEvent("wheel", {...init, cancelable: true}));
            },
        },
        {
            content: "The wheel zoomed in",
            trigger: ".o_ipwb_lineage_zoom",
            run() {
                check(zoomOf() > memo.before, `wheel zoom ${memo.before}% → ${zoomOf()}%`);
                memo.wheel = zoomOf();
            },
        },
        {
            content: "Zoom out with the button",
            trigger: ".o_ipwb_lineage_zoom_out",
            run: "click",
        },
        {
            content: "The button zoomed out",
            trigger: ".o_ipwb_lineage_zoom",
            run() {
                check(zoomOf() < memo.wheel, `button zoom ${memo.wheel}% → ${zoomOf()}%`);
                memo.transform = viewport();
            },
        },
        {
            content: "Drag the canvas",
            trigger: ".o_ipwb_lineage_svg",
            run() {
                const rect = this.anchor.getBoundingClientRect();
                const at = (dx) => ({clientX: rect.left + 300 + dx, clientY: rect.top + 200, bubbles: true, button: 0});
                this.anchor.dispatchEvent(new PointerEvent("pointerdown", at(0)));
                window.dispatchEvent(new PointerEvent("pointermove", at(60)));
                window.dispatchEvent(new PointerEvent("pointermove", at(120)));
                window.dispatchEvent(new PointerEvent("pointerup", at(120)));
            },
        },
        {
            content: "The drag panned the view",
            trigger: ".o_ipwb_lineage_viewport",
            run() {
                check(viewport() !== memo.transform, `pan left ${viewport()}`);
            },
        },
        ...loadPages("upstream", [95, 70, 45, 20]),
        ...loadPages("downstream", [250, 225, 200, 175, 150, 125, 100, 75, 50, 25]),
        {
            // marts 049, 139 and 229 feed the drawn lgt_kpi_049: linked twice, they leave the grid
            content: "Every neighbour of the hub is drawn: 422 tables, the leaves in two grids",
            trigger:
                ".o_ipwb_lineage_graph:has(.o_ipwb_lineage_count[data-count='422'])" +
                `:has(.o_ipwb_lineage_group[data-parent='${HUB}'][data-count='120'])` +
                `:has(.o_ipwb_lineage_group[data-parent='${HUB}'][data-count='297'])` +
                `:not(:has(.o_ipwb_lineage_more[data-node='${HUB}']))`,
        },
        {
            content: "Fit the graph again",
            trigger: ".o_ipwb_lineage_fit",
            run: "click",
        },
        {
            content: "Fitted: the whole graph of 422 tables is shown, labels still drawn",
            trigger: ".o_ipwb_lineage_zoom",
            run() {
                const fit = zoomOf();
                check(fit > 0 && fit <= memo.first, `fit after expanding ${fit}% (first view ${memo.first}%)`);
                const svg = document.querySelector(".o_ipwb_lineage_svg").getBoundingClientRect();
                const all = document.querySelector(".o_ipwb_lineage_viewport").getBoundingClientRect();
                const inside = all.top >= svg.top - 1 && all.bottom <= svg.bottom + 1;
                check(inside && all.left >= svg.left - 1 && all.right <= svg.right + 1, "the whole graph is on screen");
                const label = document.querySelector(".o_ipwb_lineage_node text").getBoundingClientRect();
                check(label.height >= 5, `labels are still drawn ${label.height}px high when zoomed out`);
            },
        },
    ],
});
