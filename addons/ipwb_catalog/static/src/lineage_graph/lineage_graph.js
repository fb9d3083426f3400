/** @odoo-module **/
/* global dagre */
// Lineage graph of a table: its neighbours one step up and down; clicking a node expands
// its own neighbours lazily. Laid out with dagre (left to right), coloured by layer.

import {Component, onWillStart, useState} from "@odoo/owl";
import {loadJS} from "@web/core/assets";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";
import {standardActionServiceProps} from "@web/webclient/actions/action_service";

const NODE_WIDTH = 220;
const NODE_HEIGHT = 46;
export const LAYER_ORDER = ["bronze", "silver", "gold", "platinum", "other"];
const LAYER_COLORS = {
    bronze: "#cd7f32",
    silver: "#8c99a6",
    gold: "#d4a017",
    platinum: "#5b8db8",
    other: "#adb5bd",
};

export class LineageGraph extends Component {
    static template = "ipwb_catalog.LineageGraph";
    static props = {...standardActionServiceProps};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.nodes = new Map();
        this.edges = new Map();
        this.expanded = new Set();
        this.state = useState({
            layout: {nodes: [], edges: [], width: 0, height: 0},
            selected: null,
            root: null,
            layerCounts: [],
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
    }

    async expand(name) {
        if (this.expanded.has(name)) {
            return;
        }
        this.expanded.add(name);
        const data = await this.orm.call("ipwb.lineage.edge", "lineage_graph_data", [[name], 1]);
        for (const node of data.nodes) {
            this.nodes.set(node.id, node);
        }
        for (const edge of data.edges) {
            this.edges.set(`${edge.source}\u0000${edge.target}`, edge);
        }
        this.relayout();
    }

    relayout() {
        const graph = new dagre.graphlib.Graph();
        graph.setGraph({rankdir: "LR", nodesep: 18, ranksep: 70, marginx: 20, marginy: 20});
        graph.setDefaultEdgeLabel(() => ({}));
        for (const node of this.nodes.values()) {
            graph.setNode(node.id, {width: NODE_WIDTH, height: NODE_HEIGHT});
        }
        // Layers become columns: an edge skipping a layer (bronze → gold) spans two ranks, so
        // every gold table lines up whatever its distance from the root.
        const rankOf = (id) => LAYER_ORDER.indexOf(this.nodes.get(id)?.layer);
        const degree = {};
        for (const edge of this.edges.values()) {
            const [from, to] = [rankOf(edge.source), rankOf(edge.target)];
            const span = from >= 0 && to >= 0 && from < 4 && to < 4 ? Math.max(1, to - from) : 1;
            graph.setEdge(edge.source, edge.target, {minlen: span});
            degree[edge.source] = (degree[edge.source] || 0) + 1;
            degree[edge.target] = (degree[edge.target] || 0) + 1;
        }
        dagre.layout(graph);
        const nodes = [...this.nodes.values()].map((node) => {
            const pos = graph.node(node.id);
            return {
                ...node,
                x: pos.x - NODE_WIDTH / 2,
                y: pos.y - NODE_HEIGHT / 2,
                expanded: this.expanded.has(node.id),
                hidden: node.upstream + node.downstream - (degree[node.id] || 0),
                isRoot: node.id === this.state.root,
            };
        });
        const edges = [...this.edges.values()].map((edge) => {
            const points = graph.edge(edge.source, edge.target).points;
            return {
                key: `${edge.source}→${edge.target}`,
                path: points.map((p, i) => `${i ? "L" : "M"}${p.x},${p.y}`).join(" "),
            };
        });
        const info = graph.graph();
        const counts = {};
        for (const node of nodes) {
            counts[node.layer] = (counts[node.layer] || 0) + 1;
        }
        this.state.layerCounts = LAYER_ORDER.filter((l) => counts[l]).map((l) => [l, counts[l]]);
        this.state.layout = {nodes, edges, width: info.width || 0, height: info.height || 0};
    }

    async onNodeClick(node) {
        this.state.selected = node;
        await this.expand(node.id);
    }

    label(node) {
        return node.name.length > 30 ? `${node.name.slice(0, 28)}…` : node.name;
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
