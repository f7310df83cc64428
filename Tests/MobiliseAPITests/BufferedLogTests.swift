import Foundation
import Logging
import MobiliseAPI
import Testing

/// The service's log output: written by a thread of its own, in order, whole lines, nothing lost.
@Suite struct BufferedLogTests {
    /// Appends from many tasks at once into a file, through a buffer far smaller than what is
    /// written (so appenders wait for room), then reads the file back.
    @Test(arguments: [64, 4 << 20])
    func everyLineIsWrittenOnceWholeAndInItsWritersOrder(capacity: Int) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString)").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        defer { close(descriptor); unlink(path) }
        let output = BufferedLogOutput(fileDescriptor: descriptor, capacity: capacity)
        let (writers, lines) = (16, 2_000)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for line in 0..<lines { output.append("writer=\(writer) line=\(line) \(String(repeating: "x", count: line % 97))\n") }
                }
            }
        }
        output.flush()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let written = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(text.hasSuffix("\n"))
        #expect(written.count == writers * lines)
        var next = [Int](repeating: 0, count: writers)
        var wellFormed = true
        for entry in written {
            let fields = entry.split(separator: " ")
            guard fields.count >= 2, let writer = Int(fields[0].dropFirst("writer=".count)), let line = Int(fields[1].dropFirst("line=".count)),
                  writers > writer, next[writer] == line, entry.count == "writer=\(writer) line=\(line) ".count + line % 97
            else { wellFormed = false; break }
            next[writer] += 1
        }
        #expect(wellFormed, "a line is torn, duplicated or out of its writer's order")
        #expect(next == [Int](repeating: lines, count: writers))
    }

    @Test func theHandlerWritesTheStreamLogHandlersLine() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString)").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        defer { close(descriptor); unlink(path) }
        let output = BufferedLogOutput(fileDescriptor: descriptor)
        var logger = Logger(label: "test-service") { BufferedLogHandler(label: $0, output: output) }
        logger[metadataKey: "hb.request.id"] = "abc"
        logger.debug("not at info")
        logger.info("request", metadata: ["http.status": "201", "http.method": "PUT"])
        output.flush()
        let line = try String(contentsOfFile: path, encoding: .utf8)
        // `2026-12-06T14:28:18+0000 info test-service: hb.request.id=abc http.method=PUT http.status=201 [BufferedLogTests] request`
        let timestamp = try #require(line.split(separator: " ").first)
        #expect(timestamp.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}/) != nil, "\(line)")
        #expect(line.dropFirst(timestamp.count) == " info test-service: hb.request.id=abc http.method=PUT http.status=201 [MobiliseAPITests] request\n")
    }
}
