/** @odoo-module **/
// Test an agent from its form: the playground queues a run, the run form shows it queued
// for the agent worker (the test then lets the worker execute it).

import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("ipwb_agent_playground_tour", {
    url: "/odoo/action-ipwb_genie.ipwb_agent_action",
    steps: () => [
        {
            content: "Open the agent",
            trigger: ".o_data_row td:contains('Tour agent')",
            run: "click",
        },
        {
            content: "Test it",
            trigger: "button[name='action_test_agent']",
            run: "click",
        },
        {
            content: "Write a prompt",
            trigger: ".modal div[name='message'] textarea",
            run: "edit How much did the north sell?",
        },
        {
            content: "Run",
            trigger: ".modal button[name='action_run']",
            run: "click",
        },
        {
            content: "The run is queued for the agent worker",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Queued')",
        },
        {
            content: "The form says the worker executes it",
            trigger: ".o_form_view .alert-info:contains('agent worker')",
        },
    ],
});
