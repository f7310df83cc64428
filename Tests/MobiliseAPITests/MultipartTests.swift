import Foundation
import Hummingbird
@testable import MobiliseAPI
import NIOCore
import Testing

/// Stories' multipart bodies, read as they arrive by multipart-kit's parser.
@Suite struct MultipartTests {
    static func form(filename: String = "team.png", media: [UInt8] = Array(repeating: 0xAB, count: 5000)) -> [UInt8] {
        Array("preamble to ignore\r\n--XyZ\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nOur team; #HeForShe\r\n--XyZ\r\n".utf8)
            + Array("Content-Disposition: form-data; name=\"media\"; filename=\"\(filename)\"\r\nContent-Type: image/png\r\n\r\n".utf8)
            + media + Array("\r\n--XyZ--\r\n".utf8)
    }

    /// The body in chunks of `size` bytes, as a slow network delivers it.
    static func chunked(_ bytes: [UInt8], size: Int) -> RequestBody {
        let chunks = stride(from: 0, to: bytes.count, by: size).map { ByteBuffer(bytes: bytes[$0..<min($0 + size, bytes.count)]) }
        return RequestBody(asyncSequence: chunks.async)
    }

    @Test(arguments: [1, 7, 64, 4096, 1 << 20])
    func aFormReadInChunksOfAnySizeGivesTheSameParts(chunk: Int) async throws {
        // Near misses of the delimiter inside the file must stay file bytes.
        let media = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) } + Array("\r\n--XyY\r\n--Xy\r\n-".utf8)
        let form = try await MultipartForm.read(Self.chunked(Self.form(media: media), size: chunk), boundary: "XyZ", limit: 1 << 20)
        #expect(form.parts.map(\.name) == ["body", "media"])
        #expect(String(decoding: form.parts[0].data, as: UTF8.self) == "Our team; #HeForShe")
        let intact = Array(form.parts[1].data) == media
        #expect(intact, "the file came out as \(form.parts[1].data.count) bytes, not the \(media.count) sent")
        #expect(form.parts[1].contentType == "image/png")
    }

    @Test func aQuotedFileNameKeepsItsSemicolonsAndEscapes() async throws {
        let form = try await MultipartForm.read(Self.chunked(Self.form(filename: #"a;b=c \"d\".jpg"#), size: 100), boundary: "XyZ", limit: 1 << 20)
        #expect(form.parts[1].filename == #"a;b=c "d".jpg"#)
        #expect(form.parts[1].name == "media")
        #expect(HeaderParameters(#"multipart/form-data; boundary="a;b""#)["boundary"] == "a;b")
        #expect(HeaderParameters("form-data; NAME=body")["name"] == "body")
        #expect(MultipartForm.boundary(from: "multipart/form-data; charset=utf-8; boundary=XyZ") == "XyZ")
        #expect(MultipartForm.boundary(from: "multipart/form-data") == nil)
    }

    @Test func aTruncatedOrEndlessFormIsRefused() async throws {
        let whole = Self.form()
        // Cut in the preamble, in the first part, in the file: a part left open is refused.
        for cut in [10, 60, whole.count - 12] {
            await #expect(throws: APIError.self, "cut at \(cut)") {
                _ = try await MultipartForm.read(Self.chunked(Array(whole.prefix(cut)), size: 50), boundary: "XyZ", limit: 1 << 20)
            }
        }
        let refused = await #expect(throws: APIError.self) {
            _ = try await MultipartForm.read(Self.chunked(whole, size: 1000), boundary: "XyZ", limit: 4096)
        }
        #expect(refused?.status == .contentTooLarge)
        let many = (0..<12).map { "--B\r\nContent-Disposition: form-data; name=\"f\($0)\"\r\n\r\nx\r\n" }.joined() + "--B--\r\n"
        let tooMany = await #expect(throws: APIError.self) {
            _ = try await MultipartForm.read(Self.chunked(Array(many.utf8), size: 1000), boundary: "B", limit: 1 << 20)
        }
        #expect(tooMany?.message == "too many parts")
    }
}

extension Array where Element: Sendable {
    /// The elements as an asynchronous sequence.
    var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}
