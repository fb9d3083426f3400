/** @odoo-module **/
// Pure helpers of the SQL editor's grid, browser and tab store (no OWL, no services).

const PLAIN_IDENT = /^[a-z_][a-z0-9_$]*$/;
// reserved words that are never plain column/table names in PostgreSQL
const RESERVED = new Set(
    ("all analyse analyze and any array as asc asymmetric both case cast check collate column " +
        "constraint create current_date current_role current_time current_timestamp current_user " +
        "default deferrable desc distinct do else end except false fetch for foreign from grant " +
        "group having in initially intersect into lateral leading limit localtime localtimestamp " +
        "not null offset on only or order placing primary references returning select session_user " +
        "some symmetric table then to trailing true union unique user using variadic when where " +
        "window with").split(" ")
);

/** An identifier as SQL text: bare when PostgreSQL would read it back unchanged. */
export function quoteIdent(name) {
    if (PLAIN_IDENT.test(name) && !RESERVED.has(name)) {
        return name;
    }
    return `"${String(name).replaceAll('"', '""')}"`;
}

const NUMERIC_TYPES = new Set([
    "smallint", "integer", "bigint", "numeric", "decimal", "real", "double precision", "money", "oid",
]);

/** True for PostgreSQL number types (as format_type spells them, typmods ignored). */
export function isNumericType(type) {
    return NUMERIC_TYPES.has(String(type || "").replace(/\(.*\)$/, "").trim());
}

/** A cell as text: NULL for null, JSON for objects. */
export function cellText(value) {
    if (value === null || value === undefined) {
        return "NULL";
    }
    return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** A row as tab-separated text (what spreadsheets paste as cells). */
export function rowText(row) {
    return row.map((cell) => cellText(cell).replace(/[\t\n]/g, " ")).join("\t");
}

/** Duration as people read it. */
export function formatElapsed(ms) {
    return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
