import Foundation
import PostgresStore

extension PostgresServiceStore {
    static func labels(_ row: PostgresRow) throws -> Labels {
        Labels(name: try row.get("name"), tags: try StoredJSON.decode([String].self, try row.get("tags")))
    }

    public func updateLabels(_ kind: LabelledKind, id: String, patch: LabelsPatch) throws -> Bool {
        try inTransaction { db in
            guard
                let row = try db.queryOne("SELECT name, tags FROM \(kind.rawValue) WHERE id = $1 FOR UPDATE", [id])
            else { return false }
            let labels = patch.applied(to: try Self.labels(row))
            try db.execute(
                "UPDATE \(kind.rawValue) SET name = $1, tags = $2 WHERE id = $3",
                [labels.name, StoredJSON.encode(labels.tags), id])
            return true
        }
    }

    /// One page of a list, as `SQLiteServiceStore.listPage` makes it (creation order with the
    /// last id as cursor, or keyset paging on the sort key with rows without a value last), in
    /// PostgreSQL's SQL: tags are matched in the stored JSON array with `jsonb_array_elements_text`
    /// (https://www.postgresql.org/docs/current/functions-json.html).
    func listPage<T>(
        _ kind: LabelledKind, columns: String, sortExpressions: [String: String], query: ListQuery,
        filter: (sql: String, argument: any PostgresBindable)?,
        decode: (PostgresRow) throws -> T, id: (T) -> String
    ) throws -> (items: [T], next: String?) {
        let table = kind.rawValue
        var conditions: [String] = []
        var arguments: PostgresArguments = []
        /// Appends an argument and answers its placeholder.
        func bind(_ value: any PostgresBindable) -> String {
            arguments.append(value)
            return "$\(arguments.count)"
        }
        if let filter { conditions.append(filter.sql.replacingOccurrences(of: "$?", with: bind(filter.argument))) }
        if let name = query.name { conditions.append("\(table).name = \(bind(name))") }
        for tag in query.tags {
            conditions.append(
                "EXISTS(SELECT 1 FROM jsonb_array_elements_text(\(table).tags::jsonb) AS tag WHERE tag = \(bind(tag)))")
        }
        let key = query.sort.flatMap { sortExpressions[$0.field] } ?? "\(table).seq"
        if query.sort == nil, let after = query.afterID {
            conditions.append(
                "\(table).seq > COALESCE((SELECT seq FROM \(table) AS seen WHERE seen.id = \(bind(after))), 0)")
        }
        if let cursor = query.afterCursor, let sort = query.sort {
            switch cursor.key {
            case .null:
                conditions.append("((\(key)) IS NULL AND \(table).seq > \(bind(cursor.seq)))")
            case .number, .text:
                let bound: any PostgresBindable =
                    switch cursor.key {
                    case .number(let value): value
                    case .text(let value): value
                    case .null: ""
                    }
                let beyond = sort.descending ? "<" : ">"
                let placeholder = bind(bound)
                conditions.append(
                    "((\(key)) IS NULL OR (\(key)) \(beyond) \(placeholder) OR ((\(key)) = \(placeholder) AND \(table).seq > \(bind(cursor.seq))))"
                )
            }
        }
        let order =
            query.sort.map { "(\(key)) IS NULL, (\(key)) \($0.descending ? "DESC" : "ASC"), \(table).seq" }
            ?? "\(table).seq"
        let sql = """
            SELECT \(columns), (\(key)) AS sort_key, \(table).seq AS sort_seq FROM \(table)
            \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
            ORDER BY \(order) LIMIT \(bind(query.limit))
            """
        let rows = try read { db in try db.query(sql, arguments) }
        let items = try rows.map(decode)
        guard items.count == query.limit, let last = rows.last, let lastItem = items.last else { return (items, nil) }
        guard let sort = query.sort else { return (items, id(lastItem)) }
        let lastKey: SortCursor.Key =
            switch try last.value("sort_key") {
            case .integer(let value): .number(Double(value))
            case .real(let value): .number(value)
            case .text(let value): .text(value)
            default: .null
            }
        return (items, SortCursor(sort: sort.spelling, key: lastKey, seq: try last.get("sort_seq")).encoded)
    }
}
