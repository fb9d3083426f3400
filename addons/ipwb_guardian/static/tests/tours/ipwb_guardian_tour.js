/** @odoo-module **/
// Guardian end to end on a gold table with a planted defect (see tests/test_tour.py):
// a Data Engineer runs its quality check from Workbench › Quality, sees the failure and the
// failing rows, the table's scorecard, and the promotion gate's blocking reason; then an
// Architect grants a waiver from the gate and the table reaches production.

import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_service/tour_utils";

const CHECK = "tour email set";

registry.category("web_tour.tours").add("ipwb_guardian_engineer_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("ipwb_catalog.menu_ipwb_root", "Open the Workbench"),
        {
            content: "Open the Quality section",
            trigger: 'button[data-menu-xmlid="ipwb_catalog.menu_ipwb_quality"]',
            run: "click",
        },
        {
            content: "Open the quality checks",
            trigger: '.dropdown-item[data-menu-xmlid="ipwb_guardian.menu_ipwb_dq_check"]',
            run: "click",
        },
        {
            content: "Open the check on the gold table",
            trigger: `.o_data_row .o_data_cell:contains('${CHECK}')`,
            run: "click",
        },
        {
            content: "The check's form is open",
            trigger: `.o_breadcrumb:contains('${CHECK}'):has(.o_back_button)`,
        },
        {
            content: "Run it in the warehouse",
            trigger: ".o_form_view .o_form_statusbar button[name='action_run']",
            run: "click",
        },
        {
            content: "Guardian says it does not pass",
            trigger: ".o_notification:contains('1 not passing')",
        },
        {
            content: "The check shows the failure",
            trigger: ".o_form_view .o_form_statusbar .o_field_widget[name='last_status']:contains('Fail')",
        },
        {
            content: "Open its results",
            trigger: ".o_form_view button[name='action_view_results']",
            run: "click",
        },
        {
            content: "Open the failed result",
            trigger: ".o_list_view .o_data_row .o_data_cell:contains('Fail')",
            run: "click",
        },
        {
            content: "The failing rows are sampled: the two planted NULL e-mails",
            trigger:
                ".o_form_view .o_field_widget[name='sample_text']:contains('id=2, email=None')" +
                ":contains('id=4, email=None')",
        },
        {
            content: "Back to the check",
            trigger: ".o_form_view .o_field_widget[name='check_id'] a.o_form_uri",
            run: "click",
        },
        {
            content: "Open the checked table",
            trigger: ".o_form_view button[name='action_open_table']",
            run: "click",
        },
        {
            content: "Open the table's scorecard",
            trigger: ".o_form_view button[name='action_open_scorecard']",
            run: "click",
        },
        {
            content: "The scorecard counts the failing check",
            trigger:
                ".o_form_view:has(.oe_title:contains('gold.gold_tour')) " +
                ".o_field_widget[name='failed_count']:contains('1')",
        },
        {
            content: "Back to the table",
            trigger: ".o_breadcrumb .o_back_button",
            run: "click",
        },
        {
            content: "Try to promote it",
            trigger: ".o_form_view .o_form_statusbar button[name='action_promote']",
            run: "click",
        },
        {
            content: "The gate lists why it is blocked",
            trigger: `.modal .o_field_widget[name='reasons']:contains("test '${CHECK}' fails")`,
        },
        {
            content: "An engineer cannot grant a waiver",
            trigger: ".modal .o_form_view:not(:has(button[name='action_grant_waiver']))",
        },
        {
            content: "Close the gate",
            trigger: ".modal .btn-close",
            run: "click",
        },
        {
            content: "The table is still a draft",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Draft')",
        },
    ],
});

registry.category("web_tour.tours").add("ipwb_guardian_architect_tour", {
    steps: () => [
        {
            content: "Promote the table",
            trigger: ".o_form_view .o_form_statusbar button[name='action_promote']",
            run: "click",
        },
        {
            content: "The gate is still blocked by the failing check",
            trigger: `.modal .o_field_widget[name='reasons']:contains("test '${CHECK}' fails")`,
        },
        {
            content: "Grant a waiver",
            trigger: ".modal button[name='action_grant_waiver']",
            run: "click",
        },
        {
            content: "The waiver is for this table",
            trigger: ".o_form_view .o_field_widget[name='target'] input:value(/^gold\\.gold_tour_/)",
        },
        {
            content: "Say why",
            trigger: ".o_form_view .o_field_widget[name='reason'] textarea",
            run: "edit Quarter close: the e-mail backfill follows next week",
        },
        {
            content: "Save the waiver",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "The waiver is recorded",
            trigger: ".o_form_saved .o_field_widget[name='granted_by']:contains('grd_tour_arch')",
        },
        {
            content: "Back to the table",
            trigger: ".o_breadcrumb .o_back_button",
            run: "click",
        },
        {
            content: "Promote it again",
            trigger: ".o_form_view .o_form_statusbar button[name='action_promote']",
            run: "click",
        },
        {
            content: "The table is in production",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Production')",
        },
    ],
});
