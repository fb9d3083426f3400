/** @odoo-module **/
// Catalog search → inline column hit → table form → lineage graph, against a real scan.

import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("ipwb_catalog_search_tour", {
    url: "/odoo/action-ipwb_catalog.ipwb_catalog_search_action",
    steps: () => [
        {
            content: "Type a table name",
            trigger: ".o_ipwb_catalog_input",
            run: "edit tour_orders",
        },
        {
            content: "The table is the first hit, with its matching column inline",
            trigger: ".o_ipwb_hit:first-child[data-table$='.tour_orders'] .o_ipwb_hit_column:contains('tour_orders_total')",
        },
        {
            content: "Filter on the View kind facet",
            trigger: ".o_ipwb_facet:contains('View')",
            run: "click",
        },
        {
            content: "Only the views remain",
            trigger:
                ".o_ipwb_catalog_search:has(.o_ipwb_hit[data-table$='.tour_orders_by_day'])" +
                ":not(:has(.o_ipwb_hit[data-table$='.tour_orders']))",
        },
        {
            content: "Remove the facet again",
            trigger: ".o_ipwb_facet.bg-primary:contains('View')",
            run: "click",
        },
        {
            content: "Open the table",
            trigger: ".o_ipwb_hit[data-table$='.tour_orders'] .o_ipwb_hit_name",
            run: "click",
        },
        {
            content: "The table form is open",
            trigger: ".o_form_view .oe_title:contains('tour_orders')",
        },
        {
            content: "Open its lineage graph",
            trigger: "button[name='action_open_lineage']",
            run: "click",
        },
        {
            content: "The graph shows the view fed by the table",
            trigger: ".o_ipwb_lineage_node[data-node$='.tour_orders_by_day']",
            run: "click",
        },
        {
            content: "Expanding the view shows what it feeds",
            trigger: ".o_ipwb_lineage_node[data-node$='.tour_orders_report']",
        },
    ],
});
