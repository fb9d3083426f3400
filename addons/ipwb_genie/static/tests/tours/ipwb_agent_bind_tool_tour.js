/** @odoo-module **/
// "Bind a new tool to an agent and test it": an AI orchestrator creates an agent, creates
// a SQL template tool from the agent's Tools tab, runs the agent in the playground, approves
// the proposed call on the run form and reads the answer, which arrives without a reload.
// The tour counts its own steps (logged as IPWB_TOUR_STEPS for the test's report).

import {registry} from "@web/core/registry";

const DIALOG = ".o_dialog:not(.o_inactive_modal)";
const SCHEMA = '{"type": "object", "properties": {"region": {"type": "string"}}, "required": ["region"]}';

registry.category("web_tour.tours").add("ipwb_agent_bind_tool_tour", {
    url: "/odoo/action-ipwb_genie.ipwb_agent_action",
    steps: () => {
        const steps = [
            {content: "New agent", trigger: ".o_list_button_add", run: "click"},
            {content: "Name it", trigger: "div[name='name'] input", run: "edit Sales helper"},
            {content: "Open its tools", trigger: "a.nav-link:contains('Tools')", run: "click"},
            {content: "Add a tool", trigger: "div[name='tool_ids'] .o_field_x2many_list_row_add a", run: "click"},
            {content: "Create a new one", trigger: `${DIALOG} .o_create_button`, run: "click"},
            {content: "Tool name", trigger: `${DIALOG} div[name='name'] input`, run: "edit region_sales"},
            {
                content: "What it does, for the model",
                trigger: `${DIALOG} div[name='description'] textarea`,
                run: "edit Total sales of one region",
            },
            {content: "Calls wait for approval", trigger: `${DIALOG} div[name='needs_approval'] input`, run: "click"},
            {
                content: "The SQL template, its parameter bound",
                trigger: `${DIALOG} div[name='sql_template'] textarea`,
                run: "edit SELECT sum(amount) AS total FROM silver.genie_sales WHERE region = {{region}}",
            },
            {content: "Argument schema", trigger: `${DIALOG} div[name='parameters_schema'] textarea`, run: `edit ${SCHEMA}`},

            {content: "Save the tool", trigger: `${DIALOG} .o_form_button_save`, run: "click"},
            {content: "It is bound", trigger: "div[name='tool_ids'] .o_data_row td:contains('region_sales')"},
            // a text area's value is committed on save, while it is shown: edit it last
            {content: "Back to its prompt", trigger: "a.nav-link:contains('System Prompt')", run: "click"},
            {
                content: "Tell it what to do",
                trigger: "div[name='system_prompt'] textarea",
                run: "edit Answer sales questions with the tools.",
            },
            {content: "Save the agent", trigger: ".o_form_button_save", run: "click"},
            {content: "The agent is saved", trigger: ".o_last_breadcrumb_item:contains('Sales helper')"},
            {content: "Test it", trigger: "button[name='action_test_agent']", run: "click"},
            {content: "A prompt", trigger: `${DIALOG} div[name='message'] textarea`, run: "edit How much did the north sell?"},
            {content: "Run", trigger: `${DIALOG} button[name='action_run']`, run: "click"},
            {
                content: "The run waits for the approval of the proposed call",
                trigger: ".o_statusbar_status .o_arrow_button_current:contains('Waiting for approval')",
                timeout: 60000,
            },
            {content: "The call is shown", trigger: "div[name='pending_summary']:contains('region_sales')"},
            {content: "Approve it", trigger: "button[name='action_approve']", run: "click"},
            {
                content: "The answer arrives",
                trigger: "div[name='answer']:contains('The north sold 150.')",
                timeout: 60000,
            },
        ];
        steps.push({
            content: "The run is done",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Done')",
        });
        const count = steps.length + 1;
        steps.push({
            content: "Report the step count",
            trigger: "div[name='answer']",
            run() {
                console.log(`IPWB_TOUR_STEPS ${count}`);
            },
        });
        return steps;
    },
});
