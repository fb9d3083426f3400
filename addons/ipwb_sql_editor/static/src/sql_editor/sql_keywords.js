/** @odoo-module **/
// PostgreSQL keywords and common functions offered by the completion in every context.

export const SQL_KEYWORDS = [
    "SELECT", "FROM", "WHERE", "GROUP BY", "ORDER BY", "HAVING", "LIMIT", "OFFSET", "JOIN",
    "LEFT JOIN", "RIGHT JOIN", "INNER JOIN", "FULL OUTER JOIN", "CROSS JOIN", "LATERAL", "ON",
    "USING", "AS", "AND", "OR", "NOT", "IN", "IS NULL", "IS NOT NULL", "LIKE", "ILIKE", "BETWEEN",
    "CASE", "WHEN", "THEN", "ELSE", "END", "WITH", "RECURSIVE", "UNION", "UNION ALL", "INTERSECT",
    "EXCEPT", "DISTINCT", "DISTINCT ON", "EXISTS", "ASC", "DESC", "NULLS FIRST", "NULLS LAST",
    "OVER", "PARTITION BY", "WINDOW", "ROWS BETWEEN", "FILTER", "VALUES", "EXPLAIN", "TRUE",
    "FALSE", "NULL", "INTERVAL", "DATE", "TIMESTAMP", "NUMERIC", "INTEGER", "TEXT", "BOOLEAN",
];

export const SQL_FUNCTIONS = [
    "count", "sum", "avg", "min", "max", "coalesce", "nullif", "greatest", "least", "round",
    "abs", "date_trunc", "date_part", "extract", "now", "current_date", "to_char", "to_date",
    "lower", "upper", "trim", "length", "substring", "concat", "string_agg", "array_agg",
    "row_number", "rank", "dense_rank", "lag", "lead", "first_value", "last_value", "cast",
    "generate_series", "json_agg", "jsonb_build_object",
];
