/** @odoo-module **/
// The editor's schema browser, results grid and kept tabs in a real browser: browse
// schemas › tables › columns, insert names by clicking, search, run, read NULLs and
// right-aligned numbers, resize a column, copy a cell, then reload: the tabs, their SQL
// and their last results are back.

import { registry } from "@web/core/registry";

function editor() {
    const [ed] = window.monaco.editor.getEditors();
    if (!ed) {
        throw new Error("no Monaco editor found");
    }
    return ed;
}

function placeCursorAfter(marker) {
    const ed = editor();
    const model = ed.getModel();
    const offset = model.getValue().indexOf(marker) + marker.length;
    const pos = model.getPositionAt(offset);
    ed.setSelection({
        startLineNumber: pos.lineNumber,
        startColumn: pos.column,
        endLineNumber: pos.lineNumber,
        endColumn: pos.column,
    });
}

function expectSql(expected) {
    const value = editor().getValue();
    if (value !== expected) {
        throw new Error(`editor holds ${JSON.stringify(value)}, expected ${JSON.stringify(expected)}`);
    }
}

const GRID = ".o_ipwb_sql_grid";
const SQL = "SELECT id, balance, opened FROM gold.ipwb_test_accounts WHERE id IN (1, 500) ORDER BY id";

registry.category("web_tour.tours").add("ipwb_sql_browser_tour", {
    url: "/odoo/action-ipwb_sql_editor.ipwb_sql_editor_action",
    steps: () => [
        {
            content: "Monaco is loaded",
            trigger: ".o_ipwb_sql_monaco .monaco-editor",
        },
        {
            content: "Expand the gold schema in the browser",
            trigger: ".o_ipwb_sql_browser .o_ipwb_sql_schema:contains(gold)",
            run: "click",
        },
        {
            content: "Expand the accounts table",
            trigger: '.o_ipwb_sql_table[data-name="ipwb_test_accounts"] .o_ipwb_sql_expand',
            run: "click",
        },
        {
            content: "Its columns are listed with their types; write a query skeleton",
            trigger: '.o_ipwb_sql_column[data-name="balance"]:contains(numeric(12,2))',
            run() {
                editor().setValue("SELECT id, , opened FROM  WHERE id IN (1, 500) ORDER BY id");
                placeCursorAfter("SELECT id, ");
            },
        },
        {
            content: "Click a column to insert its name",
            trigger: '.o_ipwb_sql_column[data-name="balance"]',
            run: "click",
        },
        {
            content: "The column name was inserted; place the cursor after FROM",
            trigger: ".o_ipwb_sql_monaco .monaco-editor",
            run() {
                expectSql("SELECT id, balance, opened FROM  WHERE id IN (1, 500) ORDER BY id");
                placeCursorAfter("FROM ");
            },
        },
        {
            content: "Click a table to insert its qualified name",
            trigger: '.o_ipwb_sql_table[data-name="ipwb_test_accounts"] .o_ipwb_sql_insert',
            run: "click",
        },
        {
            content: "The table name was inserted",
            trigger: ".o_ipwb_sql_monaco .monaco-editor",
            run: () => expectSql(SQL),
        },
        {
            content: "Search the browser",
            trigger: ".o_ipwb_sql_browser_search",
            run: "edit ipwb_test_acc",
        },
        {
            content: "The search finds the table",
            trigger: ".o_ipwb_sql_found_table:contains(gold.ipwb_test_accounts)",
        },
        {
            content: "Run the query",
            trigger: ".o_ipwb_sql_run:enabled",
            run: "click",
        },
        {
            content: "The grid shows the row count and the duration",
            trigger: ".o_ipwb_sql_grid_count:contains(2 rows)",
            run() {
                const duration = document.querySelector(".o_ipwb_sql_grid_duration").textContent;
                if (!/^\d+(\.\d)? m?s$/.test(duration)) {
                    throw new Error(`no duration shown: ${duration}`);
                }
            },
        },
        {
            content: "NULL is shown as NULL and numbers are right-aligned",
            trigger: `${GRID} tbody tr:nth-child(2) td.o_ipwb_sql_null:contains(NULL)`,
            run() {
                const balance = document.querySelector(`${GRID} tbody tr:nth-child(2) td:nth-child(3)`);
                if (balance.textContent !== "7.00" || !balance.classList.contains("text-end")) {
                    throw new Error(`balance cell not a right-aligned number: ${balance.outerHTML}`);
                }
                const opened = document.querySelector(`${GRID} thead th:nth-child(4)`);
                if (opened.classList.contains("text-end")) {
                    throw new Error("a date column must not be right-aligned");
                }
            },
        },
        {
            content: "Resize the balance column by dragging its edge",
            trigger: `${GRID} thead th:nth-child(3) .o_ipwb_sql_resize`,
            run() {
                const handle = document.querySelector(`${GRID} thead th:nth-child(3) .o_ipwb_sql_resize`);
                const th = handle.closest("th");
                const start = th.getBoundingClientRect();
                const x = start.right - 2;
                handle.dispatchEvent(new MouseEvent("mousedown", { bubbles: true, clientX: x, clientY: 5 }));
                window.dispatchEvent(new MouseEvent("mousemove", { bubbles: true, clientX: x + 120, clientY: 5 }));
                window.dispatchEvent(new MouseEvent("mouseup", { bubbles: true, clientX: x + 120, clientY: 5 }));
                th.dataset.startWidth = Math.round(start.width);
            },
        },
        {
            content: "The column is wider",
            trigger: `${GRID} thead th:nth-child(3)[style*="width"]`,
            run() {
                const th = document.querySelector(`${GRID} thead th:nth-child(3)`);
                const grown = th.getBoundingClientRect().width - Number(th.dataset.startWidth);
                if (grown < 100) {
                    throw new Error(`column grew by ${grown}px only`);
                }
            },
        },
        {
            content: "Select a cell",
            trigger: `${GRID} tbody tr:nth-child(2) td:nth-child(3)`,
            run: "click",
        },
        {
            content: "Copy it",
            trigger: `${GRID} td.o_ipwb_sql_cell_selected:contains(7.00)`,
            run() {
                document.querySelector(".o_ipwb_sql_copy_cell").click();
            },
        },
        {
            content: "The copy is confirmed (or the browser's refusal reported)",
            trigger: ".o_notification:contains(Cell copied.), .o_notification:contains(clipboard)",
        },
        {
            content: "Open a second tab",
            trigger: ".o_ipwb_sql_new_tab",
            run: "click",
        },
        {
            content: "Run a query in it",
            trigger: ".o_ipwb_sql_tabs .nav-link.active:contains(Query 2)",
            run() {
                editor().setValue("SELECT 2 AS two");
                document.querySelector(".o_ipwb_sql_run").click();
            },
        },
        {
            content: "Its result is shown; reload the page",
            trigger: `${GRID} thead th:contains(two)`,
            run() {
                document.body.classList.add("o_ipwb_before_reload");
                setTimeout(() => window.location.reload(), 500);
            },
        },
        {
            content: "After the reload both tabs are back, the second one active with its result",
            trigger: `body:not(.o_ipwb_before_reload) .o_ipwb_sql_tabs .nav-link.active:contains(Query 2)`,
        },
        {
            content: "The second tab's last result is kept",
            trigger: `${GRID} thead th:contains(two)`,
        },
        {
            content: "and its SQL",
            trigger: ".o_ipwb_sql_monaco .monaco-editor",
            run: () => expectSql("SELECT 2 AS two"),
        },
        {
            content: "Back to the first tab",
            trigger: ".o_ipwb_sql_tabs .nav-link:contains(Query 1)",
            run: "click",
        },
        {
            content: "Its SQL and last result (with the NULL) are kept too",
            trigger: `${GRID} tbody tr:nth-child(2) td.o_ipwb_sql_null:contains(NULL)`,
            run: () => expectSql(SQL),
        },
        {
            content: "The browser opens again on demand",
            trigger: ".o_ipwb_sql_browser .o_ipwb_sql_schema:contains(gold)",
            run: "click",
        },
        {
            trigger: '.o_ipwb_sql_table[data-name="ipwb_test_accounts"] .o_ipwb_sql_expand',
            run: "click",
        },
        {
            trigger: '.o_ipwb_sql_column[data-name="opened"]:contains(date)',
        },
    ],
});
