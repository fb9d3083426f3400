/** @odoo-module **/
// Live steps on the agent run form (and so in the playground, which opens it): the agent
// worker sends "ipwb.agent.run/progress" on the run's bus channel after each step it
// commits and on every state change; the form reloads the run when one arrives. While the
// run is queued or running, a slow poll stands in for a bus that is not connected.

import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";
import {standardWidgetProps} from "@web/views/widgets/standard_widget_props";
import {Component, onMounted, onWillUnmount, useState} from "@odoo/owl";

export const PROGRESS = "ipwb.agent.run/progress";
const ACTIVE = ["queued", "running"];
const POLL_MS = 2500;

export class AgentRunLive extends Component {
    static props = standardWidgetProps;
    static template = "ipwb_genie.AgentRunLive";

    setup() {
        this.bus = useService("bus_service");
        this.live = useState({updates: 0, lastStep: null});
        this.onProgress = (payload) => this.progress(payload);
        onMounted(() => {
            this.channel = `ipwb_agent_run:${this.props.record.resId}`;
            this.bus.addChannel(this.channel);
            this.bus.subscribe(PROGRESS, this.onProgress);
            this.timer = setInterval(() => this.poll(), POLL_MS);
        });
        onWillUnmount(() => {
            clearInterval(this.timer);
            this.bus.unsubscribe(PROGRESS, this.onProgress);
            this.bus.deleteChannel(this.channel);
        });
    }

    get record() {
        return this.props.record;
    }

    async progress(payload) {
        if (!payload || payload.run_id !== this.record.resId) {
            return;
        }
        if (payload.step_index !== null && payload.step_index !== undefined) {
            this.live.lastStep = payload.step_index;
        }
        await this.reload();
    }

    async poll() {
        if (ACTIVE.includes(this.record.data.state)) {
            await this.reload();
        }
    }

    async reload() {
        if (this.record.isInEdition && this.record.dirty) {
            return;
        }
        await this.record.load();
        this.live.updates++;
    }
}

registry.category("view_widgets").add("ipwb_agent_run_live", {component: AgentRunLive});
