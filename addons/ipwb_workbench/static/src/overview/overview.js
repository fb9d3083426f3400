/** @odoo-module **/
// Workbench › Overview: the launch metrics as tiles (value, target, status, trend, link).
// One RPC answers every tile; each tile's trend is drawn with the Chart.js bundled in web.

import {Component, onWillStart, useEffect, useRef, useState} from "@odoo/owl";
import {loadBundle} from "@web/core/assets";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";
import {standardActionServiceProps} from "@web/webclient/actions/action_service";

const STATUS_COLORS = {
    good: "#198754",
    warn: "#fd7e14",
    bad: "#dc3545",
    none: "#6c757d",
    hidden: "#adb5bd",
};

export class OverviewTile extends Component {
    static template = "ipwb_workbench.OverviewTile";
    static props = {tile: Object, onOpen: Function};

    setup() {
        this.canvas = useRef("canvas");
        this.chart = null;
        useEffect(
            () => {
                this.draw();
                return () => this.chart && this.chart.destroy();
            },
            () => [this.props.tile]
        );
    }

    get hasSeries() {
        return this.props.tile.series.some(([, value]) => value !== null);
    }

    get breakdown() {
        return Object.entries(this.props.tile.breakdown);
    }

    get statusLabel() {
        return {
            good: _t("on target"),
            warn: _t("close to target"),
            bad: _t("off target"),
            none: _t("no data yet"),
            hidden: _t("not visible to you"),
        }[this.props.tile.status];
    }

    draw() {
        if (!this.canvas.el || !this.hasSeries || !window.Chart) {
            return;
        }
        const series = this.props.tile.series;
        this.chart = new window.Chart(this.canvas.el, {
            type: "line",
            data: {
                labels: series.map(([day]) => day),
                datasets: [
                    {
                        data: series.map(([, value]) => value),
                        borderColor: STATUS_COLORS[this.props.tile.status],
                        backgroundColor: STATUS_COLORS[this.props.tile.status] + "22",
                        fill: true,
                        spanGaps: true,
                        pointRadius: 2,
                        tension: 0.3,
                    },
                ],
            },
            options: {
                animation: false,
                responsive: true,
                maintainAspectRatio: false,
                plugins: {legend: {display: false}, tooltip: {intersect: false, mode: "index"}},
                scales: {x: {display: false}, y: {display: false, beginAtZero: true}},
            },
        });
    }

    open() {
        if (this.props.tile.link.res_model) {
            this.props.onOpen(this.props.tile);
        }
    }
}

export class WorkbenchOverview extends Component {
    static template = "ipwb_workbench.Overview";
    static components = {OverviewTile};
    static props = {...standardActionServiceProps};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.periods = [7, 30, 90];
        this.state = useState({
            days: 30,
            domainName: "",
            teamId: false,
            data: null,
            loading: true,
        });
        onWillStart(async () => {
            await loadBundle("web.chartjs_lib");
            await this.load();
        });
    }

    async load() {
        this.state.loading = true;
        try {
            this.state.data = await this.orm.call("ipwb.overview", "get_overview", [], {
                days: this.state.days,
                domain_name: this.state.domainName,
                team_id: this.state.teamId || false,
            });
        } finally {
            this.state.loading = false;
        }
    }

    setPeriod(days) {
        this.state.days = days;
        return this.load();
    }

    onDomain(ev) {
        this.state.domainName = ev.target.value;
        return this.load();
    }

    onTeam(ev) {
        this.state.teamId = parseInt(ev.target.value, 10) || false;
        return this.load();
    }

    openTile(tile) {
        return this.action.doAction(tile.link);
    }
}

registry.category("actions").add("ipwb_workbench.overview", WorkbenchOverview);
