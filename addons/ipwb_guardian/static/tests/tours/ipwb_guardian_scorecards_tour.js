/** @odoo-module **/
// Quality › Scorecards reads at a glance: the latest score of each table and domain,
// grouped by domain, with dimension bars and a trend sparkline; the history stays a graph.

import { registry } from "@web/core/registry";

const ROW = ".o_list_renderer .o_data_row:has(td[name='name']:contains(gold.tour_sales))";

registry.category("web_tour.tours").add("ipwb_guardian_scorecards_tour", {
    steps: () => [
        {
            content: "The list is grouped by domain",
            trigger: ".o_list_renderer .o_group_name:contains(sales_tour)",
            timeout: 30000, // the first load of the list on a busy machine
        },
        {
            content: "One row per table (its latest score), with the trend drawn as a rising sparkline",
            trigger: `${ROW} .o_ipwb_sparkline[data-points='3'][data-direction='up'] polyline`,
            run() {
                const rows = [...document.querySelectorAll(".o_list_renderer .o_data_row td[name='name']")].filter(
                    (td) => td.textContent.trim() === "gold.tour_sales"
                );
                if (rows.length !== 1) {
                    throw new Error(`expected the latest scorecard only, found ${rows.length} rows`);
                }
            },
        },
        {
            content: "Dimensions are bars",
            trigger: `${ROW} td[name='completeness'] .o_progressbar`,
        },
        {
            content: "The kanban shows the same cards",
            trigger: ".o_switch_view.o_kanban",
            run: "click",
        },
        {
            content: "A card with its bars and sparkline",
            trigger: ".o_kanban_record:contains(gold.tour_sales) .o_ipwb_sparkline svg",
        },
        {
            content: "The graph is still there",
            trigger: ".o_switch_view.o_graph",
            run: "click",
        },
        {
            trigger: ".o_graph_renderer canvas",
        },
        {
            content: "Back to the list (where the screenshot is taken)",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            trigger: `${ROW} .o_ipwb_sparkline svg`,
        },
    ],
});

// An empty list says what to do next (Odoo's no-content help of the window action).
registry.category("web_tour.tours").add("ipwb_guardian_empty_state_tour", {
    steps: () => [
        {
            content: "The empty results list explains where results come from",
            trigger: ".o_view_nocontent .o_view_nocontent_empty_folder:contains(No check has run yet)",
        },
        {
            trigger: ".o_view_nocontent:contains(Run a check from)",
        },
    ],
});
