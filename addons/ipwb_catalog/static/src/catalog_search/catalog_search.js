/** @odoo-module **/
// Workbench › Catalog › Search: as-you-type search over tables and columns with facets.

import {Component, onWillStart, useState} from "@odoo/owl";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";
import {useDebounced} from "@web/core/utils/timing";
import {standardActionServiceProps} from "@web/webclient/actions/action_service";

const FACET_LABELS = {
    layer: "Layer",
    domain: "Domain",
    owner_id: "Owner",
    tag_ids: "Tag",
    kind: "Kind",
};

export class CatalogSearch extends Component {
    static template = "ipwb_catalog.CatalogSearch";
    static props = {...standardActionServiceProps};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({
            query: "",
            facets: {},
            results: [],
            facetCounts: {},
            total: 0,
            more: false,
            loading: false,
        });
        this.requestId = 0;
        this.facetLabels = FACET_LABELS;
        this.debouncedSearch = useDebounced(() => this.search(), 200);
        onWillStart(() => this.search());
    }

    async search() {
        const id = ++this.requestId;
        this.state.loading = true;
        const result = await this.orm.call("ipwb.table", "search_catalog", [
            this.state.query,
            this.state.facets,
            30,
        ]);
        if (id !== this.requestId) {
            return; // an older answer arriving late never replaces a newer one
        }
        this.state.results = result.results;
        this.state.facetCounts = result.facets;
        this.state.total = result.total;
        this.state.more = result.more;
        this.state.loading = false;
    }

    onInput(ev) {
        this.state.query = ev.target.value;
        this.debouncedSearch();
    }

    isActive(key, value) {
        return (this.state.facets[key] || []).includes(value);
    }

    toggleFacet(key, value) {
        const current = this.state.facets[key] || [];
        const next = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
        this.state.facets = {...this.state.facets, [key]: next};
        this.search();
    }

    openTable(hit) {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "ipwb.table",
            res_id: hit.id,
            views: [[false, "form"]],
            target: "current",
        });
    }

    openColumn(hit) {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "ipwb.column",
            res_id: hit.column.id,
            views: [[false, "form"]],
            target: "current",
        });
    }
}

registry.category("actions").add("ipwb_catalog.catalog_search", CatalogSearch);
