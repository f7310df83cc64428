import Foundation

/// A minimal `multipart/form-data` reader (RFC 7578): enough for a story's `body` field and one
/// media file. Refuses what it does not understand rather than guessing.
struct MultipartForm {
    struct Part {
        var name: String
        var filename: String?
        var contentType: String?
        var data: Data
    }

    var parts: [Part]

    /// The boundary from a `Content-Type: multipart/form-data; boundary=…` header.
    static func boundary(from contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.isEmpty || value.count > 70 ? nil : value
            }
        }
        return nil
    }

    init(data: Data, boundary: String) throws {
        let delimiter = Data("--\(boundary)".utf8)
        let malformed = APIError.badRequest("malformed_multipart", "the multipart body could not be read")
        guard var cursor = data.range(of: delimiter)?.upperBound else { throw malformed }
        var parts: [Part] = []
        while true {
            // After a delimiter: "--" ends the body, CRLF starts a part.
            if data[cursor...].starts(with: Data("--".utf8)) { break }
            guard data[cursor...].starts(with: Data("\r\n".utf8)) else { throw malformed }
            cursor += 2
            guard let headerEnd = data.range(of: Data("\r\n\r\n".utf8), in: cursor..<data.endIndex) else { throw malformed }
            let headerText = String(decoding: data[cursor..<headerEnd.lowerBound], as: UTF8.self)
            let contentStart = headerEnd.upperBound
            guard let next = data.range(of: Data("\r\n".utf8) + delimiter, in: contentStart..<data.endIndex) else { throw malformed }
            var part = Part(name: "", filename: nil, contentType: nil, data: Data(data[contentStart..<next.lowerBound]))
            for line in headerText.components(separatedBy: "\r\n") {
                let pair = line.split(separator: ":", maxSplits: 1)
                guard pair.count == 2 else { continue }
                let value = pair[1].trimmingCharacters(in: .whitespaces)
                switch pair[0].lowercased() {
                case "content-disposition":
                    part.name = Self.parameter("name", in: value) ?? ""
                    part.filename = Self.parameter("filename", in: value)
                case "content-type":
                    part.contentType = value
                default: break
                }
            }
            parts.append(part)
            cursor = next.upperBound
            guard parts.count <= 10 else { throw APIError.badRequest("malformed_multipart", "too many parts") }
        }
        self.parts = parts
    }

    private static func parameter(_ name: String, in value: String) -> String? {
        for item in value.split(separator: ";").dropFirst() {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == name {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }
}
