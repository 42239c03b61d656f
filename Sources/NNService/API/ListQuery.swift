import Foundation
import MicroHTTP

/// A list request's filters, order and page: `?tag=` (repeatable; an item must carry every
/// tag given), `?name=` (exact match), `?sort=` (a field, `-` for descending) and
/// `?limit=` / `?after=`.
///
/// The store receives it as it is: the sort is a field's name from `jobSortFields` or
/// `modelSortFields`, which each store maps to its own expression.
public struct ListQuery: Sendable {
    public var limit: Int
    public var tags: [String] = []
    public var name: String?
    public var sort: SortOrder?
    /// Without `sort`: the id of the last item seen. With `sort`: the cursor of that order.
    public var afterID: String?
    public var afterCursor: SortCursor?

    /// What `GET /v1/jobs?sort=` accepts: creation order, the name, and the latest epoch's metrics.
    public static let jobSortFields = ["created_at", "name", "loss", "val_loss", "accuracy", "val_accuracy"]
    /// What `GET /v1/models?sort=` accepts.
    public static let modelSortFields = ["created_at", "name", "epochs_trained"]

    public struct SortOrder: Sendable {
        public var field: String
        public var descending: Bool
        public var spelling: String { (descending ? "-" : "") + field }

        public init(field: String, descending: Bool) {
            self.field = field
            self.descending = descending
        }
    }

    /// A query built in code (tests, other stores' suites): the first page of `limit` items.
    public init(limit: Int = 100, sort: SortOrder? = nil) {
        self.limit = limit
        self.sort = sort
    }

    init(_ request: HTTPRequest, sortable: [String]) throws {
        let page = try request.page()
        limit = page.limit
        tags = request.queryValues("tag")
        guard tags.count <= Labels.maxTags else {
            throw ServiceError(
                400, "invalid_query", "at most \(Labels.maxTags) tag filters are allowed, got \(tags.count)",
                path: "tag")
        }
        for tag in tags {
            guard (1...Labels.maxTagLength).contains(tag.unicodeScalars.count) else {
                throw ServiceError(
                    400, "invalid_query", "tag must be 1 to \(Labels.maxTagLength) characters", path: "tag")
            }
        }
        if let name = request.queryValue("name") {
            guard (1...Labels.maxNameLength).contains(name.unicodeScalars.count) else {
                throw ServiceError(
                    400, "invalid_query", "name must be 1 to \(Labels.maxNameLength) characters", path: "name")
            }
            self.name = name
        }
        if let text = request.queryValue("sort") {
            let descending = text.hasPrefix("-")
            let fieldName = descending ? String(text.dropFirst()) : text
            guard let field = sortable.first(where: { $0 == fieldName }) else {
                let choices = sortable.joined(separator: ", ")
                throw ServiceError(
                    400, "invalid_query",
                    "sort must be one of \(choices), each optionally prefixed with '-' for descending order",
                    path: "sort")
            }
            sort = SortOrder(field: field, descending: descending)
        }
        if let after = page.after {
            if let sort {
                afterCursor = try SortCursor(decoding: after, sort: sort.spelling)
            } else {
                afterID = after
            }
        }
    }
}

/// Where a sorted page ended: the sort it belongs to, the last item's sort key and its row
/// sequence (the tie-break), as base64url JSON (RFC 4648 §5) so that it fits in a query. A
/// cursor the server did not issue for this sort is a 422: it has the documented form (a
/// string), but names no place in this list.
public struct SortCursor: Codable, Sendable {
    public var sort: String
    public var key: Key
    public var seq: Int

    public enum Key: Codable, Equatable, Sendable {
        case null
        case number(Double)
        case text(String)

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                self = .null
            } else if let number = try? c.decode(Double.self) {
                self = .number(number)
            } else {
                self = .text(try c.decode(String.self))
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .null: try c.encodeNil()
            case .number(let value): try c.encode(value)
            case .text(let value): try c.encode(value)
            }
        }
    }

    public init(sort: String, key: Key, seq: Int) {
        self.sort = sort
        self.key = key
        self.seq = seq
    }

    init(decoding text: String, sort: String) throws {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard text.count <= 2048, let data = Data(base64Encoded: base64),
            let cursor = try? JSONDecoder().decode(SortCursor.self, from: data)
        else {
            throw ServiceError.invalid(
                "after must be the cursor from the 'next' of a list with this sort; leave it out for the first page",
                path: "after", code: "invalid_cursor")
        }
        guard cursor.sort == sort else {
            throw ServiceError.invalid(
                "this cursor belongs to sort=\(cursor.sort.prefix(40)); keep the same sort while paging", path: "after",
                code: "invalid_cursor")
        }
        self = cursor
    }

    public var encoded: String {
        let data = (try? JSONEncoder().encode(self)) ?? Data()
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
