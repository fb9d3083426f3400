/** @odoo-module **/
// The editor's query tabs (SQL, parameters, last result) kept in the browser's localStorage,
// per database and user, so a reload finds them as they were.

import { browser } from "@web/core/browser/browser";
import { user } from "@web/core/user";
import { session } from "@web/session";

const VERSION = 1;
// a tab's stored result is dropped above this size (localStorage holds ~5 MB per origin)
const MAX_RESULT_CHARS = 500_000;

export function storageKey() {
    return `ipwb_sql_editor.tabs:${session.db}:${user.userId}`;
}

/** The stored tabs, or null when none (or unreadable: a fresh start then). */
export function loadTabs() {
    try {
        const data = JSON.parse(browser.localStorage.getItem(storageKey()) || "null");
        if (data?.version !== VERSION || !Array.isArray(data.tabs) || !data.tabs.length) {
            return null;
        }
        return data;
    } catch {
        return null;
    }
}

function storedResult(tab) {
    if (!tab.result) {
        return null;
    }
    const text = JSON.stringify(tab.result);
    if (text.length <= MAX_RESULT_CHARS) {
        return tab.result;
    }
    return { ...tab.result, rows: [], rows_dropped: true };
}

export function saveTabs(tabs, activeTabId) {
    const data = {
        version: VERSION,
        active: Math.max(0, tabs.findIndex((tab) => tab.id === activeTabId)),
        tabs: tabs.map((tab) => ({
            name: tab.name,
            sql: tab.sql,
            parameters: tab.parameters,
            result: storedResult(tab),
            lastRun: tab.lastRun,
            elapsedMs: tab.elapsedMs,
        })),
    };
    try {
        browser.localStorage.setItem(storageKey(), JSON.stringify(data));
    } catch {
        // quota exceeded: keep the SQL, drop every result
        data.tabs = data.tabs.map((tab) => ({ ...tab, result: null }));
        browser.localStorage.setItem(storageKey(), JSON.stringify(data));
    }
}
