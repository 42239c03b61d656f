import Foundation
import SQLiteStore

extension SQLiteServiceStore {
    /// Names and tags on jobs and models. Tags are a JSON array in a TEXT column, filtered with
    /// `json_each` (https://www.sqlite.org/json1.html#jeach); at most 20 per row, so a scan of
    /// one small array per row is cheaper than a join table to keep in step.
    static func registerLabelsMigration(_ migrator: inout Migrator) {
        migrator.register("004_names_and_tags") { db in
            try db.executeScript(
                """
                ALTER TABLE jobs ADD COLUMN name TEXT;
                ALTER TABLE jobs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
                ALTER TABLE models ADD COLUMN name TEXT;
                ALTER TABLE models ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
                CREATE INDEX jobs_name ON jobs(name, seq);
                CREATE INDEX models_name ON models(name, seq);
                """)
        }
    }

    static func labels(_ row: Row) throws -> Labels {
        Labels(name: try row.get("name"), tags: try StoredJSON.decode([String].self, try row.get("tags")))
    }

    /// Applies a merge patch to a row's labels in one transaction; false when there is no such row.
    public func updateLabels(_ table: LabelledKind, id: String, patch: LabelsPatch) throws -> Bool {
        try inTransaction { db in
            guard let row = try db.queryOne("SELECT name, tags FROM \(table.rawValue) WHERE id = ?", [id]) else {
                return false
            }
            let labels = patch.applied(to: try Self.labels(row))
            try db.execute(
                "UPDATE \(table.rawValue) SET name = ?, tags = ? WHERE id = ?",
                [labels.name, StoredJSON.encode(labels.tags), id])
            return true
        }
    }

    /// One page of a list with the query's filters and order. Without a sort the order is that
    /// of creation and the cursor is the last id (as before sorting existed); with one, rows
    /// without a value sort last either way, ties go by creation, and the cursor carries the
    /// last row's key so that the next page starts strictly after it (keyset paging).
    func listPage<T>(
        _ table: LabelledKind, columns: String, query: ListQuery, sortExpressions: [String: String],
        filter: (sql: String, arguments: StatementArguments)?,
        decode: (Row) throws -> T, id: (T) -> String
    ) throws -> (items: [T], next: String?) {
        let name = table.rawValue
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let filter {
            conditions.append(filter.sql)
            arguments += filter.arguments
        }
        if let label = query.name {
            conditions.append("\(name).name = ?")
            arguments.append(label)
        }
        for tag in query.tags {
            conditions.append("EXISTS(SELECT 1 FROM json_each(\(name).tags) WHERE json_each.value = ?)")
            arguments.append(tag)
        }
        let key = query.sort.flatMap { sortExpressions[$0.field] } ?? "\(name).seq"
        if query.sort == nil, let after = query.afterID {
            conditions.append("\(name).seq > COALESCE((SELECT seq FROM \(name) AS seen WHERE seen.id = ?), 0)")
            arguments.append(after)
        }
        if let cursor = query.afterCursor, let sort = query.sort {
            switch cursor.key {
            case .null:
                conditions.append("((\(key)) IS NULL AND \(name).seq > ?)")
                arguments.append(cursor.seq)
            case .number, .text:
                let bound: any SQLBindable =
                    switch cursor.key {
                    case .number(let value): value
                    case .text(let value): value
                    case .null: ""
                    }
                let beyond = sort.descending ? "<" : ">"
                conditions.append(
                    "((\(key)) IS NULL OR (\(key)) \(beyond) ? OR ((\(key)) = ? AND \(name).seq > ?))")
                arguments += [bound, bound, cursor.seq]
            }
        }
        let order =
            query.sort.map { "(\(key)) IS NULL, (\(key)) \($0.descending ? "DESC" : "ASC"), \(name).seq" }
            ?? "\(name).seq"
        let sql = """
            SELECT \(columns), (\(key)) AS sort_key, \(name).seq AS sort_seq FROM \(name)
            \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
            ORDER BY \(order) LIMIT ?
            """
        arguments.append(query.limit)
        let rows = try read { db in try db.query(sql, arguments) }
        let items = try rows.map(decode)
        guard items.count == query.limit, let last = rows.last, let lastItem = items.last else { return (items, nil) }
        guard let sort = query.sort else { return (items, id(lastItem)) }
        let lastKey: SortCursor.Key =
            switch try last.value("sort_key") {
            case .integer(let value): .number(Double(value))
            case .real(let value): .number(value)
            case .text(let value): .text(value)
            case .null, .blob: .null
            }
        return (items, SortCursor(sort: sort.spelling, key: lastKey, seq: try last.get("sort_seq")).encoded)
    }
}
