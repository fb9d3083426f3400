/** @odoo-module **/
// A score trend drawn inline: an SVG polyline of a JSON list of numbers (0–100), oldest
// first, the last point marked; used by the Guardian scorecards' list and kanban.

import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

const WIDTH = 96;
const HEIGHT = 22;
const PAD = 2;

export class SparklineField extends Component {
    static template = "ipwb_guardian.SparklineField";
    static props = { ...standardFieldProps };

    get values() {
        const value = this.props.record.data[this.props.name];
        return Array.isArray(value) ? value.filter((v) => typeof v === "number" && Number.isFinite(v)) : [];
    }

    get points() {
        const values = this.values;
        const step = values.length > 1 ? (WIDTH - 2 * PAD) / (values.length - 1) : 0;
        return values.map((v, i) => {
            const clamped = Math.min(100, Math.max(0, v));
            return [PAD + i * step, PAD + ((100 - clamped) / 100) * (HEIGHT - 2 * PAD)];
        });
    }

    get polyline() {
        return this.points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
    }

    get last() {
        const points = this.points;
        return points[points.length - 1];
    }

    get direction() {
        const values = this.values;
        if (values.length < 2) {
            return "flat";
        }
        const delta = values[values.length - 1] - values[values.length - 2];
        return delta > 0 ? "up" : delta < 0 ? "down" : "flat";
    }

    get title() {
        return _t("Scores, oldest first: %s", this.values.map((v) => v.toFixed(1)).join(" → "));
    }
}

export const sparklineField = {
    component: SparklineField,
    displayName: _t("Sparkline"),
    supportedTypes: ["json"],
};

registry.category("fields").add("ipwb_sparkline", sparklineField);
