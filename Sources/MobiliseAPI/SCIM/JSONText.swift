// SCIM's bodies as JSON text, both ways, without Foundation's Codable machinery: on the path of
// every SCIM write (an identity provider's push is one request per user), decoding a body into
// `JSONValue` through `Decodable` (which guesses each value's type and catches the errors of the
// wrong guesses) and encoding the answer through `JSONEncoder` were about a fifth of the service's
// CPU in a profile of a push (BENCHMARKS.md section 7). No JSON library in the package mirrors reads
// into an untyped value: Foundation's `JSONSerialization` gives `NSNumber`s, where `true` and `1`
// cannot be told apart on Linux.

/// RFC 8259 JSON text → ``JSONValue``: reads the bytes once, strictly (one value, whitespace
/// around it, nesting at most ``maxDepth`` deep, strings valid UTF-8 with their escapes, surrogate
/// pairs included; numbers as JSON writes them). A test holds it to Foundation's `JSONDecoder` on
/// valid and invalid texts.
struct JSONReader {
    struct Malformed: Error {}

    /// Arrays and objects nested deeper are refused (a SCIM body nests three deep).
    static let maxDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The value the bytes hold; throws ``Malformed`` when they are not one JSON text.
    static func value(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
        try parse(bytes)
    }

    static func value(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBytes(parse)
    }

    private static func parse(_ buffer: UnsafeRawBufferPointer) throws -> JSONValue {
        var reader = JSONReader(buffer)
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.index == buffer.count else { throw Malformed() }
        return value
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw Malformed() }
        switch bytes[index] {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "{"):
            guard depth < Self.maxDepth else { throw Malformed() }
            index += 1
            var members: [String: JSONValue] = [:]
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Malformed() }
                let key = try string()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw Malformed() }
                index += 1
                let member = try value(depth: depth + 1)
                // A name given twice: the first value counts, as with Foundation's decoder.
                if members[key] == nil { members[key] = member }
                skipWhitespace()
                guard index < bytes.count else { throw Malformed() }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                guard bytes[index] == UInt8(ascii: "}") else { throw Malformed() }
                index += 1
                return .object(members)
            }
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw Malformed() }
            index += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw Malformed() }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                guard bytes[index] == UInt8(ascii: "]") else { throw Malformed() }
                index += 1
                return .array(items)
            }
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return .number(try number())
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw Malformed() }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw Malformed() }
        index += count
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() throws -> Double {
        let start = index
        func digits() throws {
            let first = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            if index == first { throw Malformed() }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw Malformed() }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            try digits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            try digits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            try digits()
        }
        guard let value = Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)),
              value.isFinite
        else { throw Malformed() }
        return value
    }

    /// A string, from its opening quote.
    private mutating func string() throws -> String {
        index += 1
        let start = index
        // The common case: no escape, read as is (and checked as UTF-8).
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                return try Self.utf8(text)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw Malformed() }
            index += 1
        }
        var scalars = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return try Self.utf8(scalars)
            case 0..<0x20: throw Malformed()
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw Malformed() }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escaped)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        // A high surrogate must be followed by an escaped low one.
                        guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw Malformed()
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw Malformed() }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(code) {
                        throw Malformed()
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw Malformed() }
                    scalars.append(contentsOf: String(Character(scalar)).utf8)
                default: throw Malformed()
                }
            default: scalars.append(byte)
            }
        }
        throw Malformed()
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - index >= 4 else { throw Malformed() }
        var code: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Malformed()
            }
            code = code << 4 | UInt32(digit)
        }
        return code
    }

    /// Bytes that must be valid UTF-8.
    private static func utf8<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Malformed() }
        return text
    }
}

extension JSONValue {
    /// The JSON text of the value: object members in sorted order, `/` not escaped, whole numbers
    /// without a fraction (what Foundation's encoder writes with `.sortedKeys, .withoutEscapingSlashes`).
    var jsonBytes: [UInt8] {
        var out = JSONBytes(capacity: 1024)
        write(to: &out)
        return out.bytes
    }

    private func write(to out: inout JSONBytes) {
        switch self {
        case .null: out.append("null")
        case .bool(let value): out.append(value ? "true" : "false")
        case .number(let value):
            if value == value.rounded(), abs(value) < 1e15 { out.append(text: String(Int64(value))) } else { out.append(text: String(value)) }
        case .string(let value): out.string(value)
        case .array(let items):
            out.append("[")
            for (position, item) in items.enumerated() {
                if position > 0 { out.append(",") }
                item.write(to: &out)
            }
            out.append("]")
        case .object(let members):
            out.append("{")
            for (position, key) in members.keys.sorted().enumerated() {
                if position > 0 { out.append(",") }
                out.string(key)
                out.append(":")
                members[key]?.write(to: &out)
            }
            out.append("}")
        }
    }
}
