import Foundation
import MobiliseDomain

/// A SCIM filter (RFC 7644 §3.4.2.2): comparisons joined by `and`, `or`, `not` and parentheses.
/// The same grammar serves `GET /Users?filter=` (turned into an ``EmployeeFilter``) and the value
/// filters of PATCH paths such as `emails[type eq "work"].value` (evaluated on JSON).
indirect enum SCIMFilter: Sendable, Equatable {
    /// `attribute op value`; `op` is lower case (`eq`, `ne`, `co`, `sw`, `ew`, `gt`, `ge`, `lt`, `le`).
    case compare(String, String, JSONValue)
    case present(String)
    case and(SCIMFilter, SCIMFilter)
    case or(SCIMFilter, SCIMFilter)
    case not(SCIMFilter)

    static let operators: Set<String> = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]

    /// Parses `text`; 400 `invalidFilter` when it is not a filter.
    init(_ text: String) throws {
        guard text.count <= 4096 else { throw Self.invalid("the filter is longer than 4096 characters") }
        var parser = Parser(tokens: try Self.tokens(text))
        self = try parser.expression(depth: 0)
        guard parser.position == parser.tokens.count else {
            throw Self.invalid("unexpected '\(parser.tokens[parser.position].text)' in the filter")
        }
    }

    static func invalid(_ detail: String) -> SCIMError { SCIMError(.badRequest, scimType: "invalidFilter", detail: detail) }

    // MARK: Employees

    /// The employees this filter selects, for `GET /Users`. Filters on other attributes, or with
    /// operators that make no sense for the attribute, are refused (400 `invalidFilter`).
    func employeeFilter() throws -> EmployeeFilter {
        switch self {
        case .and(let left, let right): return .and(try left.employeeFilter(), try right.employeeFilter())
        case .or(let left, let right): return .or(try left.employeeFilter(), try right.employeeFilter())
        case .not(let inner): return .not(try inner.employeeFilter())
        case .present(let path): return .present(try Self.attribute(path))
        case .compare(let path, let op, let value):
            let attribute = try Self.attribute(path)
            let comparison: EmployeeFilter.Comparison
            switch op {
            case "eq": comparison = .equal
            case "ne": comparison = .notEqual
            case "co": comparison = .contains
            case "sw": comparison = .startsWith
            case "ew": comparison = .endsWith
            default: throw Self.invalid("the operator '\(op)' is not supported (eq, ne, co, sw, ew and pr are)")
            }
            switch (attribute, value) {
            case (.active, .bool(let flag)) where comparison == .equal || comparison == .notEqual:
                return .compare(.active, comparison, .bool(flag))
            case (.active, _):
                throw Self.invalid("active is compared with eq or ne to true or false")
            case (.id, .string(let text)) where comparison == .equal || comparison == .notEqual:
                return .compare(.id, comparison, .text(text))
            case (.id, _):
                throw Self.invalid("id is compared with eq or ne to a string")
            case (_, .string(let text)):
                return .compare(attribute, comparison, .text(text))
            default:
                throw Self.invalid("'\(path)' is compared to a string")
            }
        }
    }

    /// The attribute a filter path names; 400 `invalidFilter` for any other.
    private static func attribute(_ path: String) throws -> EmployeeFilter.Attribute {
        var name = path.lowercased()
        let core = SCIMSchema.user.lowercased() + ":"
        if name.hasPrefix(core) { name.removeFirst(core.count) }
        switch name {
        case "username": return .externalID
        case "externalid": return .clientID
        case "id": return .id
        case "displayname": return .displayName
        case "emails", "emails.value": return .email
        case "active": return .active
        default:
            throw invalid("filtering on '\(path)' is not supported (userName, externalId, id, displayName, emails.value and active are)")
        }
    }

    // MARK: JSON

    /// Whether a JSON object (an item of a multi-valued attribute) matches. Strings compare
    /// ignoring case; booleans also match their text ("True").
    func matches(_ item: [String: JSONValue]) -> Bool {
        switch self {
        case .and(let left, let right): return left.matches(item) && right.matches(item)
        case .or(let left, let right): return left.matches(item) || right.matches(item)
        case .not(let inner): return !inner.matches(item)
        case .present(let path):
            guard let value = item.member(path) else { return false }
            return value != .null
        case .compare(let path, let op, let expected):
            let actual = item.member(path) ?? .null
            let a = Self.text(actual), b = Self.text(expected)
            switch op {
            case "eq": return a == b
            case "ne": return a != b
            case "co": return a.map { text in b.map { text.contains($0) } ?? false } ?? false
            case "sw": return a.map { text in b.map { text.hasPrefix($0) } ?? false } ?? false
            case "ew": return a.map { text in b.map { text.hasSuffix($0) } ?? false } ?? false
            default: return false
            }
        }
    }

    private static func text(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text.lowercased()
        case .bool(let flag): flag ? "true" : "false"
        case .number(let number): String(number)
        default: nil
        }
    }

    // MARK: Parsing

    struct Token: Equatable {
        enum Kind: Equatable { case word, string, open, close }
        var kind: Kind
        var text: String
    }

    private static func tokens(_ text: String) throws -> [Token] {
        var tokens: [Token] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar.properties.isWhitespace {
                index += 1
            } else if scalar == "(" || scalar == ")" {
                tokens.append(Token(kind: scalar == "(" ? .open : .close, text: String(scalar)))
                index += 1
            } else if scalar == "\"" {
                // A JSON string: read to the closing quote, escapes included, and decode it as JSON.
                var end = index + 1
                while end < scalars.count, scalars[end] != "\"" { end += scalars[end] == "\\" ? 2 : 1 }
                guard end < scalars.count else { throw invalid("a quoted string in the filter is never closed") }
                var literal = String.UnicodeScalarView()
                literal.append(contentsOf: scalars[index...end])
                guard case .string(let decoded)? = try? JSONReader.value(Array(String(literal).utf8)) else {
                    throw invalid("the string \(String(literal)) in the filter is not a valid JSON string")
                }
                tokens.append(Token(kind: .string, text: decoded))
                index = end + 1
            } else {
                var end = index
                while end < scalars.count, !scalars[end].properties.isWhitespace, !"()\"".unicodeScalars.contains(scalars[end]) { end += 1 }
                var word = String.UnicodeScalarView()
                word.append(contentsOf: scalars[index..<end])
                tokens.append(Token(kind: .word, text: String(word)))
                index = end
            }
        }
        return tokens
    }

    private struct Parser {
        let tokens: [Token]
        var position = 0

        static let maxDepth = 32

        mutating func next() -> Token? {
            guard position < tokens.count else { return nil }
            defer { position += 1 }
            return tokens[position]
        }

        func peekWord(_ word: String) -> Bool {
            position < tokens.count && tokens[position].kind == .word && tokens[position].text.lowercased() == word
        }

        mutating func expression(depth: Int) throws -> SCIMFilter {
            guard depth < Self.maxDepth else { throw SCIMFilter.invalid("the filter nests too deeply") }
            var left = try conjunction(depth: depth)
            while peekWord("or") {
                position += 1
                left = .or(left, try conjunction(depth: depth))
            }
            return left
        }

        mutating func conjunction(depth: Int) throws -> SCIMFilter {
            var left = try term(depth: depth)
            while peekWord("and") {
                position += 1
                left = .and(left, try term(depth: depth))
            }
            return left
        }

        mutating func term(depth: Int) throws -> SCIMFilter {
            if peekWord("not") {
                position += 1
                guard next()?.kind == .open else { throw SCIMFilter.invalid("'not' is followed by a parenthesised filter") }
                let inner = try expression(depth: depth + 1)
                guard next()?.kind == .close else { throw SCIMFilter.invalid("a parenthesis in the filter is never closed") }
                return .not(inner)
            }
            guard let token = next() else { throw SCIMFilter.invalid("the filter ends too early") }
            switch token.kind {
            case .open:
                let inner = try expression(depth: depth + 1)
                guard next()?.kind == .close else { throw SCIMFilter.invalid("a parenthesis in the filter is never closed") }
                return inner
            case .word:
                if token.text.contains("[") { throw SCIMFilter.invalid("complex attribute filters ('\(token.text)') are not supported") }
                guard let op = next(), op.kind == .word else { throw SCIMFilter.invalid("'\(token.text)' is followed by an operator") }
                let name = op.text.lowercased()
                if name == "pr" { return .present(token.text) }
                guard SCIMFilter.operators.contains(name) else { throw SCIMFilter.invalid("unknown operator '\(op.text)'") }
                guard let value = next() else { throw SCIMFilter.invalid("'\(token.text) \(op.text)' is followed by a value") }
                return .compare(token.text, name, try Self.value(value))
            default:
                throw SCIMFilter.invalid("unexpected '\(token.text)' in the filter")
            }
        }

        static func value(_ token: Token) throws -> JSONValue {
            switch token.kind {
            case .string: return .string(token.text)
            case .word:
                switch token.text.lowercased() {
                case "true": return .bool(true)
                case "false": return .bool(false)
                case "null": return .null
                default:
                    guard let number = Double(token.text) else { throw SCIMFilter.invalid("'\(token.text)' is not a value (a quoted string, true, false, null or a number)") }
                    return .number(number)
                }
            default: throw SCIMFilter.invalid("unexpected '\(token.text)' where a value belongs")
            }
        }
    }
}
