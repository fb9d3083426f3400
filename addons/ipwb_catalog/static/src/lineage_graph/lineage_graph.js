/** @odoo-module **/
// Lineage graph of a table: its neighbours one step up and down, a page at a time ("+k more"
// nodes load the next page), clicking a table expands its own neighbours, its column toggle
// shows its columns with column→column edges, and a selected column highlights its impact.
// Laid out with dagre in layer lanes; wheel zoom around the cursor, drag to pan, fit.

import {Component, onMounted, onWillStart, useRef, useState} from "@odoo/owl";
import {loadJS} from "@web/core/assets";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";
import {standardActionServiceProps} from "@web/webclient/actions/action_service";
import {
    HEADER_HEIGHT,
    LAYER_COLORS,
    MORE_HEIGHT,
    MORE_WIDTH,
    NODE_WIDTH,
    ROW_HEIGHT,
    columnEdgePaths,
    fitView,
    layoutGraph,
    moreId,
    truncate,
    zoomAt,
} from "./lineage_layout";

const MODEL = "ipwb.lineage.edge";
const ZOOM_STEP = 1.25;
/** below this zoom only the table names are drawn, larger, without their schema */
const DETAIL_ZOOM = 0.45;
/** the first view fits the graph, but zooms out no further than this (labels stay legible) */
const READABLE_ZOOM = 0.4;

export class LineageGraph extends Component {
    static template = "ipwb_catalog.LineageGraph";
    static props = {...standardActionServiceProps};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.canvas = useRef("canvas");
        this.nodes = new Map();
        this.edges = new Map();
        this.more = new Map();
        this.columns = new Map();
        this.columnEdges = new Map();
        this.expanded = new Set();
        this.drag = null;
        this.dims = {NODE_WIDTH, HEADER_HEIGHT, ROW_HEIGHT, MORE_WIDTH, MORE_HEIGHT};
        this.state = useState({
            layout: {nodes: [], groups: [], more: [], edges: [], moreEdges: [], lanes: [], width: 0, height: 0},
            columnPaths: [],
            selected: null,
            root: null,
            impact: null,
            view: {x: 0, y: 0, k: 1},
        });
        this.layerColors = LAYER_COLORS;
        onWillStart(async () => {
            await loadJS("/ipwb_catalog/static/lib/dagre/dagre.min.js");
            const params = this.props.action.params || {};
            const [table] = await this.orm.read("ipwb.table", [params.table_id], ["full_name"]);
            this.state.root = table.full_name;
            await this.expand(table.full_name);
            this.state.selected = this.nodes.get(table.full_name) || null;
        });
        onMounted(() => this.initialView());
    }

    // --- data -------------------------------------------------------------------------------
    merge(data, replacing = null) {
        for (const node of data.nodes) {
            this.nodes.set(node.id, node);
        }
        for (const edge of data.edges) {
            this.edges.set(`${edge.source}\u0000${edge.target}`, edge);
        }
        if (replacing) {
            this.more.delete(moreId(replacing));
        }
        for (const entry of data.more) {
            this.more.set(moreId(entry), entry);
        }
        this.relayout();
    }

    async expand(name) {
        if (this.expanded.has(name)) {
            return;
        }
        this.expanded.add(name);
        const known = [...this.nodes.keys()].filter((id) => id !== name);
        this.merge(await this.orm.call(MODEL, "lineage_graph_data", [[name], 1, known]));
    }

    async loadMore(entry) {
        const known = [...this.nodes.keys()];
        const data = await this.orm.call(MODEL, "lineage_graph_expand", [
            entry.node,
            entry.direction,
            entry.offset,
            known,
        ]);
        this.merge(data, entry);
    }

    async toggleColumns(node) {
        if (this.columns.has(node.id)) {
            this.columns.delete(node.id);
        } else {
            const data = await this.orm.call(MODEL, "lineage_graph_columns", [node.id]);
            this.columns.set(node.id, data);
            for (const edge of data.edges) {
                const key = [edge.source, edge.source_column, edge.target, edge.target_column, edge.kind];
                this.columnEdges.set(key.join("\u0000"), edge);
            }
        }
        this.relayout();
    }

    async selectColumn(node, column) {
        const data = await this.orm.call(MODEL, "lineage_graph_impact", [node.id, column.name]);
        this.state.impact = {
            table: node.id,
            column: column.name,
            columns: new Set(data.columns.map(([t, c]) => `${t}\u0000${c}`)),
            tables: new Set(data.tables),
            columnCount: data.column_count,
            tableCount: data.table_count,
        };
    }

    clearImpact() {
        this.state.impact = null;
    }

    relayout() {
        const layout = layoutGraph(this.nodes, this.edges, this.more, this.columns, this.state.root);
        const degree = {};
        for (const edge of layout.edges) {
            degree[edge.source] = (degree[edge.source] || 0) + 1;
            degree[edge.target] = (degree[edge.target] || 0) + 1;
        }
        const paged = {};
        for (const entry of layout.more) {
            paged[entry.node] = (paged[entry.node] || 0) + entry.hidden;
        }
        for (const node of layout.nodes) {
            node.expanded = this.expanded.has(node.id);
            node.hidden = node.upstream + node.downstream - (degree[node.id] || 0) - (paged[node.id] || 0);
            node.isRoot = node.id === this.state.root;
            node.columns = this.columns.get(node.id)?.columns || null;
            node.hiddenColumns = this.columns.get(node.id)?.hidden_columns || 0;
        }
        this.state.layout = layout;
        this.state.columnPaths = columnEdgePaths(layout.nodes, this.columns, this.columnEdges);
    }

    // --- view: zoom, pan, fit ------------------------------------------------------------------
    get viewTransform() {
        const {x, y, k} = this.state.view;
        return `translate(${x},${y}) scale(${k})`;
    }

    get zoomPercent() {
        return Math.round(this.state.view.k * 100);
    }

    get detailed() {
        return this.state.view.k >= DETAIL_ZOOM;
    }

    boxSize() {
        const el = this.canvas.el;
        return el ? [el.clientWidth, el.clientHeight] : [0, 0];
    }

    fit() {
        const {width, height} = this.state.layout;
        this.state.view = fitView(width, height, ...this.boxSize());
    }

    /** Fit the graph; when that makes labels too small, show the root at a readable zoom. */
    initialView() {
        this.fit();
        const root = this.state.layout.nodes.find((node) => node.isRoot);
        if (this.state.view.k >= READABLE_ZOOM || !root) {
            return;
        }
        const [w, h] = this.boxSize();
        const k = READABLE_ZOOM;
        const [cx, cy] = [root.x + NODE_WIDTH / 2, root.y + root.height / 2];
        this.state.view = {x: w / 2 - cx * k, y: h / 2 - cy * k, k};
    }

    zoomBy(factor) {
        const [w, h] = this.boxSize();
        this.state.view = zoomAt(this.state.view, factor, w / 2, h / 2);
    }

    onWheel(ev) {
        const rect = this.canvas.el.getBoundingClientRect();
        const factor = Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.0015));
        this.state.view = zoomAt(this.state.view, factor, ev.clientX - rect.left, ev.clientY - rect.top);
    }

    onPointerDown(ev) {
        if (ev.button !== 0) {
            return;
        }
        const {x, y} = this.state.view;
        this.drag = {x0: ev.clientX, y0: ev.clientY, vx: x, vy: y, moved: false};
        const move = (e) => {
            const dx = e.clientX - this.drag.x0;
            const dy = e.clientY - this.drag.y0;
            if (this.drag.moved || Math.abs(dx) + Math.abs(dy) > 4) {
                this.drag.moved = true;
                this.state.view = {...this.state.view, x: this.drag.vx + dx, y: this.drag.vy + dy};
            }
        };
        const up = () => {
            window.removeEventListener("pointermove", move);
            window.removeEventListener("pointerup", up);
            // a drag ends without the click that follows it selecting anything
            setTimeout(() => (this.drag = null));
        };
        window.addEventListener("pointermove", move);
        window.addEventListener("pointerup", up);
    }

    wasDragged() {
        return Boolean(this.drag && this.drag.moved);
    }

    // --- interaction ---------------------------------------------------------------------------
    async onNodeClick(node) {
        if (this.wasDragged()) {
            return;
        }
        this.state.selected = this.nodes.get(node.id);
        await this.expand(node.id);
    }

    async onMoreClick(entry) {
        if (!this.wasDragged()) {
            await this.loadMore(entry);
        }
    }

    async onColumnsToggle(node) {
        if (!this.wasDragged()) {
            await this.toggleColumns(node);
        }
    }

    async onColumnClick(node, column) {
        if (!this.wasDragged()) {
            await this.selectColumn(node, column);
        }
    }

    isImpacted(tableId, column = null) {
        const impact = this.state.impact;
        if (!impact) {
            return false;
        }
        return column === null ? impact.tables.has(tableId) : impact.columns.has(`${tableId}\u0000${column}`);
    }

    isImpactSource(tableId, column) {
        const impact = this.state.impact;
        return Boolean(impact && impact.table === tableId && impact.column === column);
    }

    columnEdgeClass(edge) {
        const impact = this.state.impact;
        if (!impact) {
            return "";
        }
        const fromHit =
            this.isImpactSource(edge.source, edge.source_column) || this.isImpacted(edge.source, edge.source_column);
        return fromHit && (this.isImpacted(edge.target, edge.target_column) || this.isImpacted(edge.target))
            ? "o_ipwb_lineage_impact"
            : "";
    }

    /** Label font size in drawing units: zoomed far out, labels grow to stay legible. */
    get labelSize() {
        return this.detailed ? 12 : Math.min(30, 10 / this.state.view.k);
    }

    label(node) {
        if (this.detailed) {
            return truncate(node.name, 30);
        }
        const short = node.name.includes(".") ? node.name.slice(node.name.indexOf(".") + 1) : node.name;
        return truncate(short, Math.max(6, Math.floor((NODE_WIDTH - 24) / (this.labelSize * 0.6))));
    }

    columnLabel(column) {
        return truncate(column.name, 24);
    }

    columnsTitle(node) {
        return node.columns ? _t("Hide the columns") : _t("Show the columns and their lineage");
    }

    moreLabel(entry) {
        return _t("+%s more", entry.hidden);
    }

    openSelected() {
        const node = this.state.selected;
        if (node && node.table_id) {
            this.action.doAction({
                type: "ir.actions.act_window",
                res_model: "ipwb.table",
                res_id: node.table_id,
                views: [[false, "form"]],
            });
        }
    }
}

registry.category("actions").add("ipwb_catalog.lineage_graph", LineageGraph);
