/** @odoo-module **/
// Completion for the SQL editor: keywords always; schemas and tables of the chosen
// warehouse (one call, cached per connection); columns only of the tables the statement
// references, fetched lazily and cached per table — so a warehouse with 20k tables stays
// responsive. The server decides where names come from (catalog or warehouse).

import { SQL_FUNCTIONS, SQL_KEYWORDS } from "./sql_keywords";

const MAX_SUGGESTIONS = 300;
const NAME = String.raw`(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const TABLE_REF = new RegExp(
    String.raw`\b(?:from|join|update|into)\s+(${NAME}(?:\s*\.\s*${NAME})?)(?:\s+(?:as\s+)?(${NAME}))?`,
    "gi"
);
const ALIAS_STOP = new Set([
    "where", "join", "left", "right", "inner", "full", "cross", "on", "using", "group", "order",
    "limit", "union", "natural", "lateral", "having", "window", "offset", "except", "intersect",
]);

function unquote(name) {
    return name
        .split(".")
        .map((part) => part.trim().replace(/^"|"$/g, ""))
        .join(".");
}

/** Tables referenced by `sql` and their aliases: {tables: [...], aliases: {alias: table}}. */
export function tableReferences(sql) {
    const tables = [];
    const aliases = {};
    for (const match of sql.matchAll(TABLE_REF)) {
        const table = unquote(match[1]);
        if (!tables.includes(table)) {
            tables.push(table);
        }
        const alias = match[2] && unquote(match[2]);
        if (alias && !ALIAS_STOP.has(alias.toLowerCase())) {
            aliases[alias] = table;
        }
    }
    return { tables, aliases };
}

export class SqlCompletion {
    constructor(orm, getConnectionId) {
        this.orm = orm;
        this.getConnectionId = getConnectionId;
        this.tables = new Map(); // connection id → Promise<{schemas, tables}>
        this.columns = new Map(); // "connection:table" → Promise<[[name, type]]>
    }

    loadTables() {
        const connectionId = this.getConnectionId();
        if (!this.tables.has(connectionId)) {
            const promise = this.orm.call("ipwb.sql.completion", "completion_tables", [], {
                connection_id: connectionId,
            });
            promise.catch(() => this.tables.delete(connectionId));
            this.tables.set(connectionId, promise);
        }
        return this.tables.get(connectionId);
    }

    async loadColumns(tables) {
        const connectionId = this.getConnectionId();
        const missing = tables.filter((table) => !this.columns.has(`${connectionId}:${table}`));
        if (missing.length) {
            const request = this.orm.call("ipwb.sql.completion", "completion_columns", [], {
                connection_id: connectionId,
                tables: missing,
            });
            for (const table of missing) {
                const key = `${connectionId}:${table}`;
                const promise = request.then((result) => result.columns[table] || []);
                promise.catch(() => this.columns.delete(key));
                this.columns.set(key, promise);
            }
        }
        const lists = await Promise.all(
            tables.map((table) => this.columns.get(`${connectionId}:${table}`))
        );
        return Object.fromEntries(tables.map((table, index) => [table, lists[index] || []]));
    }

    /** Monaco completion provider (register with languages.registerCompletionItemProvider). */
    provider(monaco) {
        return {
            triggerCharacters: ["."],
            provideCompletionItems: (model, position) => this.suggest(monaco, model, position),
        };
    }

    async suggest(monaco, model, position) {
        const word = model.getWordUntilPosition(position);
        const range = new monaco.Range(
            position.lineNumber,
            word.startColumn,
            position.lineNumber,
            word.endColumn
        );
        const before = model.getLineContent(position.lineNumber).slice(0, word.startColumn - 1);
        const qualifier = before.match(new RegExp(`(${NAME})\\.$`));
        const prefix = word.word.toLowerCase();
        const kinds = monaco.languages.CompletionItemKind;
        const items = [];
        const add = (label, kind, detail, sortPrefix) => {
            if (items.length < MAX_SUGGESTIONS && label.toLowerCase().startsWith(prefix)) {
                items.push({ label, kind, detail, insertText: label, range, sortText: sortPrefix + label });
            }
        };
        const refs = tableReferences(model.getValue());
        const { schemas, tables } = await this.loadTables();
        if (qualifier) {
            const name = unquote(qualifier[1]);
            if (schemas.includes(name)) {
                for (const [schema, table, kind] of tables) {
                    if (schema === name) {
                        add(table, kinds.Struct, kind === "v" ? "view" : "table", "0");
                    }
                }
            } else {
                const table = refs.aliases[name] || name;
                const columns = await this.loadColumns([table]);
                for (const [column, type] of columns[table]) {
                    add(column, kinds.Field, type, "0");
                }
            }
            return { suggestions: items };
        }
        const columns = refs.tables.length ? await this.loadColumns(refs.tables.slice(0, 20)) : {};
        for (const [table, list] of Object.entries(columns)) {
            for (const [column, type] of list) {
                add(column, kinds.Field, `${type} · ${table}`, "0");
            }
        }
        for (const schema of schemas) {
            add(schema, kinds.Module, "schema", "1");
        }
        for (const keyword of SQL_KEYWORDS) {
            add(keyword, kinds.Keyword, "keyword", "3");
        }
        for (const fn of SQL_FUNCTIONS) {
            add(fn, kinds.Function, "function", "4");
        }
        for (const [schema, table] of tables) {
            if (items.length >= MAX_SUGGESTIONS) {
                break;
            }
            add(`${schema}.${table}`, kinds.Struct, "table", "2");
        }
        return { suggestions: items, incomplete: items.length >= MAX_SUGGESTIONS };
    }
}
