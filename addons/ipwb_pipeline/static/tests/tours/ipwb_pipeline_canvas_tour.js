/** @odoo-module **/
import { registry } from "@web/core/registry";

function addStep(name) {
    return [
        { trigger: ".o_ipwb_canvas_new_name", run: `edit ${name}` },
        { trigger: ".o_ipwb_canvas_add", run: "click" },
        { trigger: `.o_ipwb_canvas_node[data-step='${name}']` },
    ];
}

function connect(from, to) {
    return [
        { trigger: ".o_ipwb_canvas_connect", run: "click" },
        { trigger: `.o_ipwb_canvas_node[data-step='${from}']`, run: "click" },
        { trigger: `.o_ipwb_canvas_node[data-step='${to}']`, run: "click" },
        { trigger: `.o_ipwb_canvas_node[data-step='${to}'][data-deps='${from}']` },
    ];
}

registry.category("web_tour.tours").add("ipwb_pipeline_canvas_build", {
    steps: () => [
        { trigger: ".o_ipwb_canvas_pick[data-code='tour_pipeline']", run: "click" },
        { trigger: ".o_ipwb_canvas_new_name" },
        ...addStep("extract"),
        ...addStep("transform"),
        ...addStep("load"),
        ...connect("extract", "transform"),
        { trigger: ".o_ipwb_canvas_connect:not(.btn-warning)" },
        ...connect("transform", "load"),
        { trigger: ".o_ipwb_canvas_validate", run: "click" },
        { trigger: ".o_ipwb_canvas_state:contains(validated)" },
        { trigger: ".o_ipwb_canvas_run", run: "click" },
        { trigger: ".o_ipwb_canvas_run_state:contains(queued)" },
        { trigger: ".o_ipwb_canvas_node[data-step='load'][data-state='pending']" },
    ],
});

registry.category("web_tour.tours").add("ipwb_pipeline_canvas_status", {
    steps: () => [
        { trigger: ".o_ipwb_canvas_pick[data-code='tour_pipeline']", run: "click" },
        { trigger: ".o_ipwb_canvas_run_state:contains(succeeded)" },
        { trigger: ".o_ipwb_canvas_node[data-step='extract'][data-state='succeeded']" },
        { trigger: ".o_ipwb_canvas_node[data-step='load'][data-state='succeeded']", run: "click" },
        { trigger: ".o_ipwb_canvas_panel .o_ipwb_canvas_step_state:contains(succeeded)" },
    ],
});

// A blank canvas to a queued run, without leaving the canvas: name the pipeline as one
// writes it, add steps from the palette, rename and save one, connect, validate, run.
registry.category("web_tour.tours").add("ipwb_pipeline_canvas_new", {
    steps: () => [
        { trigger: ".o_ipwb_canvas_new_pipeline_name", run: "edit Daily POS → VAT — tour A" },
        {
            content: "The technical name follows the name",
            trigger: ".o_ipwb_canvas_new_pipeline_code:value(daily_pos_vat_tour_a)",
        },
        { trigger: ".o_ipwb_canvas_create", run: "click" },
        {
            content: "The blank canvas shows the name as written and says what to do",
            trigger: ".o_ipwb_canvas_title:contains(Daily POS → VAT)",
        },
        { trigger: ".o_ipwb_canvas_empty:contains(no step yet)" },
        { trigger: ".o_ipwb_canvas_palette_item[data-kind='sql']", run: "click" },
        { trigger: ".o_ipwb_canvas_node[data-step='sql_1']" },
        {
            content: "The new step is selected: rename it and save",
            trigger: ".o_ipwb_canvas_panel .o_ipwb_canvas_step_name:value(sql_1)",
            run: "edit extract",
        },
        { trigger: ".o_ipwb_canvas_save:enabled", run: "click" },
        { trigger: ".o_ipwb_canvas_node[data-step='extract']" },
        { trigger: ".o_notification:contains(Step extract saved.)" },
        { trigger: ".o_ipwb_canvas_palette_item[data-kind='sql']", run: "click" },
        { trigger: ".o_ipwb_canvas_node[data-step='sql_1']" },
        { trigger: ".o_ipwb_canvas_connect", run: "click" },
        { trigger: ".o_ipwb_canvas_node[data-step='extract']", run: "click" },
        { trigger: ".o_ipwb_canvas_node[data-step='sql_1']", run: "click" },
        { trigger: ".o_ipwb_canvas_node[data-step='sql_1'][data-deps='extract']" },
        { trigger: ".o_ipwb_canvas_validate", run: "click" },
        { trigger: ".o_ipwb_canvas_state:contains(validated)" },
        { trigger: ".o_ipwb_canvas_run", run: "click" },
        { trigger: ".o_ipwb_canvas_run_state:contains(queued)" },
    ],
});
