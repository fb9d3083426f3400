/** @odoo-module **/
// Genie › Ask: conversations on the left; questions answered with editable SQL and rows.

import {Component, onWillStart, useRef, useState} from "@odoo/owl";
import {CopyButton} from "@web/core/copy_button/copy_button";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";
import {standardActionServiceProps} from "@web/webclient/actions/action_service";

const CONVERSATION = "ipwb.genie.conversation";

export class GenieAnswer extends Component {
    static template = "ipwb_genie.GenieAnswer";
    static components = {CopyButton};
    static props = {message: Object, onRun: Function, onOpenEditor: Function};

    setup() {
        this.state = useState({sql: this.props.message.sql, running: false});
    }

    async run() {
        this.state.running = true;
        try {
            await this.props.onRun(this.props.message, this.state.sql);
        } finally {
            this.state.running = false;
        }
    }
}

export class GenieAsk extends Component {
    static template = "ipwb_genie.GenieAsk";
    static components = {GenieAnswer};
    static props = {...standardActionServiceProps};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.notification = useService("notification");
        this.input = useRef("question");
        this.state = useState({
            conversations: [],
            current: null,
            question: "",
            asking: false,
        });
        onWillStart(() => this.loadList());
    }

    async loadList() {
        this.state.conversations = await this.orm.call(CONVERSATION, "genie_list", []);
    }

    async open(conversationId) {
        this.state.current = await this.orm.call(CONVERSATION, "genie_load", [[conversationId]]);
    }

    newConversation() {
        this.state.current = null;
        this.state.question = "";
    }

    onKeydown(ev) {
        if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
            this.ask();
        }
    }

    async ask() {
        const question = this.state.question.trim();
        if (!question || this.state.asking) {
            return;
        }
        this.state.asking = true;
        try {
            const result = await this.orm.call(CONVERSATION, "genie_ask", [
                this.state.current ? this.state.current.id : false,
                question,
            ]);
            this.state.current = result.conversation;
            this.state.question = "";
            await this.loadList();
        } finally {
            this.state.asking = false;
        }
    }

    async runSql(message, sql) {
        const payload = await this.orm.call("ipwb.genie.message", "genie_run_sql", [[message.id], sql]);
        Object.assign(message, payload);
        this.notification.add(_t("%s row(s)", payload.row_count), {type: "success"});
    }

    async openEditor(message, sql) {
        const action = await this.orm.call("ipwb.genie.message", "genie_open_in_editor", [[message.id], sql]);
        await this.action.doAction(action);
    }
}

registry.category("actions").add("ipwb_genie.ask", GenieAsk);
