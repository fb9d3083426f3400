/** @odoo-module **/
// Walks the Workbench menu to the embedded warehouse and tests its connection for real.

import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("ipwb_catalog_connection_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("ipwb_catalog.menu_ipwb_root", "Open the Workbench"),
        {
            content: "Open the Catalog section",
            trigger: 'button[data-menu-xmlid="ipwb_catalog.menu_ipwb_catalog"]',
            run: "click",
        },
        {
            content: "Open the warehouses",
            trigger: '.dropdown-item[data-menu-xmlid="ipwb_catalog.menu_ipwb_catalog_connections"]',
            run: "click",
        },
        {
            content: "Open the embedded warehouse",
            trigger: ".o_data_row .o_data_cell:contains('Embedded warehouse')",
            run: "click",
        },
        {
            content: "Test the connection",
            trigger: "button[name='action_test_connection']",
            run: "click",
        },
        {
            content: "The warehouse answered",
            trigger: ".o_notification:contains('Connection OK')",
        },
    ],
});
