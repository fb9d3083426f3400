/** @odoo-module **/
// Open the overview, narrow it to the test domain, and click a tile into its records.

import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("ipwb_workbench_overview_tour", {
    url: "/odoo/action-ipwb_workbench.ipwb_overview_action",
    steps: () => [
        {
            content: "The overview shows its tiles",
            trigger: ".o_ipwb_overview .o_ipwb_tile[data-key='tables_cataloged'] .o_ipwb_tile_value",
        },
        {
            content: "Filter on the test domain",
            trigger: "select.o_ipwb_overview_domain",
            run: "select ipwbovw",
        },
        {
            content: "Five tables in that domain",
            trigger: ".o_ipwb_tile[data-key='tables_cataloged'] .o_ipwb_tile_value:contains('5')",
        },
        {
            content: "The success rate is off target (3 of 4 scheduled runs in 30 days)",
            trigger: ".o_ipwb_tile_bad[data-key='run_success_rate'] .o_ipwb_tile_value:contains('75 %')",
        },
        {
            content: "Switch to 7 days",
            trigger: "button.o_ipwb_overview_period[data-days='7']",
            run: "click",
        },
        {
            content: "Open the tables tile",
            trigger: ".o_ipwb_tile[data-key='tables_cataloged'] .o_ipwb_tile_value:contains('5')",
            run: "click",
        },
        {
            content: "The tables of the domain are listed",
            trigger: ".o_list_view .o_data_row:contains('ovw_ready')",
        },
        {
            content: "Five rows",
            trigger: ".o_list_view",
            run() {
                const rows = document.querySelectorAll(".o_list_view .o_data_row").length;
                if (rows !== 5) {
                    throw new Error(`expected 5 tables, got ${rows}`);
                }
            },
        },
    ],
});
