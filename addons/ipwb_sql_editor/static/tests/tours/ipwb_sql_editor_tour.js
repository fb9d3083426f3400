/** @odoo-module **/
// The SQL editor end to end in a real browser: Monaco loads, a column is autocompleted
// from the warehouse, the query runs, a snippet is saved, the result is exported as CSV,
// an error is marked in the editor — and a graph view (Chart.js, a UMD library) still
// works after Monaco's AMD loader was loaded.

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

function editor() {
    const [ed] = window.monaco.editor.getEditors();
    if (!ed) {
        throw new Error("no Monaco editor found");
    }
    return ed;
}

registry.category("web_tour.tours").add("ipwb_sql_editor_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("ipwb_catalog.menu_ipwb_root", "Open the Workbench"),
        {
            content: "Open the SQL section",
            trigger: 'button[data-menu-xmlid="ipwb_catalog.menu_ipwb_sql"]',
            run: "click",
        },
        {
            content: "Open the editor",
            trigger: '.dropdown-item[data-menu-xmlid="ipwb_sql_editor.menu_ipwb_sql_editor"]',
            run: "click",
        },
        {
            content: "Monaco is loaded lazily",
            trigger: ".o_ipwb_sql_monaco .monaco-editor",
        },
        {
            content: "Monaco's AMD flag is hidden from UMD libraries",
            trigger: ".o_ipwb_sql_run:enabled",
            run() {
                if (typeof window.define !== "function" || window.define.amd) {
                    throw new Error("define.amd must be hidden once Monaco is loaded");
                }
            },
        },
        {
            content: "Type a query and ask for a column completion",
            trigger: ".o_ipwb_sql_monaco .monaco-editor",
            run() {
                const ed = editor();
                ed.setValue("SELECT  FROM gold.ipwb_test_accounts WHERE id <= 20 ORDER BY id");
                ed.setPosition({ lineNumber: 1, column: 8 });
                ed.focus();
                ed.trigger("tour", "type", { text: "bal" });
                ed.trigger("tour", "editor.action.triggerSuggest", {});
            },
        },
        {
            content: "The warehouse column is suggested",
            trigger: ".monaco-editor .suggest-widget .monaco-list-row:contains(balance)",
            run() {
                editor().trigger("tour", "acceptSelectedSuggestion", {});
            },
        },
        {
            content: "The completion was inserted",
            trigger: ".o_ipwb_sql_monaco .monaco-editor",
            run() {
                const value = editor().getValue();
                if (!value.startsWith("SELECT balance FROM")) {
                    throw new Error(`completion not applied: ${value}`);
                }
            },
        },
        {
            content: "Run the query",
            trigger: ".o_ipwb_sql_run:enabled",
            run: "click",
        },
        {
            content: "Rows are shown with the row count",
            trigger: ".o_ipwb_sql_rowcount:contains(20 rows)",
        },
        {
            content: "The grid has the rows",
            trigger: ".o_ipwb_sql_grid tbody tr:nth-child(20) td:contains(25.00)",
        },
        {
            content: "Save as a snippet",
            trigger: ".o_ipwb_sql_save",
            run: "click",
        },
        {
            content: "Name the snippet",
            trigger: ".o_ipwb_sql_snippet_name",
            run: "edit Tour balances",
        },
        {
            content: "Confirm",
            trigger: ".o_ipwb_sql_snippet_confirm",
            run: "click",
        },
        {
            content: "The snippet is saved",
            trigger: ".o_notification:contains(Tour balances)",
        },
        {
            content: "Export as CSV",
            trigger: ".o_ipwb_sql_export_csv:enabled",
            run: "click",
        },
        {
            content: "The export request succeeded",
            trigger: ".o_notification:contains(Exported 20 rows.)",
        },
        {
            content: "Run a statement with an error",
            trigger: ".o_ipwb_sql_run:enabled",
            run() {
                editor().setValue("SELECT id,\n  no_such_column\nFROM gold.ipwb_test_accounts");
                document.querySelector(".o_ipwb_sql_run").click();
            },
        },
        {
            content: "The error is shown with its position",
            trigger: ".o_ipwb_sql_error:contains(Line 2, column 3)",
        },
        {
            content: "and marked in the editor",
            trigger: ".o_ipwb_sql_monaco .squiggly-error",
            run() {
                const [marker] = window.monaco.editor.getModelMarkers({ owner: "ipwb-sql" });
                if (!marker || marker.startLineNumber !== 2 || marker.startColumn !== 3) {
                    throw new Error(`unexpected marker ${JSON.stringify(marker)}`);
                }
            },
        },
        {
            content: "Open the query history",
            trigger: 'button[data-menu-xmlid="ipwb_catalog.menu_ipwb_sql"]',
            run: "click",
        },
        {
            content: "History menu",
            trigger: '.dropdown-item[data-menu-xmlid="ipwb_sql_editor.menu_ipwb_query_history"]',
            run: "click",
        },
        {
            content: "Switch to the graph view (Chart.js loads after Monaco)",
            trigger: ".o_switch_view.o_graph",
            run: "click",
        },
        {
            content: "The chart is drawn",
            trigger: ".o_graph_renderer canvas",
            run() {
                if (typeof window.Chart !== "function") {
                    throw new Error("Chart.js did not define its global after Monaco was loaded");
                }
            },
        },
    ],
});
