/** @odoo-module **/
/* global dagre */
// Pure layout helpers of the lineage graph: dagre placement (layers as ranks), layer lanes,
// column anchors and the zoom/pan arithmetic. No OWL here.

export const NODE_WIDTH = 240;
export const HEADER_HEIGHT = 46;
export const ROW_HEIGHT = 20;
export const MORE_WIDTH = 130;
export const MORE_HEIGHT = 30;
export const LAYER_ORDER = ["bronze", "silver", "gold", "platinum", "other"];
export const LAYER_COLORS = {
    bronze: "#cd7f32",
    silver: "#8c99a6",
    gold: "#d4a017",
    platinum: "#5b8db8",
    other: "#adb5bd",
};
export const MIN_ZOOM = 0.05;
export const MAX_ZOOM = 3;

export function truncate(text, max) {
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function moreId(entry) {
    return `more:${entry.direction}:${entry.node}`;
}

/** a table's leaf neighbours (linked to nothing else drawn) are packed in a grid from this many */
export const GROUP_MIN = 12;
const GAP_X = 16;
const GAP_Y = 12;
const GROUP_PAD = 10;

/**
 * Leaf tables grouped by the one table they are linked to (and the side): a hub's hundreds of
 * direct neighbours become one compact grid instead of a column thousands of pixels tall.
 * Expanded tables (columns shown, "+k more" pending, or linked twice) are never grouped.
 */
export function leafGroups(nodes, edges, more, columns, rootId) {
    const links = new Map();
    const link = (id, other, direction) => links.set(id, [...(links.get(id) || []), [other, direction]]);
    for (const edge of edges) {
        link(edge.target, edge.source, "downstream");
        link(edge.source, edge.target, "upstream");
    }
    const pending = new Set([...more.values()].map((entry) => entry.node));
    const groups = new Map();
    for (const node of [...nodes.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
        const own = links.get(node.id) || [];
        if (own.length !== 1 || columns.has(node.id) || pending.has(node.id) || node.id === rootId) {
            continue;
        }
        const [parent, direction] = own[0];
        const id = `group:${direction}:${parent}`;
        if (!groups.has(id)) {
            groups.set(id, {id, parent, direction, members: []});
        }
        groups.get(id).members.push(node.id);
    }
    return [...groups.values()]
        .filter((group) => group.members.length >= GROUP_MIN)
        .map((group) => {
            const n = group.members.length;
            const ratio = (HEADER_HEIGHT + GAP_Y) / (NODE_WIDTH + GAP_X);
            const cols = Math.max(1, Math.round(Math.sqrt(n * ratio * 1.5)));
            const rows = Math.ceil(n / cols);
            return {
                ...group,
                cols,
                rows,
                width: cols * (NODE_WIDTH + GAP_X) - GAP_X + 2 * GROUP_PAD,
                height: rows * (HEADER_HEIGHT + GAP_Y) - GAP_Y + 2 * GROUP_PAD,
            };
        });
}

/**
 * Places table nodes (with their column rows when expanded), leaf grids and "+k more" nodes.
 * @param {Map} nodes table nodes by id
 * @param {Map} edges table edges by key ({source, target})
 * @param {Map} more "+k more" entries by key ({node, direction, offset, hidden})
 * @param {Map} columns expanded tables → {columns: [...]}
 * @param {String} rootId the table the graph was opened on (never grouped)
 */
export function layoutGraph(nodes, edges, more, columns, rootId = null) {
    const graph = new dagre.graphlib.Graph();
    graph.setGraph({rankdir: "LR", nodesep: 16, ranksep: 80, marginx: 30, marginy: 40});
    graph.setDefaultEdgeLabel(() => ({}));
    const heightOf = (id) => {
        const cols = columns.get(id);
        return cols ? HEADER_HEIGHT + cols.columns.length * ROW_HEIGHT + 8 : HEADER_HEIGHT;
    };
    const drawn = [...edges.values()].filter((e) => nodes.has(e.source) && nodes.has(e.target));
    const groups = leafGroups(nodes, drawn, more, columns, rootId);
    const groupOf = new Map();
    for (const group of groups) {
        for (const member of group.members) {
            groupOf.set(member, group);
        }
    }
    for (const node of nodes.values()) {
        if (!groupOf.has(node.id)) {
            graph.setNode(node.id, {width: NODE_WIDTH, height: heightOf(node.id)});
        }
    }
    // Layers become columns: an edge skipping a layer (bronze → gold) spans two ranks, so
    // every gold table lines up whatever its distance from the root.
    const rankOf = (id) => LAYER_ORDER.indexOf(nodes.get(id)?.layer);
    const minlen = (source, target) => {
        const [from, to] = [rankOf(source), rankOf(target)];
        return from >= 0 && to >= 0 && from < 4 && to < 4 ? Math.max(1, to - from) : 1;
    };
    for (const edge of drawn) {
        if (!groupOf.has(edge.source) && !groupOf.has(edge.target)) {
            graph.setEdge(edge.source, edge.target, {minlen: minlen(edge.source, edge.target)});
        }
    }
    for (const group of groups) {
        graph.setNode(group.id, {width: group.width, height: group.height});
        const [from, to] = group.direction === "downstream" ? [group.parent, group.id] : [group.id, group.parent];
        const [a, b] = group.direction === "downstream" ? [group.parent, group.members[0]] : [group.members[0], group.parent];
        graph.setEdge(from, to, {minlen: minlen(a, b)});
    }
    for (const entry of more.values()) {
        if (!nodes.has(entry.node)) {
            continue;
        }
        const id = moreId(entry);
        graph.setNode(id, {width: MORE_WIDTH, height: MORE_HEIGHT});
        if (entry.direction === "downstream") {
            graph.setEdge(entry.node, id, {minlen: 1});
        } else {
            graph.setEdge(id, entry.node, {minlen: 1});
        }
    }
    dagre.layout(graph);
    const path = (points) => points.map((p, i) => `${i ? "L" : "M"}${p.x},${p.y}`).join(" ");
    const placedGroups = groups.map((group) => {
        const pos = graph.node(group.id);
        const [from, to] = group.direction === "downstream" ? [group.parent, group.id] : [group.id, group.parent];
        return {
            ...group,
            count: group.members.length,
            x: pos.x - group.width / 2,
            y: pos.y - group.height / 2,
            path: path(graph.edge(from, to).points),
        };
    });
    const slots = new Map();
    for (const group of placedGroups) {
        group.members.forEach((member, i) => {
            const [col, row] = [Math.floor(i / group.rows), i % group.rows];
            slots.set(member, {
                x: group.x + GROUP_PAD + col * (NODE_WIDTH + GAP_X),
                y: group.y + GROUP_PAD + row * (HEADER_HEIGHT + GAP_Y),
            });
        });
    }
    const placed = [...nodes.values()].map((node) => {
        const height = heightOf(node.id);
        if (slots.has(node.id)) {
            return {...node, ...slots.get(node.id), height};
        }
        const pos = graph.node(node.id);
        return {...node, x: pos.x - NODE_WIDTH / 2, y: pos.y - height / 2, height};
    });
    const moreNodes = [...more.values()]
        .filter((entry) => nodes.has(entry.node))
        .map((entry) => {
            const pos = graph.node(moreId(entry));
            return {...entry, id: moreId(entry), x: pos.x - MORE_WIDTH / 2, y: pos.y - MORE_HEIGHT / 2};
        });
    const tableEdges = drawn.map((edge) => ({
        key: `${edge.source}→${edge.target}`,
        source: edge.source,
        target: edge.target,
        // an edge into a leaf grid is drawn once, to the grid
        path: graph.hasEdge(edge.source, edge.target) ? path(graph.edge(edge.source, edge.target).points) : null,
    }));
    const moreEdges = moreNodes.map((entry) => {
        const [from, to] = entry.direction === "downstream" ? [entry.node, entry.id] : [entry.id, entry.node];
        return {key: entry.id, path: path(graph.edge(from, to).points)};
    });
    const info = graph.graph();
    return {
        nodes: placed,
        groups: placedGroups,
        more: moreNodes,
        edges: tableEdges,
        moreEdges,
        lanes: layerLanes(placed, info.height || 0),
        width: info.width || 0,
        height: info.height || 0,
    };
}

/** One translucent band per layer, spanning the x extent of its tables. */
export function layerLanes(placed, height) {
    const lanes = {};
    for (const node of placed) {
        const lane = (lanes[node.layer] ||= {layer: node.layer, x0: Infinity, x1: -Infinity, count: 0});
        lane.x0 = Math.min(lane.x0, node.x);
        lane.x1 = Math.max(lane.x1, node.x + NODE_WIDTH);
        lane.count++;
    }
    return LAYER_ORDER.filter((layer) => lanes[layer]).map((layer) => {
        const lane = lanes[layer];
        return {...lane, x: lane.x0 - 12, width: lane.x1 - lane.x0 + 24, height, color: LAYER_COLORS[layer]};
    });
}

/** Column→column edges between drawn tables, anchored on column rows of expanded tables. */
export function columnEdgePaths(placed, columns, columnEdges) {
    const byId = new Map(placed.map((node) => [node.id, node]));
    const anchor = (table, column, outgoing) => {
        const node = byId.get(table);
        if (!node) {
            return null;
        }
        const x = outgoing ? node.x + NODE_WIDTH : node.x;
        const index = column ? (columns.get(table)?.columns || []).findIndex((c) => c.name === column) : -1;
        const y = index >= 0 ? node.y + HEADER_HEIGHT + index * ROW_HEIGHT + ROW_HEIGHT / 2 : node.y + 23;
        return {x, y};
    };
    const paths = [];
    for (const edge of columnEdges.values()) {
        if (!columns.has(edge.source) && !columns.has(edge.target)) {
            continue;
        }
        const from = anchor(edge.source, edge.source_column, true);
        const to = anchor(edge.target, edge.target_column, false);
        if (!from || !to) {
            continue;
        }
        const dx = Math.max(40, Math.abs(to.x - from.x) / 2);
        paths.push({
            ...edge,
            path: `M${from.x},${from.y} C${from.x + dx},${from.y} ${to.x - dx},${to.y} ${to.x},${to.y}`,
        });
    }
    return paths;
}

/** The view ({x, y, k}) showing a width × height drawing whole in a box of the given size. */
export function fitView(width, height, boxWidth, boxHeight) {
    if (!width || !height || !boxWidth || !boxHeight) {
        return {x: 0, y: 0, k: 1};
    }
    const k = Math.max(MIN_ZOOM, Math.min(1, (0.96 * boxWidth) / width, (0.96 * boxHeight) / height));
    return {x: (boxWidth - width * k) / 2, y: (boxHeight - height * k) / 2, k};
}

/** Zoom ``view`` by ``factor`` keeping the drawing point under (px, py) in place. */
export function zoomAt(view, factor, px, py) {
    const k = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, view.k * factor));
    const ratio = k / view.k;
    return {x: px - (px - view.x) * ratio, y: py - (py - view.y) * ratio, k};
}
