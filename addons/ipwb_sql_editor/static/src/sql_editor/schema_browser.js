/** @odoo-module **/
// The editor's schema browser: schemas › tables › columns from the metadata catalog, read
// one page per expanded node (and one search request), so a 100k-table warehouse stays fast.

import { Component, onWillStart, onWillUpdateProps, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { quoteIdent } from "./sql_grid_utils";

const PAGE = 100;
const SEARCH_DELAY_MS = 250;

export class SchemaBrowser extends Component {
    static template = "ipwb_sql_editor.SchemaBrowser";
    static props = { connectionId: { type: [Number, Boolean] }, onInsert: Function };

    setup() {
        this.orm = useService("orm");
        this.state = useState({
            loading: false,
            scanned: true,
            schemas: [],
            more: false,
            nodes: {}, // "s:<schema>" / "t:<id>" → { open, loading, items, more }
            query: "",
            found: null,
        });
        onWillStart(() => this.loadSchemas(this.props.connectionId));
        onWillUpdateProps((next) => {
            if (next.connectionId !== this.props.connectionId) {
                this.state.nodes = {};
                this.state.found = null;
                this.state.query = "";
                return this.loadSchemas(next.connectionId);
            }
        });
    }

    async loadSchemas(connectionId, offset = 0) {
        if (!connectionId) {
            this.state.schemas = [];
            return;
        }
        this.state.loading = true;
        try {
            const page = await this.orm.call("ipwb.sql.browser", "browse_schemas", [], {
                connection_id: connectionId,
                offset,
                limit: PAGE,
            });
            this.state.scanned = page.scanned;
            this.state.schemas = offset ? [...this.state.schemas, ...page.schemas] : page.schemas;
            this.state.more = page.more;
        } finally {
            this.state.loading = false;
        }
    }

    node(key) {
        return this.state.nodes[key];
    }

    async toggle(key, loader) {
        const node = this.state.nodes[key];
        if (node) {
            node.open = !node.open;
            return;
        }
        this.state.nodes[key] = { open: true, loading: true, items: [], more: false };
        await this.loadMore(key, loader);
    }

    async loadMore(key, loader) {
        const node = this.state.nodes[key];
        node.loading = true;
        try {
            const page = await loader(node.items.length);
            node.items.push(...(page.tables || page.columns));
            node.more = page.more;
        } finally {
            node.loading = false;
        }
    }

    tablesLoader(schema) {
        return (offset) =>
            this.orm.call("ipwb.sql.browser", "browse_tables", [], {
                connection_id: this.props.connectionId,
                schema,
                offset,
                limit: PAGE,
            });
    }

    columnsLoader(tableId) {
        return (offset) =>
            this.orm.call("ipwb.sql.browser", "browse_columns", [], {
                connection_id: this.props.connectionId,
                table_id: tableId,
                offset,
                limit: PAGE,
            });
    }

    toggleSchema(schema) {
        return this.toggle(`s:${schema.name}`, this.tablesLoader(schema.name));
    }

    toggleTable(table) {
        return this.toggle(`t:${table.id}`, this.columnsLoader(table.id));
    }

    onSearchInput(ev) {
        this.state.query = ev.target.value;
        clearTimeout(this.searchTimer);
        this.searchTimer = setTimeout(() => this.search(), SEARCH_DELAY_MS);
    }

    async search() {
        const query = this.state.query.trim();
        if (!query) {
            this.state.found = null;
            return;
        }
        const found = await this.orm.call("ipwb.sql.browser", "browse_search", [], {
            connection_id: this.props.connectionId,
            query,
            limit: 50,
        });
        if (query === this.state.query.trim()) {
            this.state.found = found;
        }
    }

    insertTable(table) {
        this.props.onInsert(`${quoteIdent(table.schema)}.${quoteIdent(table.name)}`);
    }

    insertColumn(column) {
        this.props.onInsert(quoteIdent(column.name));
    }

    kindIcon(kind) {
        return kind === "view" || kind === "materialized_view" ? "fa-eye" : "fa-table";
    }

    get emptyText() {
        return this.state.scanned
            ? _t("No tables you may read on this connection.")
            : _t("This connection was not scanned yet: scan it in Catalog › Connections to browse it here.");
    }
}
