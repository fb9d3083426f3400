/** @odoo-module **/
// Ask Genie a question (the scripted model answers with SQL) and see the SQL and the rows.

import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("ipwb_genie_ask_tour", {
    url: "/odoo/action-ipwb_genie.ipwb_genie_ask_action",
    steps: () => [
        {
            content: "Genie opens on an empty conversation",
            trigger: ".o_ipwb_genie .o_ipwb_genie_empty",
        },
        {
            content: "Type a question",
            trigger: "textarea.o_ipwb_genie_input",
            run: "edit Total amount per region?",
        },
        {
            content: "Ask",
            trigger: "button.o_ipwb_genie_ask",
            run: "click",
        },
        {
            content: "The question is shown",
            trigger: ".o_ipwb_genie_question:contains('Total amount per region?')",
        },
        {
            content: "Genie answered without error",
            trigger: ".o_ipwb_genie_answer .o_ipwb_genie_summary",
        },
        {
            content: "The SQL is shown, editable",
            trigger: "textarea.o_ipwb_genie_sql",
            run() {
                if (!this.anchor.value.includes("genie_sales")) {
                    throw new Error(`unexpected SQL: ${this.anchor.value}`);
                }
            },
        },
        {
            content: "The rows are shown",
            trigger: ".o_ipwb_genie_result td:contains('north')",
        },
        {
            content: "The conversation is listed",
            trigger: ".o_ipwb_genie_conversation:contains('Total amount per region?')",
        },
        {
            content: "Open the query in the SQL editor",
            trigger: "button.o_ipwb_genie_open_editor",
            run: "click",
        },
        {
            content: "The SQL editor opens a tab named after the question",
            trigger: ".o_ipwb_sql_editor .o_ipwb_sql_tabs:contains('Genie: Total amount per region?')",
        },
    ],
});
