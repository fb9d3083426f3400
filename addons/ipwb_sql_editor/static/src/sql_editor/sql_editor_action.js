/** @odoo-module **/
// Workbench › SQL › Editor: Monaco editor tabs over the server-side execution service.

import { Component, onMounted, onWillStart, onWillUnmount, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { loadMonaco } from "./monaco_loader";
import { ResultsGrid } from "./results_grid";
import { SchemaBrowser } from "./schema_browser";
import { SqlCompletion } from "./sql_completion";
import { formatElapsed } from "./sql_grid_utils";
import { loadTabs, saveTabs } from "./tab_store";

const PARAMETER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const MARKER_OWNER = "ipwb-sql";
const SAVE_DELAY_MS = 400;
// What the server answers when PostgreSQL itself went away mid-request (a restart): Odoo's
// request cursor fails on its dead connection, whatever the service raised (issue #20 §2)
const CONNECTION_LOST = new Set(["psycopg2.OperationalError", "psycopg2.InterfaceError"]);
let tabSequence = 0;

function newToken() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class SqlEditorAction extends Component {
    static template = "ipwb_sql_editor.SqlEditorAction";
    static props = ["*"];
    static components = { ResultsGrid, SchemaBrowser };

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.action = useService("action");
        this.editorRef = useRef("editor");
        this.models = new Map(); // tab id → Monaco model (kept out of reactive state)
        this.timers = new Map();
        this.state = useState({
            connections: [],
            connectionId: false,
            tabs: [],
            activeTabId: null,
            monacoReady: false,
            monacoError: null,
            snippetName: "",
            savingSnippet: false,
            exporting: false,
            browserOpen: true,
        });
        this.formatElapsed = formatElapsed;
        this.completion = new SqlCompletion(this.orm, () => this.state.connectionId);

        onWillStart(async () => {
            this.state.connections = await this.orm.searchRead(
                "ipwb.connection",
                [],
                ["name", "is_default", "max_rows", "statement_timeout"]
            );
            const fallback = this.state.connections.find((c) => c.is_default) || this.state.connections[0];
            this.state.connectionId = fallback ? fallback.id : false;
            this.restoreTabs();
            const snippetId = this.props.action?.context?.ipwb_snippet_id;
            if (snippetId) {
                const [snippet] = await this.orm.read(
                    "ipwb.sql.snippet",
                    [snippetId],
                    ["name", "statement", "connection_id"]
                );
                this.addTab(snippet.name, snippet.statement);
                if (snippet.connection_id) {
                    this.state.connectionId = snippet.connection_id[0];
                }
            } else if (!this.state.tabs.length) {
                this.addTab();
            }
        });

        onMounted(async () => {
            try {
                this.monaco = await loadMonaco();
            } catch (error) {
                this.state.monacoError = _t("The code editor could not be loaded: %s", error?.message || error);
                return;
            }
            if (!this.editorRef.el) {
                return; // unmounted while loading
            }
            this.mountEditor();
        });

        onWillUnmount(() => {
            this.flushSave();
            for (const timer of this.timers.values()) {
                clearInterval(timer);
            }
            this.completionProvider?.dispose();
            this.editor?.dispose();
            for (const model of this.models.values()) {
                model.dispose();
            }
        });
    }

    // ------------------------------------------------------------------ editor
    mountEditor() {
        const monaco = this.monaco;
        this.editor = monaco.editor.create(this.editorRef.el, {
            automaticLayout: true,
            minimap: { enabled: false },
            fontSize: 13,
            scrollBeyondLastLine: false,
            wordBasedSuggestions: "off",
            // "blink" toggles the cursor's style every 500 ms: a DOM mutation that restarts
            // every mutation-debounced watcher (Odoo's tour runner waits 500 ms of quiet)
            cursorBlinking: "smooth",
            quickSuggestions: { other: true, comments: false, strings: false },
        });
        this.completionProvider = monaco.languages.registerCompletionItemProvider(
            "pgsql",
            this.completion.provider(monaco)
        );
        this.editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, () => this.run());
        this.editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyMod.Shift | monaco.KeyCode.KeyF, () =>
            this.format()
        );
        this.showTab(this.state.activeTabId);
        this.state.monacoReady = true;
    }

    modelFor(tab) {
        if (!this.models.has(tab.id)) {
            const model = this.monaco.editor.createModel(tab.initialSql || "", "pgsql");
            model.onDidChangeContent(() => {
                tab.sql = model.getValue();
                tab.parameters = this.detectParameters(tab.sql, tab.parameters);
                this.scheduleSave();
            });
            this.models.set(tab.id, model);
        }
        return this.models.get(tab.id);
    }

    showTab(tabId) {
        const tab = this.state.tabs.find((t) => t.id === tabId);
        if (this.editor && tab) {
            this.editor.setModel(this.modelFor(tab));
            this.editor.focus();
        }
    }

    // ------------------------------------------------------------------ tabs
    get activeTab() {
        return this.state.tabs.find((tab) => tab.id === this.state.activeTabId);
    }

    addTab(name, sql = "", stored = {}) {
        const id = ++tabSequence;
        this.state.tabs.push({
            id,
            name: name || _t("Query %s", this.state.tabs.length + 1),
            initialSql: sql,
            sql,
            parameters: this.detectParameters(sql, stored.parameters || []),
            running: false,
            token: null,
            elapsedMs: stored.elapsedMs || 0,
            result: stored.result || null,
            lastRun: stored.lastRun || null,
        });
        this.activateTab(id);
    }

    activateTab(id) {
        this.state.activeTabId = id;
        this.showTab(id);
        this.scheduleSave();
    }

    // ------------------------------------------------------------------ kept across reloads
    restoreTabs() {
        const stored = loadTabs();
        if (!stored) {
            return;
        }
        for (const tab of stored.tabs) {
            this.addTab(tab.name, tab.sql || "", tab);
        }
        const active = this.state.tabs[stored.active] || this.state.tabs[0];
        this.activateTab(active.id);
    }

    scheduleSave() {
        clearTimeout(this.saveTimer);
        this.saveTimer = setTimeout(() => this.flushSave(), SAVE_DELAY_MS);
    }

    flushSave() {
        clearTimeout(this.saveTimer);
        if (this.state.tabs.length) {
            saveTabs(this.state.tabs, this.state.activeTabId);
        }
    }

    insertText(text) {
        if (!this.editor) {
            return;
        }
        const selection = this.editor.getSelection();
        this.editor.executeEdits("ipwb-browser", [{ range: selection, text, forceMoveMarkers: true }]);
        this.editor.pushUndoStop();
        this.editor.focus();
    }

    closeTab(id) {
        if (this.state.tabs.length === 1) {
            return;
        }
        const index = this.state.tabs.findIndex((tab) => tab.id === id);
        this.state.tabs.splice(index, 1);
        this.models.get(id)?.dispose();
        this.models.delete(id);
        if (this.state.activeTabId === id) {
            this.activateTab(this.state.tabs[Math.max(0, index - 1)].id);
        }
        this.scheduleSave();
    }

    detectParameters(sql, previous) {
        const values = Object.fromEntries((previous || []).map((p) => [p.name, p.value]));
        const names = [...new Set([...sql.matchAll(PARAMETER)].map((m) => m[1]))];
        return names.map((name) => ({ name, value: values[name] ?? "" }));
    }

    onConnectionChange(ev) {
        this.state.connectionId = parseInt(ev.target.value, 10) || false;
    }

    // ------------------------------------------------------------------ run
    async run() {
        const tab = this.activeTab;
        if (!this.editor || !tab || tab.running) {
            return;
        }
        const model = this.editor.getModel();
        const selection = this.editor.getSelection();
        let sql = model.getValue();
        let base = { line: 1, col: 1 };
        if (selection && !selection.isEmpty()) {
            sql = model.getValueInRange(selection);
            base = { line: selection.startLineNumber, col: selection.startColumn };
        }
        const params = Object.fromEntries(tab.parameters.map((p) => [p.name, p.value]));
        await this.execute(tab, { sql, base, params }, 0);
    }

    async execute(tab, run, offset) {
        const model = this.models.get(tab.id);
        this.monaco.editor.setModelMarkers(model, MARKER_OWNER, []);
        tab.running = true;
        tab.token = newToken();
        tab.elapsedMs = 0;
        const started = Date.now();
        this.timers.set(
            tab.id,
            setInterval(() => (tab.elapsedMs = Date.now() - started), 100)
        );
        let result;
        try {
            // the server binds each statement's own {{parameters}} only
            result = await this.orm.call("ipwb.sql.service", "run", [], {
                connection_id: this.state.connectionId,
                sql: run.sql,
                params: run.params,
                offset,
                token: tab.token,
            });
        } catch (error) {
            if (!CONNECTION_LOST.has(error?.data?.name)) {
                throw error;
            }
            result = {
                status: "error",
                error: {
                    message: _t(
                        "The connection to PostgreSQL was lost while the query ran (the database server restarted or is unreachable). Nothing was recorded: run the query again in a moment."
                    ),
                },
            };
        } finally {
            clearInterval(this.timers.get(tab.id));
            this.timers.delete(tab.id);
            tab.running = false;
            tab.token = null;
            tab.elapsedMs = Date.now() - started;
        }
        tab.result = result;
        tab.lastRun = run;
        this.flushSave();
        if (result.error) {
            this.markError(model, run.base, result.error);
        }
    }

    markError(model, base, error) {
        const located = [error, ...(error.reasons || [])].filter((item) => item.line);
        const markers = (located.length ? located : [{ line: 1, col: 1, message: error.message }]).map(
            (item) => {
                const line = base.line + item.line - 1;
                const col = (item.line === 1 ? base.col - 1 : 0) + (item.col || 1);
                const word = model.getWordAtPosition({ lineNumber: line, column: col });
                return {
                    startLineNumber: line,
                    startColumn: col,
                    endLineNumber: line,
                    endColumn: word ? word.endColumn : col + 1,
                    message: item.message || error.message,
                    severity: this.monaco.MarkerSeverity.Error,
                };
            }
        );
        // one marker per position (the error and its first reason usually coincide)
        const unique = markers.filter(
            (m, i) =>
                markers.findIndex(
                    (o) => o.startLineNumber === m.startLineNumber && o.startColumn === m.startColumn
                ) === i
        );
        this.monaco.editor.setModelMarkers(model, MARKER_OWNER, unique);
        if (unique.length && this.editor.getModel() === model) {
            this.editor.revealLineInCenterIfOutsideViewport(unique[0].startLineNumber);
        }
    }

    async cancel() {
        const tab = this.activeTab;
        if (!tab?.token) {
            return;
        }
        const signalled = await this.orm.call("ipwb.sql.service", "cancel", [tab.token]);
        if (!signalled) {
            this.notification.add(_t("The statement was not running any more."), { type: "warning" });
        }
    }

    async page(direction) {
        const tab = this.activeTab;
        const result = tab?.result;
        if (!result || !tab.lastRun) {
            return;
        }
        const offset =
            direction > 0 ? result.next_offset : Math.max(0, result.offset - result.page_size);
        await this.execute(tab, tab.lastRun, offset);
    }

    // ------------------------------------------------------------------ format, snippets, export
    async format() {
        const model = this.editor?.getModel();
        if (!model) {
            return;
        }
        const result = await this.orm.call("ipwb.sql.service", "format", [model.getValue()]);
        if (result.error) {
            this.markError(model, { line: 1, col: 1 }, result.error);
            this.notification.add(result.error.message, { type: "danger" });
            return;
        }
        this.editor.executeEdits("ipwb-format", [
            { range: model.getFullModelRange(), text: result.sql, forceMoveMarkers: true },
        ]);
        this.editor.pushUndoStop();
    }

    startSaveSnippet() {
        this.state.snippetName = this.activeTab?.name || "";
        this.state.savingSnippet = true;
    }

    async saveSnippet() {
        const name = (this.state.snippetName || "").trim();
        const model = this.editor?.getModel();
        if (!name || !model) {
            this.notification.add(_t("Give the snippet a name."), { type: "warning" });
            return;
        }
        await this.orm.create("ipwb.sql.snippet", [
            { name, statement: model.getValue(), connection_id: this.state.connectionId },
        ]);
        this.state.savingSnippet = false;
        this.activeTab.name = name;
        this.scheduleSave();
        this.notification.add(_t("Snippet “%s” saved.", name), { type: "success" });
    }

    async export(format) {
        const tab = this.activeTab;
        const model = this.editor?.getModel();
        if (!tab || !model || this.state.exporting) {
            return;
        }
        const run = tab.lastRun || { sql: model.getValue(), params: {} };
        const body = new FormData();
        body.append("sql", run.sql);
        body.append("connection_id", this.state.connectionId || "");
        body.append("params", JSON.stringify(run.params || {}));
        body.append("filename", tab.name);
        body.append("csrf_token", odoo.csrf_token);
        this.state.exporting = true;
        try {
            const response = await fetch(`/ipwb_sql_editor/export/${format}`, { method: "POST", body });
            if (!response.ok) {
                let message = response.statusText;
                try {
                    message = (await response.json()).message || message;
                } catch {
                    // not JSON: keep the status text
                }
                this.notification.add(_t("Export failed: %s", message), { type: "danger" });
                return;
            }
            const blob = await response.blob();
            const rows = response.headers.get("X-Ipwb-Rows");
            const truncated = response.headers.get("X-Ipwb-Truncated") === "1";
            const link = document.createElement("a");
            link.href = URL.createObjectURL(blob);
            link.download = `${tab.name}.${format}`;
            document.body.appendChild(link);
            link.click();
            link.remove();
            setTimeout(() => URL.revokeObjectURL(link.href), 10000);
            this.notification.add(
                truncated
                    ? _t("Exported %s rows (the export cap was reached).", rows)
                    : _t("Exported %s rows.", rows),
                { type: truncated ? "warning" : "success" }
            );
        } finally {
            this.state.exporting = false;
        }
    }

    openHistory() {
        this.action.doAction("ipwb_sql_editor.ipwb_query_history_action");
    }
}

registry.category("actions").add("ipwb_sql_editor.editor", SqlEditorAction);
