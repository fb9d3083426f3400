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
