/** @odoo-module **/
// Pipeline canvas: an SVG DAG editor over ipwb.pipeline.step records.
// Layout comes from dagre (npm, installed at setup into ipwb_catalog/static/lib); positions
// the user drags are saved on the steps. A poll shows the latest run's state per node.
import { Component, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { loadJS } from "@web/core/assets";
import { _t } from "@web/core/l10n/translation";

const NODE_W = 160;
const NODE_H = 48;
const POLL_MS = 2000;
const CONFIG_TEMPLATES = {
    sql: { sql: "SELECT 1" },
    dbt: { command: "build", select: "my_model" },
    n8n_webhook: { url: "http://127.0.0.1:5678/webhook/ipwb", method: "POST", timeout_s: 10 },
    quality_gate: { table: "gold.my_table", blocking: true },
    server_action: { action: "module.record_id" },
};

/** A technical name from what a person typed: "Daily POS → VAT" → "daily_pos_vat". */
export function codeFromName(name) {
    const code = (name || "")
        .normalize("NFKD")
        .replace(/[\u0300-\u036f]/g, "")
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "_")
        .replace(/^_+|_+$/g, "")
        .replace(/^([0-9])/, "p_$1")
        .slice(0, 63);
    return code.length >= 2 ? code : "";
}

export class PipelineCanvas extends Component {
    static template = "ipwb_pipeline.Canvas";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        const params = (this.props.action && this.props.action.params) || {};
        const context = (this.props.action && this.props.action.context) || {};
        this.state = useState({
            pipelineId: params.pipeline_id || context.active_id || false,
            pipeline: null,
            pipelines: [],
            steps: [],
            kinds: [],
            selectedId: false,
            connectFrom: false,
            connecting: false,
            newName: "",
            newKind: "sql",
            zoom: 1,
            panX: 40,
            panY: 40,
            run: null,
            status: {},
            creating: { name: "", code: "", codeEdited: false },
            edit: { name: "", config: "" },
        });
        this.drag = null;
        onWillStart(async () => {
            await loadJS("/ipwb_catalog/static/lib/dagre/dagre.min.js").catch(() => null);
            this.state.kinds = await this.orm.call("ipwb.pipeline.step", "canvas_kinds", []);
            if (this.state.pipelineId) {
                await this.load();
            } else {
                this.state.pipelines = await this.orm.searchRead("ipwb.pipeline", [], ["name", "code", "state"]);
            }
        });
        this.timer = setInterval(() => this.poll(), POLL_MS);
        onWillUnmount(() => clearInterval(this.timer));
    }

    // -- data ---------------------------------------------------------------------------------
    async openPipeline(id) {
        this.state.pipelineId = id;
        this.state.selectedId = false;
        await this.load();
    }

    async backToList() {
        this.state.pipelineId = false;
        this.state.pipeline = null;
        this.state.steps = [];
        this.state.run = null;
        this.state.status = {};
        this.state.pipelines = await this.orm.searchRead("ipwb.pipeline", [], ["name", "code", "state"]);
    }

    onNewName(ev) {
        const creating = this.state.creating;
        creating.name = ev.target.value;
        if (!creating.codeEdited) {
            creating.code = codeFromName(creating.name);
        }
    }

    onNewCode(ev) {
        this.state.creating.code = ev.target.value.trim();
        this.state.creating.codeEdited = true;
    }

    async createPipeline() {
        const { name, code } = this.state.creating;
        if (!name.trim() || !code) {
            this.notification.add(_t("Give the pipeline a name (and a technical name) first."), { type: "warning" });
            return;
        }
        try {
            const [id] = await this.orm.create("ipwb.pipeline", [{ name: name.trim(), code }]);
            this.state.creating = { name: "", code: "", codeEdited: false };
            await this.openPipeline(id);
        } catch (error) {
            const message = (error.data && error.data.message) || error.message || String(error);
            this.notification.add(message, { type: "danger", title: _t("New pipeline") });
        }
    }

    async load() {
        const id = this.state.pipelineId;
        const [pipeline] = await this.orm.read("ipwb.pipeline", [id], ["name", "code", "state", "validation_message"]);
        this.state.pipeline = pipeline;
        const steps = await this.orm.searchRead(
            "ipwb.pipeline.step",
            [["pipeline_id", "=", id]],
            ["name", "kind", "depends_on_ids", "position_x", "position_y", "config", "enabled", "sequence"],
            { order: "sequence, id" }
        );
        this.state.steps = steps;
        if (steps.length && steps.every((s) => !s.position_x && !s.position_y)) {
            await this.autoLayout(false);
        }
        await this.poll();
    }

    async poll() {
        if (!this.state.pipelineId) {
            return;
        }
        try {
            const status = await this.orm.call("ipwb.pipeline.run", "canvas_status", [this.state.pipelineId]);
            this.state.run = status.run;
            this.state.status = status.steps;
        } catch {
            // the next poll tries again
        }
    }

    async guarded(fn) {
        try {
            await fn();
        } catch (error) {
            const message = (error.data && error.data.message) || error.message || String(error);
            this.notification.add(message, { type: "danger", title: _t("Canvas") });
        }
        await this.load();
    }

    // -- layout -------------------------------------------------------------------------------
    async autoLayout(save = true) {
        const dagre = window.dagre;
        const steps = this.state.steps;
        if (!dagre) {
            steps.forEach((s, i) => Object.assign(s, { position_x: 40 + (i % 4) * 200, position_y: 40 + Math.floor(i / 4) * 100 }));
        } else {
            const g = new dagre.graphlib.Graph();
            g.setGraph({ rankdir: "LR", nodesep: 30, ranksep: 60 });
            g.setDefaultEdgeLabel(() => ({}));
            for (const s of steps) {
                g.setNode(String(s.id), { width: NODE_W, height: NODE_H });
            }
            for (const s of steps) {
                for (const dep of s.depends_on_ids) {
                    g.setEdge(String(dep), String(s.id));
                }
            }
            dagre.layout(g);
            for (const s of steps) {
                const n = g.node(String(s.id));
                s.position_x = Math.round(n.x - NODE_W / 2);
                s.position_y = Math.round(n.y - NODE_H / 2);
            }
        }
        if (save) {
            for (const s of steps) {
                await this.orm.write("ipwb.pipeline.step", [s.id], { position_x: s.position_x, position_y: s.position_y });
            }
        }
    }

    get edges() {
        const byId = Object.fromEntries(this.state.steps.map((s) => [s.id, s]));
        const edges = [];
        for (const s of this.state.steps) {
            for (const dep of s.depends_on_ids) {
                const from = byId[dep];
                if (from) {
                    const x1 = from.position_x + NODE_W;
                    const y1 = from.position_y + NODE_H / 2;
                    const x2 = s.position_x;
                    const y2 = s.position_y + NODE_H / 2;
                    const mid = (x1 + x2) / 2;
                    edges.push({ key: `${dep}-${s.id}`, from: dep, to: s.id, d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` });
                }
            }
        }
        return edges;
    }

    get transform() {
        return `translate(${this.state.panX},${this.state.panY}) scale(${this.state.zoom})`;
    }

    get selected() {
        return this.state.steps.find((s) => s.id === this.state.selectedId);
    }

    get selectedStatus() {
        const step = this.selected;
        return (step && this.state.status[step.name]) || null;
    }

    depNames(step) {
        const byId = Object.fromEntries(this.state.steps.map((s) => [s.id, s.name]));
        return step.depends_on_ids.map((id) => byId[id]).filter(Boolean).sort().join(",");
    }

    nodeState(step) {
        const st = this.state.status[step.name];
        return st ? st.state : "none";
    }

    // -- editing --------------------------------------------------------------------------------
    /** A step ID not used yet in this pipeline: kind_1, kind_2, … */
    freeStepName(kind) {
        const used = new Set(this.state.steps.map((s) => s.name));
        let n = 1;
        while (used.has(`${kind}_${n}`)) {
            n++;
        }
        return `${kind}_${n}`;
    }

    async addFromPalette(kind) {
        this.state.newKind = kind;
        if (!(this.state.newName || "").trim()) {
            this.state.newName = this.freeStepName(kind);
        }
        const name = this.state.newName.trim();
        await this.addStep();
        const step = this.state.steps.find((s) => s.name === name);
        if (step) {
            this.select(step);
        }
    }

    async addStep() {
        const name = (this.state.newName || "").trim();
        if (!name) {
            this.notification.add(_t("Give the step an ID first."), { type: "warning" });
            return;
        }
        const count = this.state.steps.length;
        await this.guarded(async () => {
            await this.orm.create("ipwb.pipeline.step", [
                {
                    pipeline_id: this.state.pipelineId,
                    name,
                    kind: this.state.newKind,
                    config: JSON.stringify(CONFIG_TEMPLATES[this.state.newKind] || {}, null, 2),
                    sequence: (count + 1) * 10,
                    position_x: 40 + (count % 4) * 200,
                    position_y: 40 + Math.floor(count / 4) * 100,
                },
            ]);
            this.state.newName = "";
        });
    }

    async removeSelected() {
        const step = this.selected;
        if (step) {
            this.state.selectedId = false;
            await this.guarded(() => this.orm.unlink("ipwb.pipeline.step", [step.id]));
        }
    }

    toggleConnect() {
        this.state.connecting = !this.state.connecting;
        this.state.connectFrom = false;
    }

    async onNodeClick(step) {
        if (this.state.connecting) {
            if (!this.state.connectFrom) {
                this.state.connectFrom = step.id;
                return;
            }
            const from = this.state.connectFrom;
            this.state.connectFrom = false;
            this.state.connecting = false;
            if (from !== step.id) {
                await this.guarded(() =>
                    this.orm.write("ipwb.pipeline.step", [step.id], { depends_on_ids: [[4, from]] })
                );
            }
            return;
        }
        this.select(step);
    }

    select(step) {
        this.state.selectedId = step.id;
        this.state.edit = { name: step.name, config: step.config || "" };
    }

    async saveSelected() {
        const step = this.selected;
        if (!step) {
            return;
        }
        const { name, config } = this.state.edit;
        await this.guarded(async () => {
            await this.orm.write("ipwb.pipeline.step", [step.id], { name: name.trim(), config });
            this.notification.add(_t("Step %s saved.", name.trim()), { type: "success" });
        });
        const saved = this.state.steps.find((s) => s.id === step.id);
        if (saved) {
            this.state.edit = { name: saved.name, config: saved.config || "" };
        }
    }

    async removeEdge(edge) {
        await this.guarded(() => this.orm.write("ipwb.pipeline.step", [edge.to], { depends_on_ids: [[3, edge.from]] }));
    }


    async validate() {
        await this.guarded(() => this.orm.call("ipwb.pipeline", "action_validate", [[this.state.pipelineId]]));
    }

    async runNow() {
        await this.guarded(async () => {
            await this.orm.call("ipwb.pipeline", "action_run_now", [[this.state.pipelineId]]);
            this.notification.add(_t("Run queued: a worker picks it up."), { type: "info" });
        });
    }

    // -- drag, zoom, pan ------------------------------------------------------------------------
    onNodeMouseDown(ev, step) {
        ev.stopPropagation();
        this.drag = { step, x: ev.clientX, y: ev.clientY, ox: step.position_x, oy: step.position_y, moved: false };
    }

    onBackgroundMouseDown(ev) {
        this.drag = { pan: true, x: ev.clientX, y: ev.clientY, ox: this.state.panX, oy: this.state.panY };
    }

    onMouseMove(ev) {
        const d = this.drag;
        if (!d) {
            return;
        }
        const dx = ev.clientX - d.x;
        const dy = ev.clientY - d.y;
        if (d.pan) {
            this.state.panX = d.ox + dx;
            this.state.panY = d.oy + dy;
        } else {
            d.moved = d.moved || Math.abs(dx) + Math.abs(dy) > 3;
            d.step.position_x = Math.round(d.ox + dx / this.state.zoom);
            d.step.position_y = Math.round(d.oy + dy / this.state.zoom);
        }
    }

    async onMouseUp() {
        const d = this.drag;
        this.drag = null;
        if (d && !d.pan && d.moved) {
            await this.orm.write("ipwb.pipeline.step", [d.step.id], {
                position_x: d.step.position_x,
                position_y: d.step.position_y,
            });
        }
    }

    onWheel(ev) {
        ev.preventDefault();
        const factor = ev.deltaY < 0 ? 1.1 : 1 / 1.1;
        this.state.zoom = Math.min(3, Math.max(0.2, this.state.zoom * factor));
    }

    zoomBy(factor) {
        this.state.zoom = Math.min(3, Math.max(0.2, this.state.zoom * factor));
    }
}

registry.category("actions").add("ipwb_pipeline.canvas", PipelineCanvas);
