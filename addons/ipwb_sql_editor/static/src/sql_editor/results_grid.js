/** @odoo-module **/
// The editor's results grid: sticky header, resizable columns, NULL shown as NULL, numbers
// right-aligned, a cell or row copied to the clipboard (button or Ctrl+C).

import { Component, useState } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { cellText, formatElapsed, isNumericType, rowText } from "./sql_grid_utils";

const MIN_WIDTH = 48;

export class ResultsGrid extends Component {
    static template = "ipwb_sql_editor.ResultsGrid";
    static props = { result: Object, elapsedMs: Number, running: Boolean, onPage: Function };

    setup() {
        this.notification = useService("notification");
        this.state = useState({ widths: {}, selected: null });
        this.cellText = cellText;
        this.formatElapsed = formatElapsed;
    }

    get numeric() {
        return this.props.result.columns.map((column) => isNumericType(column.type));
    }

    get rowRange() {
        const result = this.props.result;
        return result.rows.length ? `${result.offset + 1}–${result.offset + result.rows.length}` : "0";
    }

    cellClass(cell, index) {
        const classes = [];
        if (cell === null || cell === undefined) {
            classes.push("o_ipwb_sql_null");
        }
        if (this.numeric[index]) {
            classes.push("text-end");
        }
        return classes.join(" ");
    }

    select(row, col) {
        this.state.selected = { row, col };
    }

    isSelected(row, col) {
        const selected = this.state.selected;
        return selected && selected.row === row && (col === undefined || selected.col === col);
    }

    async copy(text, what) {
        try {
            await browser.navigator.clipboard.writeText(text);
        } catch {
            this.notification.add(_t("The browser refused access to the clipboard."), { type: "warning" });
            return;
        }
        this.lastCopied = text;
        this.notification.add(what, { type: "info" });
    }

    copyCell() {
        const selected = this.state.selected;
        if (selected) {
            const row = this.props.result.rows[selected.row];
            return this.copy(cellText(row?.[selected.col]), _t("Cell copied."));
        }
    }

    copyRow() {
        const selected = this.state.selected;
        if (selected) {
            return this.copy(rowText(this.props.result.rows[selected.row] || []), _t("Row copied."));
        }
    }

    onKeydown(ev) {
        if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "c" && this.state.selected) {
            ev.preventDefault();
            return ev.shiftKey ? this.copyRow() : this.copyCell();
        }
    }

    startResize(ev, index) {
        ev.preventDefault();
        ev.stopPropagation();
        const th = ev.target.closest("th");
        const startX = ev.clientX;
        const startWidth = th.getBoundingClientRect().width;
        const move = (e) => {
            this.state.widths[index] = Math.max(MIN_WIDTH, Math.round(startWidth + e.clientX - startX));
        };
        const up = () => {
            window.removeEventListener("mousemove", move);
            window.removeEventListener("mouseup", up);
        };
        window.addEventListener("mousemove", move);
        window.addEventListener("mouseup", up);
    }

    widthStyle(index) {
        const width = this.state.widths[index];
        return width ? `width: ${width}px; min-width: ${width}px; max-width: ${width}px;` : "";
    }
}
