import Foundation
import Hummingbird
import MultipartKit
import NIOCore

/// A story's `multipart/form-data` body (RFC 7578): a `body` field and at most one `media` file.
///
/// The body is parsed as it arrives, by multipart-kit's streaming `MultipartParser`: each chunk is
/// handed to the parser and dropped, so the form is never held twice (whole, then in parts) and
/// nothing past `limit` bytes is read. Refuses what it does not understand rather than guessing.
struct MultipartForm {
    struct Part {
        var name: String
        var filename: String?
        var contentType: String?
        var data: Data
    }

    var parts: [Part]

    /// At most this many parts (a story has two).
    static let maxParts = 10

    /// The boundary from a `Content-Type: multipart/form-data; boundary=…` header.
    static func boundary(from contentType: String) -> String? {
        guard let value = HeaderParameters(contentType)["boundary"], !value.isEmpty, value.utf8.count <= 70 else { return nil }
        return value
    }

    /// Reads the form from `body`, at most `limit` bytes (413 beyond).
    static func read(_ body: RequestBody, boundary: String, limit: Int) async throws -> MultipartForm {
        let collector = Collector()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in collector.header(name: name, value: value) }
        parser.onBody = { buffer in collector.body(&buffer) }
        parser.onPartComplete = { collector.complete() }
        var received = 0
        for try await chunk in body {
            received += chunk.readableBytes
            guard received <= limit else {
                throw APIError(.contentTooLarge, code: .tooLarge, "the body is larger than \(limit) bytes")
            }
            do { try parser.execute(chunk) } catch { throw malformed }
            if let problem = collector.problem { throw problem }
        }
        guard !collector.isInPart, !collector.parts.isEmpty else { throw malformed }
        return MultipartForm(parts: collector.parts)
    }

    static let malformed = APIError.badRequest(.malformedMultipart, "the multipart body could not be read")

    /// Gathers the parser's callbacks into parts. (A class: the parser's callbacks share it.)
    private final class Collector {
        var parts: [Part] = []
        var current: Part?
        var problem: APIError?

        var isInPart: Bool { current != nil }

        func header(name: String, value: String) {
            var part = current ?? Part(name: "", filename: nil, contentType: nil, data: Data())
            switch name.lowercased() {
            case "content-disposition":
                let parameters = HeaderParameters(value)
                part.name = parameters["name"] ?? ""
                part.filename = parameters["filename"]
            case "content-type":
                part.contentType = value.trimmingCharacters(in: .whitespaces)
            default: break
            }
            current = part
        }

        func body(_ buffer: inout ByteBuffer) {
            if current == nil { current = Part(name: "", filename: nil, contentType: nil, data: Data()) }
            current?.data.append(contentsOf: buffer.readableBytesView)
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        }

        func complete() {
            parts.append(current ?? Part(name: "", filename: nil, contentType: nil, data: Data()))
            current = nil
            if parts.count > MultipartForm.maxParts { problem = APIError.badRequest(.malformedMultipart, "too many parts") }
        }
    }
}

/// The parameters of a header value such as `form-data; name="media"; filename="a;b.jpg"`
/// (RFC 7578 §4.2, RFC 9110 §5.6.6): `;`-separated `key=value` pairs whose values may be quoted
/// strings containing `;`, `=` and backslash escapes. Hand-written: multipart-kit splits on every `;`,
/// quoted or not, which cuts such a file name in two.
struct HeaderParameters {
    private var values: [String: String] = [:]

    init(_ header: String) {
        var scalars = Substring(header).unicodeScalars[...]
        // Skip the value before the first parameter (`form-data`, `multipart/form-data`).
        while let first = scalars.first, first != ";" { scalars.removeFirst() }
        while !scalars.isEmpty {
            scalars.removeFirst()  // the `;`
            var key = ""
            while let first = scalars.first, first != "=", first != ";" { key.unicodeScalars.append(first); scalars.removeFirst() }
            key = key.trimmingCharacters(in: .whitespaces).lowercased()
            guard scalars.first == "=" else { continue }
            scalars.removeFirst()
            while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
            var value = ""
            if scalars.first == "\"" {
                scalars.removeFirst()
                while let first = scalars.popFirst(), first != "\"" {
                    if first == "\\", let escaped = scalars.popFirst() { value.unicodeScalars.append(escaped) } else { value.unicodeScalars.append(first) }
                }
                while let first = scalars.first, first != ";" { scalars.removeFirst() }  // anything after the closing quote
            } else {
                while let first = scalars.first, first != ";" { value.unicodeScalars.append(first); scalars.removeFirst() }
                value = value.trimmingCharacters(in: .whitespaces)
            }
            if !key.isEmpty, values[key] == nil { values[key] = value }
        }
    }

    subscript(key: String) -> String? { values[key.lowercased()] }
}
